/**
 * Posts each journaled session's start and end as Events on its pod (see clusterEvents.ts). Best effort by
 * design: a session never waits for, nor fails because of, its Event. Without RBAC for events the user is
 * told once per context and namespace, and that namespace is not asked again in this window.
 */
import type { ClusterApi, Logger } from '../cluster/clusterApi';
import { ClusterError } from '../cluster/clusterApi';
import { sessionEndedEvent, sessionStartedEvent } from './clusterEvents';
import type { SessionJournal } from './journal';
import type { JournalEvent } from './types';

export type EventApi = Pick<ClusterApi, 'contextName' | 'createEvent' | 'readPod'>;

export interface SessionAnnouncerOptions {
  /** Read at each session start: the setting can change while the window runs. */
  readonly enabled: () => boolean;
  /** Who reports, e.g. "alice@laptop". */
  readonly reportingInstance: string;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  readonly now?: () => Date;
}

interface Announced {
  readonly api: EventApi;
  /** The uid of the pod each Event is about, by name: `kubectl describe pod` selects events by uid. */
  readonly uids: Map<string, Promise<string | undefined>>;
  /** The start's post; the end waits for it so the two arrive in order. */
  started?: Promise<void>;
}

export class SessionAnnouncer {
  private readonly sessions = new Map<string, Announced>();
  private readonly forbidden = new Set<string>();
  private readonly pending = new Set<Promise<void>>();
  private readonly unsubscribe: () => void;

  constructor(private readonly journal: SessionJournal, private readonly options: SessionAnnouncerOptions) {
    this.unsubscribe = journal.onDidAppend((event) => this.onJournalEvent(event));
  }

  /** Announce the session `id` through `api`; call before the journal records its start. */
  track(id: string, api: EventApi): void {
    if (!this.options.enabled()) return;
    this.sessions.set(id, { api, uids: new Map() });
  }

  /** Settles when every Event posted so far has been answered (tests, and deactivation). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  dispose(): void {
    this.unsubscribe();
    this.sessions.clear();
  }

  private onJournalEvent(event: JournalEvent): void {
    const announced = this.sessions.get(event.sessionId);
    if (announced === undefined) return;
    if (event.type === 'start') {
      const { session } = event;
      announced.started = this.post(announced, session.namespace, session.pod, (podUid) =>
        sessionStartedEvent({ ...session, id: event.sessionId }, this.context(podUid)));
    } else if (event.type === 'end') {
      this.sessions.delete(event.sessionId);
      this.keep(this.postEnd(announced, event.sessionId));
    }
  }

  private async postEnd(announced: Announced, id: string): Promise<void> {
    await announced.started;
    const summary = await this.journal.get(id);
    if (summary === undefined) return;
    await this.post(announced, summary.namespace, summary.pod, (podUid) => sessionEndedEvent(summary, this.context(podUid)));
  }

  private post(announced: Announced, namespace: string, pod: string, build: (podUid: string | undefined) => Parameters<ClusterApi['createEvent']>[1]): Promise<void> {
    const { api } = announced;
    const where = `${api.contextName}/${namespace}`;
    const run = async (): Promise<void> => {
      if (this.forbidden.has(where)) return;
      let uid = announced.uids.get(pod);
      if (uid === undefined) {
        uid = api.readPod(namespace, pod).then((p) => p.metadata?.uid, () => undefined);
        announced.uids.set(pod, uid);
      }
      try {
        await api.createEvent(namespace, build(await uid));
      } catch (error) {
        if (error instanceof ClusterError && error.code === 403) {
          if (!this.forbidden.has(where)) {
            this.forbidden.add(where);
            this.options.logger.warn(`session events: not allowed to create events (events.k8s.io) in ${namespace} on ${api.contextName}; sessions go on without them. Grant "create events.events.k8s.io" (see Generate RBAC for Debugging) or turn off ephemeralDebug.sessions.clusterEvents.`);
          }
          return;
        }
        this.options.logger.warn(`session events: could not post an Event on ${namespace}/${pod}: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    return this.keep(run());
  }

  private keep(work: Promise<void>): Promise<void> {
    const settled = work.catch((error: unknown) => this.options.logger.warn(`session events: ${error instanceof Error ? error.message : String(error)}`));
    this.pending.add(settled);
    void settled.finally(() => this.pending.delete(settled));
    return settled;
  }

  private context(podUid: string | undefined) {
    return { reportingInstance: this.options.reportingInstance, now: (this.options.now ?? (() => new Date()))(), ...(podUid ? { podUid } : {}) };
  }
}

/**
 * Sessions the cluster can see: a journaled session's start and end become events.k8s.io/v1 Events on its
 * pod, read back through the core/v1 list kubectl uses (with `kubectl describe`'s uid selector); a user without
 * RBAC for events is told once and the journal goes on; the setting turns it off. On both test clusters: the
 * real API server is the judge of what a valid Event is (six-digit MicroTime, name, lengths).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { V1MicroTime, type CoreV1Event, type EventsV1Event } from '@kubernetes/client-node';
import { createClusterApi } from '../../../src/cluster/client';
import { ClusterError, type ClusterApi } from '../../../src/cluster/clusterApi';
import {
  EVENT_ANNOTATION, SESSION_ENDED_REASON, SESSION_STARTED_REASON, SessionAnnouncer, SessionJournal, newSessionId, sessionEndedEvent,
  type SessionSummary,
} from '../../../src/session';
import { startTestCluster, type TestCluster, type TestUser } from '../../cluster/testCluster';

const NAMESPACE = 'session-events';
const POD = 'events-target';

describe('session events on the pod', function () {
  this.timeout(90_000);
  let cluster: TestCluster;
  let dir: string;
  let journal: SessionJournal;
  let podUid: string;

  before(async () => {
    cluster = await startTestCluster({ demo: false });
    await cluster.createNamespace(NAMESPACE);
    const pod = await cluster.createPod(NAMESPACE, {
      metadata: { name: POD },
      spec: { containers: [{ name: 'app', image: 'busybox:1.36', command: ['sleep', '3600'] }], terminationGracePeriodSeconds: 0 },
    });
    podUid = pod.metadata!.uid!;
    dir = await mkdtemp(join(tmpdir(), 'session-events-'));
    journal = await SessionJournal.open(dir, { retentionDays: 1 });
  });

  after(async () => {
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function announcerFor(warnings: string[], enabled = true): SessionAnnouncer {
    return new SessionAnnouncer(journal, { enabled: () => enabled, reportingInstance: 'test-machine', logger: { info: () => undefined, warn: (m) => warnings.push(m) } });
  }

  async function runSession(user: TestUser, announcer: SessionAnnouncer, outcome: 'completed' | 'failed'): Promise<string> {
    const api = createClusterApi(cluster.kubeConfig(user));
    const id = newSessionId();
    announcer.track(id, api);
    const record = await journal.start({
      kind: 'diagnostics', identity: { username: user, groups: [], source: 'kubeconfig' }, context: api.contextName,
      namespace: NAMESPACE, pod: POD, container: 'debugger-x7k2q', targetContainer: 'app', image: 'busybox:1.36', profile: 'general',
    }, id);
    await record.addArtifact({ fileName: 'diagnostics.md', kind: 'diagnostics', description: 'report', mediaType: 'text/markdown' }, '# report\n');
    await record.end(outcome === 'failed' ? { status: 'failed', message: 'the container exited' } : { status: 'completed' });
    await announcer.settled();
    return id;
  }

  async function eventsOf(id: string): Promise<CoreV1Event[]> {
    const admin = createClusterApi(cluster.kubeConfig('admin'));
    // The selector `kubectl describe pod` uses: the pod's name, namespace, kind and uid.
    const events = await admin.listEvents(NAMESPACE, { fieldSelector: `involvedObject.name=${POD},involvedObject.namespace=${NAMESPACE},involvedObject.kind=Pod,involvedObject.uid=${podUid}` });
    return events.filter((e) => e.metadata?.annotations?.[EVENT_ANNOTATION.sessionId] === id);
  }

  it('posts Started and Ended on the pod for a debugger (who, image, profile, outcome, artifacts with SHA-256)', async () => {
    const warnings: string[] = [];
    const announcer = announcerFor(warnings);
    const id = await runSession('debugger', announcer, 'completed');
    announcer.dispose();
    assert.deepEqual(warnings, []);
    const events = await eventsOf(id);
    assert.deepEqual(events.map((e) => e.reason).sort(), [SESSION_ENDED_REASON, SESSION_STARTED_REASON]);
    const started = events.find((e) => e.reason === SESSION_STARTED_REASON)!;
    const ended = events.find((e) => e.reason === SESSION_ENDED_REASON)!;
    assert.equal(started.type, 'Normal');
    assert.equal(started.involvedObject.uid, podUid);
    assert.equal(started.reportingComponent, 'ephemeral-debug.io/vscode-extension');
    assert.equal(started.reportingInstance, 'test-machine');
    assert.match(started.message ?? '', new RegExp(`^debugger started a diagnostics session ${id} \\(in debugger-x7k2q, targeting app, image busybox:1\\.36, profile general\\)`));
    assert.equal(started.metadata?.annotations?.[EVENT_ANNOTATION.user], 'debugger');
    assert.equal(started.metadata?.annotations?.[EVENT_ANNOTATION.image], 'busybox:1.36');
    assert.equal(ended.metadata?.annotations?.[EVENT_ANNOTATION.outcome], 'completed');
    const summary = await journal.get(id);
    const artifact = summary!.artifacts[0]!;
    assert.deepEqual(JSON.parse(ended.metadata?.annotations?.[EVENT_ANNOTATION.artifacts] ?? '[]'), [{ name: 'diagnostics.md', sha256: artifact.sha256, size: artifact.size }]);
    assert.match(ended.message ?? '', new RegExp(`diagnostics\\.md sha256:${artifact.sha256}`));
  });

  it('marks a failed session\'s end as a Warning with its message', async () => {
    const announcer = announcerFor([]);
    const id = await runSession('admin', announcer, 'failed');
    announcer.dispose();
    const ended = (await eventsOf(id)).find((e) => e.reason === SESSION_ENDED_REASON);
    assert.equal(ended?.type, 'Warning');
    assert.match(ended?.message ?? '', /failed: the container exited/);
  });

  it('without RBAC for events: one warning for the context and namespace, the journal records every session', async () => {
    const warnings: string[] = [];
    const announcer = announcerFor(warnings);
    const first = await runSession('viewer', announcer, 'completed');
    const second = await runSession('viewer', announcer, 'completed');
    announcer.dispose();
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /not allowed to create events \(events\.k8s\.io\) in session-events .*Grant "create events\.events\.k8s\.io"/);
    assert.deepEqual(await eventsOf(first), []);
    assert.deepEqual(await eventsOf(second), []);
    for (const id of [first, second]) assert.equal((await journal.get(id))?.outcome?.status, 'completed');
  });

  it('posts nothing when the setting is off', async () => {
    const announcer = announcerFor([], false);
    const id = await runSession('admin', announcer, 'completed');
    announcer.dispose();
    assert.deepEqual(await eventsOf(id), []);
  });

  it('the server refuses a MicroTime with three fraction digits (why the Event uses V1MicroTime), and accepts ours', async () => {
    const admin: ClusterApi = createClusterApi(cluster.kubeConfig('admin'));
    const valid = sessionEndedEvent(summaryFor(newSessionId()), { reportingInstance: 'test-machine', now: new Date() });
    const threeDigits: EventsV1Event = { ...valid, metadata: { ...valid.metadata, name: `${valid.metadata!.name}-3` }, eventTime: new Date().toISOString() as unknown as V1MicroTime };
    await assert.rejects(admin.createEvent(NAMESPACE, threeDigits), (error: unknown) => error instanceof ClusterError && error.code === 400);
    await admin.createEvent(NAMESPACE, valid);
  });
});

describe('session events: the Event built for the API server\'s limits', () => {
  it('keeps the note within 1 KiB and every artifact in the annotation; the name is a DNS subdomain for a 253-character pod name', () => {
    const summary = summaryFor('20261207T101010Z-abcde', 'p'.repeat(253), 60);
    const event = sessionEndedEvent(summary, { reportingInstance: 'x'.repeat(300), now: new Date('2026-12-07T10:10:10.123Z') });
    assert.ok(Buffer.byteLength(event.note!) <= 1024, `${Buffer.byteLength(event.note!)} bytes`);
    assert.ok(event.note!.endsWith('…'));
    assert.equal(JSON.parse(event.metadata!.annotations![EVENT_ANNOTATION.artifacts]!).length, 60);
    assert.ok(event.metadata!.name!.length <= 253);
    assert.match(event.metadata!.name!, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/);
    assert.equal(event.reportingInstance!.length, 128);
    assert.equal(JSON.parse(JSON.stringify({ t: event.eventTime })).t, '2026-12-07T10:10:10.123000Z');
  });
});

function summaryFor(id: string, pod = POD, artifacts = 1): SessionSummary {
  return {
    id, kind: 'shell', identity: { username: 'admin', groups: [], source: 'kubeconfig' }, context: 'ctx', namespace: NAMESPACE, pod,
    startedAt: '2026-12-07T10:00:00.000Z', endedAt: '2026-12-07T10:10:00.000Z', outcome: { status: 'completed' }, actions: [], folder: '/tmp/none',
    artifacts: Array.from({ length: artifacts }, (_, i) => ({
      fileName: `artifact-${i}.txt`, kind: 'other' as const, description: '', mediaType: 'text/plain', size: i, sha256: 'a'.repeat(64), at: '2026-12-07T10:05:00.000Z',
    })),
  };
}

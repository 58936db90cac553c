/**
 * Debug actions invoked on a workload node (Deployment, StatefulSet, …) act on one of its ready pods: the
 * pick rule is src/debug/workloadPods.ts; this adapter asks with a QuickPick when several are ready and
 * remembers the answer per workload in the workspace state, then hands the command the pod's node.
 */
import type { V1Pod } from '@kubernetes/client-node';
import * as vscode from 'vscode';
import type { Logger } from '../cluster/clusterApi';
import { WORKLOAD_KINDS, WORKLOAD_RESOURCES, type WorkloadRef } from '../cluster/workloadKinds';
import { describePick, isReadyToDebug, pickReadyPod, podsOfWorkload, workloadMemoryKey } from '../debug/workloadPods';
import { podNode } from '../explorer/descriptors';
import { summarizePod } from '../explorer/podStatus';
import { isExplorerNode } from './attachCommand';
import type { ExplorerNode } from './clusterTree';
import type { Clusters } from './clusters';
import type { ErrorPresenter } from './errorPresenter';

const MEMORY_KEY = 'ephemeralDebug.workloadPods';

export class WorkloadPods {
  constructor(
    private readonly clusters: Clusters,
    private readonly workspaceState: vscode.Memento,
    private readonly errors: ErrorPresenter,
    private readonly logger: Logger,
  ) {}

  /** The pod chosen last time for this workload (it may be gone or unready by now: the pick rule checks). */
  remembered(context: string, ref: WorkloadRef): string | undefined {
    const memory = this.workspaceState.get<Record<string, unknown>>(MEMORY_KEY) ?? {};
    const value = memory[workloadMemoryKey(context, ref)];
    return typeof value === 'string' ? value : undefined;
  }

  private async remember(context: string, ref: WorkloadRef, pod: string): Promise<void> {
    const memory = { ...(this.workspaceState.get<Record<string, unknown>>(MEMORY_KEY) ?? {}), [workloadMemoryKey(context, ref)]: pod };
    await this.workspaceState.update(MEMORY_KEY, memory);
  }

  /**
   * Wraps a pod command: on a workload node it runs on the picked pod's node, and an arguments object naming a
   * workload (`{ "deployment": "web", "namespace": … }`, as in launch.json) gets `pod` instead; anything else
   * passes through. Dismissing the pick runs nothing; no ready pod is a one-line error.
   */
  command<T>(title: string, run: (arg?: unknown) => Promise<T> | T): (arg?: unknown) => Promise<T | undefined> {
    return async (arg?: unknown) => {
      const node = isExplorerNode(arg) && arg.descriptor.kind === 'workload' ? arg : undefined;
      if (node === undefined && !namesWorkload(arg)) return run(arg);
      let podArg: unknown;
      try {
        const args = node === undefined ? workloadArguments(arg) : undefined;
        if (node !== undefined) {
          const d = node.descriptor;
          if (d.workload === undefined || d.namespace === undefined) throw new Error(`${title}: choose a workload or a pod in the Clusters view`);
          const pod = await this.pick(d.contextName, { ...d.workload, namespace: d.namespace }, title);
          podArg = pod === undefined ? undefined : podNodeFor(d.contextName, pod, d.workload);
        } else if (args !== undefined) {
          const api = await this.clusters.api(args.context);
          const pod = await this.pick(api.contextName, { ...args.workload, namespace: args.namespace ?? api.defaultNamespace }, title);
          podArg = pod === undefined ? undefined : { ...args.rest, ...(args.context !== undefined ? { context: args.context } : {}), namespace: args.namespace ?? api.defaultNamespace, pod: pod.metadata?.name };
        }
      } catch (error) {
        void this.errors.show(error, title);
        return undefined;
      }
      return podArg === undefined ? undefined : run(podArg);
    };
  }

  /** The workload's pod by the pick rule, asking when several are ready; undefined when the user dismissed the question. */
  private async pick(context: string, ref: WorkloadRef, title: string): Promise<V1Pod | undefined> {
    const api = await this.clusters.api(context);
    const { pods } = await podsOfWorkload(api, ref);
    const pick = pickReadyPod(ref, pods, this.remembered(context, ref), true);
    let pod: V1Pod;
    const ready = pods.filter(isReadyToDebug).length;
    if ('ask' in pick) {
      const answer = await vscode.window.showQuickPick(pick.ask.map((p) => ({ label: p.metadata?.name ?? '', description: podLine(p), pod: p })), {
        title: `${title}: ${ref.kind} ${ref.name} has ${pick.ask.length} ready pods`,
        placeHolder: 'The pod to act on (remembered for this workload while it stays ready)',
      });
      if (answer === undefined) return undefined;
      pod = answer.pod;
      await this.remember(context, ref, pod.metadata?.name ?? '');
      this.logger.info(describePick(ref, pod, 'chosen', ready));
    } else {
      pod = pick.pod;
      this.logger.info(describePick(ref, pod, pick.why, ready));
    }
    return pod;
  }
}

function podNodeFor(context: string, pod: V1Pod, workload: Omit<WorkloadRef, 'namespace'>): ExplorerNode {
  const descriptor = { ...podNode(context, pod), workload };
  return { id: descriptor.id, descriptor };
}

function namesWorkload(arg: unknown): boolean {
  return typeof arg === 'object' && arg !== null && !Array.isArray(arg) && !isExplorerNode(arg)
    && WORKLOAD_KINDS.some((kind) => (arg as Record<string, unknown>)[WORKLOAD_RESOURCES[kind].attribute] !== undefined);
}

/** An arguments object naming exactly one workload and no pod; undefined for anything else (the command decides). */
export function workloadArguments(arg: unknown): { workload: Omit<WorkloadRef, 'namespace'>; context?: string; namespace?: string; rest: Record<string, unknown> } | undefined {
  if (typeof arg !== 'object' || arg === null || Array.isArray(arg) || isExplorerNode(arg)) return undefined;
  const raw = arg as Record<string, unknown>;
  const named = WORKLOAD_KINDS.filter((kind) => raw[WORKLOAD_RESOURCES[kind].attribute] !== undefined);
  if (named.length === 0) return undefined;
  const attributes = named.map((kind) => `"${WORKLOAD_RESOURCES[kind].attribute}"`);
  if (named.length > 1 || raw.pod !== undefined) throw new Error(`name one pod or one workload, not ${[...(raw.pod !== undefined ? ['"pod"'] : []), ...attributes].join(' and ')}`);
  const kind = named[0]!;
  const name = raw[WORKLOAD_RESOURCES[kind].attribute];
  const text = (key: string) => (typeof raw[key] === 'string' && raw[key] !== '' ? raw[key] as string : undefined);
  if (typeof name !== 'string' || name === '') throw new Error(`"${WORKLOAD_RESOURCES[kind].attribute}" must be the name of a ${kind}`);
  const rest = Object.fromEntries(Object.entries(raw).filter(([key]) => key !== WORKLOAD_RESOURCES[kind].attribute));
  return { workload: { kind, name }, context: text('context'), namespace: text('namespace'), rest };
}

/** `Running · 1/1 ready · 2 restarts · node loopback · started 2026-12-07T20:58:51Z` */
function podLine(pod: V1Pod): string {
  const s = summarizePod(pod);
  return [s.status, `${s.ready}/${s.total} ready`, s.restarts ? `${s.restarts} restarts` : '', pod.spec?.nodeName ? `node ${pod.spec.nodeName}` : '',
    pod.metadata?.creationTimestamp ? `created ${new Date(pod.metadata.creationTimestamp).toISOString().replace(/\.\d+Z$/, 'Z')}` : ''].filter(Boolean).join(' · ');
}

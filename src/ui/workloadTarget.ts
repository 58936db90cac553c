/**
 * Debug actions invoked on a workload node (Deployment, StatefulSet, …) act on one of its ready pods: the
 * pick rule is src/debug/workloadPods.ts; this adapter asks with a QuickPick when several are ready and
 * remembers the answer per workload in the workspace state, then hands the command the pod's node.
 */
import type { V1Pod } from '@kubernetes/client-node';
import * as vscode from 'vscode';
import type { Logger } from '../cluster/clusterApi';
import type { WorkloadRef } from '../cluster/workloadKinds';
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
   * Wraps a pod command: on a workload node it runs on the picked pod's node; anything else passes through.
   * Dismissing the pick runs nothing; no ready pod is a one-line error.
   */
  command<T>(title: string, run: (arg?: unknown) => Promise<T> | T): (arg?: unknown) => Promise<T | undefined> {
    return async (arg?: unknown) => {
      if (!isExplorerNode(arg) || arg.descriptor.kind !== 'workload') return run(arg);
      let podArg: ExplorerNode | undefined;
      try {
        podArg = await this.podNodeOf(arg, title);
      } catch (error) {
        void this.errors.show(error, title);
        return undefined;
      }
      return podArg === undefined ? undefined : run(podArg);
    };
  }

  private async podNodeOf(node: ExplorerNode, title: string): Promise<ExplorerNode | undefined> {
    const d = node.descriptor;
    if (d.workload === undefined || d.namespace === undefined) throw new Error(`${title}: choose a workload or a pod in the Clusters view`);
    const ref: WorkloadRef = { ...d.workload, namespace: d.namespace };
    const api = await this.clusters.api(d.contextName);
    const { pods } = await podsOfWorkload(api, ref);
    const pick = pickReadyPod(ref, pods, this.remembered(d.contextName, ref), true);
    let pod: V1Pod;
    const ready = pods.filter(isReadyToDebug).length;
    if ('ask' in pick) {
      const answer = await vscode.window.showQuickPick(pick.ask.map((p) => ({ label: p.metadata?.name ?? '', description: podLine(p), pod: p })), {
        title: `${title}: ${ref.kind} ${ref.name} has ${pick.ask.length} ready pods`,
        placeHolder: 'The pod to act on (remembered for this workload while it stays ready)',
      });
      if (answer === undefined) return undefined;
      pod = answer.pod;
      await this.remember(d.contextName, ref, pod.metadata?.name ?? '');
      this.logger.info(describePick(ref, pod, 'chosen', ready));
    } else {
      pod = pick.pod;
      this.logger.info(describePick(ref, pod, pick.why, ready));
    }
    const descriptor = { ...podNode(d.contextName, pod), workload: d.workload };
    return { id: descriptor.id, descriptor };
  }
}

/** `Running · 1/1 ready · 2 restarts · node loopback · started 2026-12-07T20:58:51Z` */
function podLine(pod: V1Pod): string {
  const s = summarizePod(pod);
  return [s.status, `${s.ready}/${s.total} ready`, s.restarts ? `${s.restarts} restarts` : '', pod.spec?.nodeName ? `node ${pod.spec.nodeName}` : '',
    pod.metadata?.creationTimestamp ? `created ${new Date(pod.metadata.creationTimestamp).toISOString().replace(/\.\d+Z$/, 'Z')}` : ''].filter(Boolean).join(' · ');
}

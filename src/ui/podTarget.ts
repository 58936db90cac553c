/**
 * Which pod a command acts on: the Clusters view node it was invoked on, a Cluster Explorer pod node, an
 * arguments object `{ context?, namespace?, pod }` (keybindings, tests, other extensions), or, from the
 * palette, context → namespace → pod quick picks. One resolver so every pod command takes the same inputs.
 */
import type { V1Pod } from '@kubernetes/client-node';
import * as vscode from 'vscode';
import type { ClusterApi } from '../cluster/clusterApi';
import { askContext, askNamespace, askPod, type PickerEnvironment } from './attachPicker';
import { isExplorerNode } from './attachCommand';
import { ClusterExplorerBridge } from './clusterExplorerBridge';
import type { Clusters } from './clusters';
import { BACK } from './quickInput';
import type { SettingsReader } from './settings';

export interface PodTarget {
  readonly api: ClusterApi;
  readonly namespace: string;
  readonly pod: V1Pod;
  readonly podName: string;
  /** The container node it was invoked on, if any. */
  readonly container?: string;
  readonly containerKind?: 'init' | 'regular' | 'ephemeral';
  /** The rest of an arguments object, for commands that take more. */
  readonly args: Readonly<Record<string, unknown>>;
}

export interface PodTargetDependencies {
  readonly clusters: Clusters;
  readonly settings: SettingsReader;
  readonly clusterExplorer: ClusterExplorerBridge;
}

/** undefined when the user dismissed a picker; throws (one line) on bad arguments or API failures. */
export async function resolvePodTarget(arg: unknown, deps: PodTargetDependencies, title: string): Promise<PodTarget | undefined> {
  const read = async (context: string | undefined, namespace: string | undefined, podName: string, extra: Partial<PodTarget> = {}): Promise<PodTarget> => {
    const api = await deps.clusters.api(context);
    const ns = namespace ?? api.defaultNamespace;
    return { api, namespace: ns, podName, pod: await api.readPod(ns, podName), args: {}, ...extra };
  };
  if (isExplorerNode(arg)) {
    const d = arg.descriptor;
    if (d.namespace === undefined || d.pod === undefined) throw new Error(`${title}: choose a pod or a container`);
    return read(d.contextName, d.namespace, d.pod, d.kind === 'container' ? { container: d.container, containerKind: d.containerKind } : {});
  }
  if (ClusterExplorerBridge.looksLikeClusterExplorerNode(arg)) {
    const resolved = await deps.clusterExplorer.resolvePod(arg);
    if ('error' in resolved) throw new Error(resolved.error);
    return read(await deps.clusters.kubeconfigCurrentContext(), resolved.value.namespace, resolved.value.pod);
  }
  if (typeof arg === 'object' && arg !== null && !Array.isArray(arg)) {
    const args = arg as Record<string, unknown>;
    const text = (key: string): string | undefined => (typeof args[key] === 'string' && (args[key] as string) !== '' ? (args[key] as string) : undefined);
    const podName = text('pod');
    if (podName === undefined) throw new Error(`${title}: the arguments need "pod" (and "namespace", "context" unless the defaults apply)`);
    const target = await read(text('context'), text('namespace'), podName);
    return { ...target, ...(text('container') !== undefined ? { container: text('container') } : {}), args };
  }
  // The palette: ask.
  const env: PickerEnvironment = {
    settings: deps.settings.current,
    recentImages: [],
    contexts: () => deps.clusters.contexts(),
    activeContext: await deps.clusters.activeContext(),
    api: (context) => deps.clusters.api(context),
  };
  let context: string | undefined;
  let namespace: string | undefined;
  let step = 0;
  for (;;) {
    const position = { title, step: step + 1, totalSteps: 3 };
    if (step === 0) {
      const answer = await askContext(env, context, position);
      if (answer === undefined) return undefined;
      if (answer !== BACK) {
        context = answer.name;
        step = 1;
      }
    } else if (step === 1) {
      const answer = await askNamespace(env, context, namespace, position);
      if (answer === undefined) return undefined;
      if (answer === BACK) {
        step = 0;
      } else {
        namespace = answer;
        step = 2;
      }
    } else {
      const answer = await askPod(env, context, namespace, position);
      if (answer === undefined) return undefined;
      if (answer === BACK) step = 1;
      else return read(context, namespace, answer);
    }
  }
}

/** Runs `work` under a cancellable progress notification, with an AbortSignal for the engine. */
export function withCancellableProgress<T>(title: string, work: (report: (message: string) => void, signal: AbortSignal) => Promise<T>): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const abort = new AbortController();
    const subscription = token.onCancellationRequested(() => abort.abort());
    try {
      return await work((message) => progress.report({ message }), abort.signal);
    } finally {
      subscription.dispose();
    }
  });
}

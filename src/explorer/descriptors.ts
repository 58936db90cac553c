/**
 * What the tree shows for each node, as plain data: the UI maps a descriptor 1:1 onto a vscode.TreeItem
 * (ThemeIcon(icon.id, ThemeColor(icon.color)), MarkdownString(tooltip), contextValue for menus).
 */
import type { V1Container, V1ContainerStatus, V1EphemeralContainer, V1Pod } from '@kubernetes/client-node';
import {
  NAMESPACE_CONTEXT_VALUE,
  clusterContextValue,
  containerContextValue,
  messageContextValue,
  podContextValue,
  type ContainerKind,
} from './contextValues';
import { describeContainerState, summarizePod, type PodHealth } from './podStatus';
import { debugContainerReach } from '../debug/debugContainers';
import type { WorkloadKind } from '../cluster/workloadKinds';

export type NodeKind = 'cluster' | 'namespace' | 'workload' | 'pod' | 'container' | 'message' | 'nodes' | 'node';
export type { ContainerKind } from './contextValues';

export interface NodeDescriptor {
  /** Stable across refreshes: `cluster:<ctx>`, `namespace:<ctx>/<ns>`, `pod:<ctx>/<ns>/<pod>`, `container:<ctx>/<ns>/<pod>/<kind>/<name>`. */
  id: string;
  kind: NodeKind;
  label: string;
  description?: string;
  /** Markdown. */
  tooltip: string;
  /** A codicon id and a theme color id. */
  icon: { id: string; color?: string };
  contextValue: string;
  collapsible: 'none' | 'collapsed' | 'expanded';
  contextName: string;
  namespace?: string;
  pod?: string;
  container?: string;
  containerKind?: ContainerKind;
  /** A Kubernetes node (kind `node`, under the cluster's Nodes folder: src/explorer/nodes.ts). */
  nodeName?: string;
  /** A workload node's workload, or the workload a pod node is shown under (its parent in the tree). */
  workload?: { kind: WorkloadKind; name: string };
  /** The pod (or its cluster) deserves the "Debug" quick action: crashing or failing readiness. */
  needsDebug?: boolean;
}

export const clusterId = (context: string) => `cluster:${context}`;
export const namespaceId = (context: string, namespace: string) => `namespace:${context}/${namespace}`;
export const podId = (context: string, namespace: string, pod: string) => `pod:${context}/${namespace}/${pod}`;
export const containerId = (context: string, namespace: string, pod: string, kind: ContainerKind, name: string) =>
  `container:${context}/${namespace}/${pod}/${kind}/${name}`;

export interface ClusterNodeInput {
  contextName: string;
  server: string;
  current: boolean;
  phase: 'connecting' | 'ready' | 'error';
  errorMessage?: string;
  podCount: number;
}

export function clusterNode(input: ClusterNodeInput): NodeDescriptor {
  const { contextName, current, phase } = input;
  return {
    id: clusterId(contextName),
    kind: 'cluster',
    label: contextName,
    description: [current ? 'current' : '', phase === 'error' ? 'unreachable' : phase === 'connecting' ? 'connecting…' : ''].filter(Boolean).join(' · ') || undefined,
    tooltip: [`**${md(contextName)}**${current ? ' (current context)' : ''}`, `Server: ${code(input.server)}`,
      phase === 'error' ? `$(error) ${md(input.errorMessage ?? 'error')}` : `${input.podCount} pods`].join('\n\n'),
    icon: phase === 'error' ? { id: 'error', color: 'list.errorForeground' }
      : { id: 'server-environment', color: current ? 'charts.green' : undefined },
    contextValue: clusterContextValue({ active: current, error: phase === 'error' }),
    collapsible: current ? 'expanded' : 'collapsed',
    contextName,
  };
}

export function messageNode(contextName: string, key: string, text: string, severity: 'info' | 'error'): NodeDescriptor {
  return {
    id: `message:${contextName}/${key}`,
    kind: 'message',
    label: text,
    tooltip: md(text),
    icon: severity === 'error' ? { id: 'error', color: 'list.errorForeground' } : { id: 'info' },
    contextValue: messageContextValue(severity),
    collapsible: 'none',
    contextName,
  };
}

/** A namespace; `podCount` is undefined while it is collapsed (its pods are listed only once it is expanded). */
export function namespaceNode(contextName: string, namespace: string, podCount: number | undefined, troubled: number, phase?: string): NodeDescriptor {
  const counts = podCount === undefined ? '' : `${podCount} pods${troubled ? ` · ${troubled} need attention` : ''}`;
  const description = [counts, phase === 'Terminating' ? 'Terminating' : ''].filter(Boolean).join(' · ');
  return {
    id: namespaceId(contextName, namespace),
    kind: 'namespace',
    label: namespace,
    ...(description !== '' ? { description } : {}),
    tooltip: `**Namespace ${md(namespace)}**\n\n${podCount === undefined ? 'Expand to list and watch its pods (they are watched while it stays expanded).'
      : `${podCount} pods${troubled ? `, ${troubled} crashing or not ready` : ''}`}`,
    icon: { id: 'symbol-namespace', color: troubled ? 'list.warningForeground' : undefined },
    contextValue: NAMESPACE_CONTEXT_VALUE,
    collapsible: 'collapsed',
    contextName,
    namespace,
  };
}

const POD_ICONS: Record<PodHealth, { id: string; color?: string }> = {
  ok: { id: 'pass-filled', color: 'testing.iconPassed' },
  pending: { id: 'clock', color: 'charts.yellow' },
  crashing: { id: 'error', color: 'testing.iconFailed' },
  unready: { id: 'warning', color: 'list.warningForeground' },
  completed: { id: 'pass', color: 'disabledForeground' },
  terminating: { id: 'trash', color: 'disabledForeground' },
};

export function podNode(contextName: string, pod: V1Pod): NodeDescriptor {
  const namespace = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  const summary = summarizePod(pod);
  const needsDebug = summary.health === 'crashing' || summary.health === 'unready';
  const ephemeral = pod.spec?.ephemeralContainers?.length ?? 0;
  const description = `${summary.status} · ${summary.ready}/${summary.total}${summary.restarts ? ` · ${summary.restarts} restarts` : ''}`
    + `${ephemeral ? ` · ${ephemeral} debug` : ''}`;
  const tooltip = [
    `**Pod ${md(name)}** in ${code(namespace)}`,
    `| | |\n|---|---|\n| Status | ${md(summary.status)} |\n| Ready | ${summary.ready}/${summary.total} |\n| Restarts | ${summary.restarts} |`
      + `\n| Node | ${md(pod.spec?.nodeName ?? '—')} |\n| IP | ${md(pod.status?.podIP ?? '—')} |`,
    needsDebug ? '$(debug) Debug it with an ephemeral container.' : '',
  ].filter(Boolean).join('\n\n');
  return {
    id: podId(contextName, namespace, name),
    kind: 'pod',
    label: name,
    description,
    tooltip,
    icon: POD_ICONS[summary.health],
    contextValue: podContextValue(pod, needsDebug),
    collapsible: 'collapsed',
    contextName,
    namespace,
    pod: name,
    needsDebug,
  };
}

export function containerNodes(contextName: string, pod: V1Pod): NodeDescriptor[] {
  const statuses = (list: V1ContainerStatus[] | undefined) => new Map((list ?? []).map((s) => [s.name, s]));
  const init = statuses(pod.status?.initContainerStatuses);
  const regular = statuses(pod.status?.containerStatuses);
  const ephemeral = statuses(pod.status?.ephemeralContainerStatuses);
  return [
    ...(pod.spec?.initContainers ?? []).map((c) => containerNode(contextName, pod, 'init', c, init.get(c.name))),
    ...(pod.spec?.containers ?? []).map((c) => containerNode(contextName, pod, 'regular', c, regular.get(c.name))),
    ...(pod.spec?.ephemeralContainers ?? []).map((c) => containerNode(contextName, pod, 'ephemeral', c, ephemeral.get(c.name))),
  ];
}

const STATE_ICON_COLOR: Record<string, string | undefined> = {
  running: 'testing.iconPassed', waiting: 'charts.yellow', terminated: 'disabledForeground', unknown: undefined,
};

function containerNode(contextName: string, pod: V1Pod, kind: ContainerKind, container: V1Container | V1EphemeralContainer,
  status: V1ContainerStatus | undefined): NodeDescriptor {
  const namespace = pod.metadata?.namespace ?? '';
  const podName = pod.metadata?.name ?? '';
  const { state, text } = describeContainerState(status);
  const target = kind === 'ephemeral' ? (container as V1EphemeralContainer).targetContainerName : undefined;
  const waitingMessage = status?.state?.waiting?.message ?? status?.state?.terminated?.message;
  const icon = { id: kind === 'ephemeral' ? 'debug' : kind === 'init' ? 'debug-step-into' : 'package', color: STATE_ICON_COLOR[state] };
  return {
    id: containerId(contextName, namespace, podName, kind, container.name),
    kind: 'container',
    label: container.name,
    description: [kind === 'regular' ? '' : kind, container.image ?? '', target ? `→ ${target}` : kind === 'ephemeral' ? 'no target' : '', text].filter(Boolean).join(' · '),
    tooltip: [
      `**${kind === 'ephemeral' ? 'Ephemeral container' : kind === 'init' ? 'Init container' : 'Container'} ${md(container.name)}**`,
      `Image: ${code(container.image ?? '')}`,
      kind === 'ephemeral' ? md(`It ${debugContainerReach(pod, target)}.`) : '',
      `State: ${md(text)}${status?.restartCount ? `, ${status.restartCount} restarts` : ''}`,
      waitingMessage ? md(waitingMessage) : '',
    ].filter(Boolean).join('\n\n'),
    icon,
    contextValue: containerContextValue(pod, kind, container.name),
    collapsible: 'none',
    contextName,
    namespace,
    pod: podName,
    container: container.name,
    containerKind: kind,
  };
}

/** An inline code span (no escaping inside one; a backtick would end it). */
export function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

/** Escapes Markdown so names and server messages render literally. */
export function md(text: string): string {
  return text.replace(/([\\`*_{}[\]()#+\-.!|<>~$])/g, '\\$1');
}

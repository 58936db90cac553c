/**
 * The Nodes folder under each cluster: the cluster's nodes (Ready/NotReady, roles, kubelet version), listed and
 * watched only while the folder is expanded, since a large cluster's node status changes all the time. Listing
 * nodes needs cluster-scope `list nodes`, which many users lack: a 403 makes the folder say so in one line and
 * nothing else changes. vscode-free, like the rest of the explorer model.
 */
import type { V1Node } from '@kubernetes/client-node';
import type { ClusterApi, ClusterError } from '../cluster/clusterApi';
import { code, md, type NodeDescriptor } from './descriptors';
import { ListWatch, type BackoffOptions } from './listWatch';

export const nodesFolderId = (context: string): string => `nodes:${context}`;
export const clusterNodeId = (context: string, node: string): string => `node:${context}/${node}`;
export const NODES_FOLDER_CONTEXT_VALUE = 'ephemeralDebug.nodes';

export interface NodeSummary {
  readonly ready: 'Ready' | 'NotReady' | 'Unknown';
  /** From `node-role.kubernetes.io/<role>` labels (and the older `kubernetes.io/role`), sorted. */
  readonly roles: readonly string[];
  readonly kubeletVersion?: string;
  readonly unschedulable: boolean;
  /** The Ready condition's reason and message when not Ready. */
  readonly why?: string;
  readonly internalIP?: string;
}

export function summarizeNode(node: V1Node): NodeSummary {
  const readyCondition = node.status?.conditions?.find((c) => c.type === 'Ready');
  const ready = readyCondition?.status === 'True' ? 'Ready' : readyCondition?.status === 'False' ? 'NotReady' : 'Unknown';
  const labels = node.metadata?.labels ?? {};
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(labels)) {
    if (key.startsWith('node-role.kubernetes.io/') && key.length > 'node-role.kubernetes.io/'.length) roles.add(key.slice('node-role.kubernetes.io/'.length));
    else if (key === 'kubernetes.io/role' && value !== '') roles.add(value);
  }
  const why = ready === 'Ready' ? undefined : [readyCondition?.reason, readyCondition?.message].filter(Boolean).join(': ') || undefined;
  return {
    ready,
    roles: [...roles].sort(),
    kubeletVersion: node.status?.nodeInfo?.kubeletVersion,
    unschedulable: node.spec?.unschedulable === true,
    ...(why !== undefined ? { why } : {}),
    internalIP: node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address,
  };
}

export type NodesPhase = 'idle' | 'loading' | 'ready' | 'forbidden' | 'error';

export interface NodesState {
  readonly phase: NodesPhase;
  /** One line for 'forbidden' and 'error'. */
  readonly message?: string;
  readonly retryInMs?: number;
}

/** One cluster's nodes, list + watch while started (the folder is expanded). */
export class NodesWatcher {
  readonly nodes = new Map<string, V1Node>();
  private loop: ListWatch<V1Node> | undefined;
  private current: NodesState = { phase: 'idle' };

  constructor(
    private readonly createApi: () => ClusterApi,
    private readonly backoff: BackoffOptions,
    private readonly emit: () => void,
  ) {}

  get state(): NodesState {
    return this.current;
  }

  get isStarted(): boolean {
    return this.loop !== undefined;
  }

  start(): void {
    if (this.loop !== undefined) return;
    this.current = { phase: 'loading' };
    const loop: ListWatch<V1Node> = new ListWatch<V1Node>(() => {
      const api = this.createApi();
      return {
        list: () => (api.listNodes !== undefined ? api.listNodes() : Promise.reject(new Error('this cluster facade cannot list nodes'))),
        watch: (resourceVersion, onEvent) => (api.watchNodes !== undefined ? api.watchNodes({ resourceVersion, allowWatchBookmarks: true }, onEvent) : Promise.reject(new Error('this cluster facade cannot watch nodes'))),
      };
    }, {
      onList: (items) => {
        this.nodes.clear();
        for (const node of items) this.nodes.set(node.metadata?.name ?? '', node);
        this.current = { phase: 'ready' };
        this.emit();
      },
      onEvent: (type, node) => {
        const name = node.metadata?.name ?? '';
        if (type === 'DELETED') this.nodes.delete(name);
        else this.nodes.set(name, node);
        this.emit();
      },
      onError: (error: ClusterError, retryInMs) => {
        if (error.code === 403) {
          // Not an outage: the user may not list nodes. Stop asking; Refresh or re-expanding asks again.
          loop.stop();
          this.nodes.clear();
          this.current = { phase: 'forbidden', message: 'needs list nodes' };
        } else {
          this.current = { phase: 'error', message: error.message, retryInMs };
        }
        this.emit();
      },
    }, this.backoff);
    this.loop = loop;
    loop.start();
  }

  /** Collapsed: stop watching and forget (the next expansion lists afresh). */
  stop(): void {
    if (this.loop === undefined) return;
    this.loop.stop();
    this.loop = undefined;
    this.nodes.clear();
    this.current = { phase: 'idle' };
  }

  restart(): void {
    if (this.loop === undefined) return;
    this.stop();
    this.start();
    this.emit();
  }
}

/** The folder: its description says how many nodes and how many are not ready, or why there are none. */
export function nodesFolderNode(contextName: string, watcher: NodesWatcher): NodeDescriptor {
  const { phase, message } = watcher.state;
  const nodes = [...watcher.nodes.values()];
  const notReady = nodes.filter((n) => summarizeNode(n).ready !== 'Ready').length;
  const description = phase === 'forbidden' ? message
    : phase === 'ready' ? `${nodes.length} node${nodes.length === 1 ? '' : 's'}${notReady > 0 ? ` · ${notReady} not ready` : ''}`
      : undefined;
  return {
    id: nodesFolderId(contextName),
    kind: 'nodes',
    label: 'Nodes',
    ...(description !== undefined ? { description } : {}),
    tooltip: phase === 'forbidden'
      ? '**Nodes**\n\nYou may not list nodes in this cluster (cluster-scope RBAC `list` on `nodes`): ask for it to see them here and to debug a node.'
      : "**Nodes**\n\nListed and watched while this folder is expanded. **Debug Node…** on a node runs `kubectl debug node/<node>`: a pod on it with the node's processes, network and `/` at `/host` (governance: `ephemeralDebug.governance.allowNodeDebug`).",
    icon: { id: 'server', color: notReady > 0 ? 'list.warningForeground' : undefined },
    contextValue: NODES_FOLDER_CONTEXT_VALUE,
    collapsible: 'collapsed',
    contextName,
  };
}

/** A node: name; Ready/NotReady, roles, kubelet version in the description; the same and why in the tooltip. */
export function clusterNodeNode(contextName: string, node: V1Node): NodeDescriptor {
  const name = node.metadata?.name ?? '';
  const summary = summarizeNode(node);
  const roles = summary.roles.length > 0 ? summary.roles.join(',') : '<none>';
  const description = [summary.ready, summary.unschedulable ? 'SchedulingDisabled' : '', roles, summary.kubeletVersion ?? ''].filter(Boolean).join(' · ');
  const rows = [
    ['Status', `${summary.ready}${summary.unschedulable ? ', SchedulingDisabled' : ''}`],
    ['Roles', roles],
    ['Kubelet', summary.kubeletVersion ?? '—'],
    ['Internal IP', summary.internalIP ?? '—'],
  ].map(([k, v]) => `| ${k} | ${md(v!)} |`).join('\n');
  return {
    id: clusterNodeId(contextName, name),
    kind: 'node',
    label: name,
    description,
    tooltip: [`**Node ${md(name)}**`, `| | |\n|---|---|\n${rows}`, summary.why !== undefined ? `$(warning) ${md(summary.why)}` : '', `$(debug) Debug Node… runs ${code(`kubectl debug node/${name}`)}'s pod on it.`].filter(Boolean).join('\n\n'),
    icon: summary.ready === 'Ready' ? { id: 'vm-running', color: 'testing.iconPassed' } : { id: 'vm-outline', color: 'list.warningForeground' },
    contextValue: `ephemeralDebug.node.${summary.ready === 'Ready' ? 'ready' : 'notready'}`,
    collapsible: 'none',
    contextName,
    nodeName: name,
  };
}

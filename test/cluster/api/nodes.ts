/**
 * The loopback cluster's one Node (NODE_NAME, the in-process kubelet): what `kubectl get nodes` and the explorer's
 * Nodes folder read. Ready follows the kubelet: NotReady until one is attached, Ready from then on.
 */
import type { V1Node } from '@kubernetes/client-node';
import { NODE_NAME } from '../contracts';
import { VERSION } from './discovery';

export function loopbackNode(kubeletReady: boolean, now: Date = new Date()): V1Node {
  const at = now.toISOString() as unknown as Date; // JSON on the wire
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: NODE_NAME,
      labels: {
        'kubernetes.io/hostname': NODE_NAME,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node-role.kubernetes.io/control-plane': '',
      },
    },
    spec: {},
    status: {
      conditions: [
        kubeletReady
          ? { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: at, lastTransitionTime: at }
          : { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'no kubelet is attached to the loopback API server', lastHeartbeatTime: at, lastTransitionTime: at },
      ],
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: NODE_NAME }],
      nodeInfo: {
        kubeletVersion: VERSION.gitVersion,
        kubeProxyVersion: '',
        containerRuntimeVersion: 'loopback://1.0',
        operatingSystem: 'linux',
        architecture: 'amd64',
        osImage: 'loopback',
        kernelVersion: '',
        machineID: '',
        systemUUID: '',
        bootID: '',
      },
    },
  };
}

/** Field selectors the real server supports for nodes (the ones a client would use here). */
export const NODE_FIELDS: Record<string, (node: Record<string, unknown> & { metadata?: { name?: string }; spec?: { unschedulable?: boolean } }) => string> = {
  'metadata.name': (n) => n.metadata?.name ?? '',
  'spec.unschedulable': (n) => String(n.spec?.unschedulable === true),
};

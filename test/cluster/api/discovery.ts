/** Version and legacy (unaggregated) discovery documents; clients fall back to these when asked for v2. */

export const VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-loopback',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2025-01-01T00:00:00Z',
  goVersion: 'go1.23.4',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export function coreVersions() {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] };
}

export function coreResources(ephemeralContainersEnabled: boolean) {
  const sub = (name: string, kind: string, verbs: string[]) => ({ name, singularName: '', namespaced: true, kind, verbs });
  return {
    kind: 'APIResourceList',
    groupVersion: 'v1',
    resources: [
      { name: 'events', singularName: 'event', namespaced: true, kind: 'Event', verbs: ['list'], shortNames: ['ev'] },
      { name: 'namespaces', singularName: 'namespace', namespaced: false, kind: 'Namespace', verbs: ['create', 'delete', 'get', 'list', 'patch', 'watch'], shortNames: ['ns'] },
      { name: 'nodes', singularName: 'node', namespaced: false, kind: 'Node', verbs: ['get', 'list', 'watch'], shortNames: ['no'] },
      { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['create', 'delete', 'get', 'list', 'patch', 'watch'], shortNames: ['po'], categories: ['all'] },
      sub('pods/attach', 'PodAttachOptions', ['create', 'get']),
      ...(ephemeralContainersEnabled ? [sub('pods/ephemeralcontainers', 'Pod', ['get', 'patch', 'update'])] : []),
      sub('pods/exec', 'PodExecOptions', ['create', 'get']),
      sub('pods/log', 'Pod', ['get']),
      sub('pods/portforward', 'PodPortForwardOptions', ['create', 'get']),
    ],
  };
}

/** The kind of an object served here (the `kind` of a list is this plus `List`). */
export type ApiKind = string;

const workload = (name: string, singularName: string, kind: string, shortNames: string[]) =>
  ({ name, singularName, namespaced: true, kind, verbs: ['create', 'delete', 'get', 'list', 'watch', ...(kind === 'Job' ? [] : ['update'])], shortNames, categories: ['all'] });

const GROUPS = {
  apps: [
    workload('daemonsets', 'daemonset', 'DaemonSet', ['ds']),
    workload('deployments', 'deployment', 'Deployment', ['deploy']),
    workload('replicasets', 'replicaset', 'ReplicaSet', ['rs']),
    workload('statefulsets', 'statefulset', 'StatefulSet', ['sts']),
  ],
  batch: [workload('jobs', 'job', 'Job', [])],
  'authorization.k8s.io': [
    { name: 'selfsubjectaccessreviews', singularName: 'selfsubjectaccessreview', namespaced: false, kind: 'SelfSubjectAccessReview', verbs: ['create'] },
    { name: 'selfsubjectrulesreviews', singularName: 'selfsubjectrulesreview', namespaced: false, kind: 'SelfSubjectRulesReview', verbs: ['create'] },
  ],
  'authentication.k8s.io': [
    { name: 'selfsubjectreviews', singularName: 'selfsubjectreview', namespaced: false, kind: 'SelfSubjectReview', verbs: ['create'] },
  ],
} as const;

export type GroupName = keyof typeof GROUPS;
export const GROUP_NAMES = Object.keys(GROUPS) as GroupName[];

function group(name: GroupName) {
  const gv = { groupVersion: `${name}/v1`, version: 'v1' };
  return { name, versions: [gv], preferredVersion: gv };
}

export function groupList() {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [...GROUP_NAMES.map(group), eventsGroup()] };
}

/** events.k8s.io: served by its own route (namespaced create and list), not by the review handlers. */
export const EVENTS_GROUP = 'events.k8s.io';

function eventsGroup() {
  const gv = { groupVersion: `${EVENTS_GROUP}/v1`, version: 'v1' };
  return { name: EVENTS_GROUP, versions: [gv], preferredVersion: gv };
}

export function eventsGroupDoc() {
  return { kind: 'APIGroup', apiVersion: 'v1', ...eventsGroup() };
}

export function eventsGroupResources() {
  return {
    kind: 'APIResourceList', apiVersion: 'v1', groupVersion: `${EVENTS_GROUP}/v1`,
    resources: [{ name: 'events', singularName: 'event', namespaced: true, kind: 'Event', verbs: ['create', 'list'], shortNames: ['ev'] }],
  };
}

export function groupDoc(name: GroupName) {
  return { kind: 'APIGroup', apiVersion: 'v1', ...group(name) };
}

export function groupResources(name: GroupName) {
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: `${name}/v1`, resources: GROUPS[name] };
}

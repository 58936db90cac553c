/**
 * The extension's features as data, each with the exact API permissions its code needs. "Check My Access"
 * asks the server about each of them; "Generate RBAC for Debugging" derives a Role from them; a test runs
 * each feature's code against the loopback API server and compares what it authorized with this table.
 */

/**
 * Where a permission applies.
 * - `namespace`: a namespaced resource in one namespace; a Role grants it.
 * - `all-namespaces`: a namespaced resource across every namespace (`/api/v1/pods`); only a ClusterRole grants it.
 * - `cluster`: a cluster-scoped resource (namespaces, access reviews); only a ClusterRole grants it.
 */
export type PermissionScope = 'namespace' | 'all-namespaces' | 'cluster';

export interface ApiPermission {
  readonly verb: string;
  /** '' is the core group. */
  readonly group: string;
  readonly resource: string;
  readonly subresource?: string;
  readonly scope: PermissionScope;
  /** false: the feature still works without it, degraded as `why` says. */
  readonly required: boolean;
  /** Granted to every authenticated user by the default ClusterRoles (system:basic-user). */
  readonly defaultGranted?: boolean;
  /** Which call needs it, or what happens without it. */
  readonly why: string;
}

export type FeatureId =
  | 'browse'
  | 'attach'
  | 'shell'
  | 'targetFilesystem'
  | 'diagnostics'
  | 'logs'
  | 'debuggerAttach'
  | 'debugCopy'
  | 'cleanupCopies'
  | 'sessionEvents'
  | 'checkAccess';

export interface Feature {
  readonly id: FeatureId;
  readonly title: string;
  readonly permissions: readonly ApiPermission[];
  /** Shown with the feature in the access report. */
  readonly note?: string;
}

type Options = Partial<Pick<ApiPermission, 'scope' | 'required' | 'defaultGranted'>>;

function pods(verb: string, why: string, options: Options = {}): ApiPermission {
  return { verb, group: '', resource: 'pods', scope: 'namespace', required: true, why, ...options };
}

function podSub(verb: string, subresource: string, why: string, options: Options = {}): ApiPermission {
  return { verb, group: '', resource: 'pods', subresource, scope: 'namespace', required: true, why, ...options };
}

/**
 * exec, attach and portforward over WebSocket (the only transport client-node speaks): the upgrade is an
 * HTTP GET, which the API server's authorization filter checks as `get`; from Kubernetes 1.35 the pod
 * registry also requires `create` (feature gate AuthorizePodWebsocketUpgradeCreatePermission, on by
 * default), the verb SPDY clients such as older kubectl always needed. Granting both works on every version.
 */
function stream(subresource: 'exec' | 'attach' | 'portforward', what: string): ApiPermission[] {
  return [
    podSub('get', subresource, `${what}: the WebSocket upgrade is a GET, authorized as get`),
    podSub('create', subresource, `${what}: Kubernetes 1.35+ also requires create on the WebSocket upgrade`),
  ];
}

const READ_POD = pods('get', 'reads the pod (containers, status) before acting on it');
const WATCH_POD = pods('watch', 'waits for the pod or container to change state by watching the pod');

const LIST_NAMESPACES: ApiPermission[] = [
  { verb: 'list', group: '', resource: 'namespaces', scope: 'cluster', required: false, why: 'lists the namespaces for the tree' },
  { verb: 'watch', group: '', resource: 'namespaces', scope: 'cluster', required: false, why: 'keeps the namespace list current' },
];

const READ_NAMESPACE: ApiPermission = {
  verb: 'get', group: '', resource: 'namespaces', scope: 'cluster', required: false,
  why: 'reads the namespace\'s Pod Security labels; without it the level is inferred from the pod',
};

const SELF_REVIEW: ApiPermission = {
  verb: 'create', group: 'authorization.k8s.io', resource: 'selfsubjectaccessreviews', scope: 'cluster',
  required: true, defaultGranted: true, why: 'asks the server what the current user may do',
};

const ATTACH_DEBUG_CONTAINER: ApiPermission[] = [
  { ...SELF_REVIEW, why: 'the preflight asks whether the user may add and attach before trying' },
  READ_POD,
  WATCH_POD,
  podSub('patch', 'ephemeralcontainers', 'adds the debug container to the pod'),
  ...stream('attach', 'connects the terminal to the debug container'),
  podSub('get', 'log', 'explains a debug container that failed to start with its last log lines', { required: false }),
  READ_NAMESPACE,
];

const EXEC_FEATURE: ApiPermission[] = [READ_POD, ...stream('exec', 'runs commands in the debug container')];

export const FEATURES: readonly Feature[] = [
  {
    id: 'browse',
    title: 'Browse pods in the Clusters tree',
    permissions: [
      pods('list', 'lists the pods of a namespace when it is expanded, in pages'),
      pods('watch', 'keeps an expanded namespace\'s pods current'),
      READ_POD,
      ...LIST_NAMESPACES,
    ],
    note: 'Namespaces are cluster-scoped, so a Role cannot grant listing them: without that the tree shows only the '
      + 'context\'s namespace (set it with `kubectl config set-context --current --namespace=<ns>`) or the namespaces '
      + 'of the namespace filter.',
  },
  {
    id: 'attach',
    title: 'Attach Debug Container',
    permissions: ATTACH_DEBUG_CONTAINER,
  },
  {
    id: 'shell',
    title: 'Open Shell, Shell in Target Root, Stop Debug Container',
    permissions: [...EXEC_FEATURE, WATCH_POD],
  },
  {
    id: 'targetFilesystem',
    title: 'Target Filesystem',
    permissions: EXEC_FEATURE,
  },
  {
    id: 'diagnostics',
    title: 'Diagnostics and playbooks',
    permissions: EXEC_FEATURE,
  },
  {
    id: 'logs',
    title: 'Show Logs',
    permissions: [podSub('get', 'log', 'reads and follows container logs')],
  },
  {
    id: 'debuggerAttach',
    title: 'Attach Debugger',
    permissions: [
      ...ATTACH_DEBUG_CONTAINER,
      pods('list', 'finds the pod by label selector'),
      ...stream('exec', 'lists processes and prepares the runtime'),
      ...stream('portforward', 'forwards the debug port'),
    ],
  },
  {
    id: 'debugCopy',
    title: 'Debug a Copy of the Pod',
    permissions: [
      { ...SELF_REVIEW, why: 'the preflight asks whether the user may create (and delete) pods before trying' },
      pods('create', 'creates the copy'),
      READ_POD,
      WATCH_POD,
      pods('delete', 'deletes the original when asked (kubectl debug --replace)', { required: false }),
      ...stream('attach', 'connects the terminal to the copy'),
      podSub('get', 'log', 'explains a copy whose container fails with its last log lines', { required: false }),
      READ_NAMESPACE,
    ],
    note: 'Creating pods also means Pod Security and admission apply to the copy as to any new pod.',
  },
  {
    id: 'cleanupCopies',
    title: 'Clean Up Debug Copies',
    permissions: [
      pods('list', 'finds the debug copies of the namespace'),
      pods('get', 're-reads each pod before deleting it, to refuse anything not labelled as a debug copy'),
      pods('delete', 'deletes them'),
      pods('list', 'finds debug copies across all namespaces', { scope: 'all-namespaces', required: false }),
    ],
    note: 'Without listing pods across all namespaces (a ClusterRole), clean-up works one namespace at a time.',
  },
  {
    id: 'sessionEvents',
    title: 'Session Events on pods',
    permissions: [
      {
        verb: 'create', group: 'events.k8s.io', resource: 'events', scope: 'namespace', required: false,
        why: 'posts each session\'s start and end as an Event on its pod; without it sessions go on unannounced (you are told once)',
      },
      pods('get', 'reads the pod\'s uid so that `kubectl describe pod` shows the Events', { required: false }),
    ],
    note: 'Turn the Events off with the user setting ephemeralDebug.sessions.clusterEvents.',
  },
  {
    id: 'checkAccess',
    title: 'Check My Access',
    permissions: [SELF_REVIEW],
  },
];

export function featureById(id: FeatureId): Feature {
  const feature = FEATURES.find((f) => f.id === id);
  if (!feature) throw new Error(`unknown feature ${id}`);
  return feature;
}

/** `get pods/exec`, `list namespaces`, `create selfsubjectaccessreviews.authorization.k8s.io`. */
export function permissionLabel(permission: Pick<ApiPermission, 'verb' | 'group' | 'resource' | 'subresource'>): string {
  const resource = permission.subresource ? `${permission.resource}/${permission.subresource}` : permission.resource;
  return `${permission.verb} ${resource}${permission.group ? `.${permission.group}` : ''}`;
}

/** One key per distinct (verb, group, resource, subresource, scope): what one access review answers. */
export function permissionKey(permission: ApiPermission): string {
  return `${permissionLabel(permission)}|${permission.scope}`;
}

/** The distinct permissions of the given features, in first-seen order. */
export function distinctPermissions(features: readonly Feature[]): ApiPermission[] {
  const seen = new Map<string, ApiPermission>();
  for (const feature of features) {
    for (const permission of feature.permissions) {
      const key = permissionKey(permission);
      const known = seen.get(key);
      // Required by any feature wins over optional elsewhere.
      if (!known || (!known.required && permission.required)) seen.set(key, permission);
    }
  }
  return [...seen.values()];
}

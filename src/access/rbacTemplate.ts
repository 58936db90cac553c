/**
 * "Generate RBAC for Debugging": a Role and RoleBinding granting, in one namespace, exactly the permissions
 * of the feature table (no wildcards), and an audit Policy that records the debugging requests. Plain text
 * is written by hand so the YAML carries comments explaining each choice.
 */
import { FEATURES, type ApiPermission, type FeatureId, permissionLabel } from './features';

export interface DebugRbacOptions {
  readonly namespace: string;
  /** The group (as the cluster's authenticator reports it) bound to the Role. */
  readonly group: string;
  /** Name of the Role and the RoleBinding (default `ephemeral-debug`). */
  readonly roleName?: string;
  /** The features to grant (default: all). */
  readonly features?: readonly FeatureId[];
}

export const DEFAULT_ROLE_NAME = 'ephemeral-debug';

/** One rule of the generated Role. */
export interface GeneratedRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
}

export class RbacInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RbacInputError';
  }
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Binding these would grant the Role to every user (or to anonymous requests). */
const EVERYONE = new Set(['system:authenticated', 'system:unauthenticated']);

export function validateNamespace(namespace: string): void {
  if (namespace.length === 0 || namespace.length > 63 || !DNS_LABEL.test(namespace)) {
    throw new RbacInputError(`Namespace ${shown(namespace)} is not a valid name: use lowercase letters, digits and "-" (at most 63), starting and ending alphanumeric`);
  }
}

export function validateGroup(group: string): void {
  if (group.trim().length === 0) throw new RbacInputError('The group is empty: enter the group your cluster\'s authentication puts debugging users in');
  if (group !== group.trim() || /[\u0000-\u001f\u007f]/.test(group) || group.length > 256) {
    throw new RbacInputError(`Group ${shown(group)} has surrounding spaces, control characters or is too long: enter the group name exactly as the cluster reports it`);
  }
  if (EVERYONE.has(group)) {
    throw new RbacInputError(`Group "${group}" contains every ${group === 'system:authenticated' ? 'signed-in' : 'anonymous'} user: choose the group of the people who debug`);
  }
}

export function validateRoleName(name: string): void {
  if (name.length === 0 || name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    throw new RbacInputError(`Role name ${shown(name)} is not a valid name: use lowercase letters, digits, "-" and "." (at most 253)`);
  }
}

function selectedPermissions(features: readonly FeatureId[] | undefined): ApiPermission[] {
  const chosen = features === undefined ? FEATURES : FEATURES.filter((f) => features.includes(f.id));
  const unknown = (features ?? []).filter((id) => !FEATURES.some((f) => f.id === id));
  if (unknown.length > 0) throw new RbacInputError(`Unknown feature(s) ${unknown.join(', ')}: choose from ${FEATURES.map((f) => f.id).join(', ')}`);
  return chosen.flatMap((f) => f.permissions);
}

/**
 * The Role's rules: every namespace-scoped permission of the features (optional ones too: the Role should
 * make them all work), one rule per API group and resource, verbs and rules sorted.
 */
export function debugRoleRules(features?: readonly FeatureId[]): GeneratedRule[] {
  const verbsByResource = new Map<string, Set<string>>();
  for (const p of selectedPermissions(features)) {
    if (p.scope !== 'namespace') continue;
    const key = `${p.group}\u0000${p.subresource ? `${p.resource}/${p.subresource}` : p.resource}`;
    const verbs = verbsByResource.get(key) ?? new Set<string>();
    verbs.add(p.verb);
    verbsByResource.set(key, verbs);
  }
  return [...verbsByResource.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, verbs]) => {
      const [group, resource] = key.split('\u0000');
      return { apiGroups: [group], resources: [resource], verbs: [...verbs].sort() };
    });
}

/** The permissions a Role cannot grant, for the header comment. */
function notInRole(features?: readonly FeatureId[]): { clusterScoped: string[]; defaultGranted: string[] } {
  const clusterScoped = new Set<string>();
  const defaultGranted = new Set<string>();
  for (const p of selectedPermissions(features)) {
    if (p.scope === 'namespace') continue;
    const label = permissionLabel(p) + (p.scope === 'all-namespaces' ? ' (all namespaces)' : '');
    (p.defaultGranted ? defaultGranted : clusterScoped).add(label);
  }
  return { clusterScoped: [...clusterScoped], defaultGranted: [...defaultGranted] };
}

/** A Role and a RoleBinding (two YAML documents) for `kubectl apply -f`. */
export function generateDebugRbac(options: DebugRbacOptions): string {
  const roleName = options.roleName ?? DEFAULT_ROLE_NAME;
  validateNamespace(options.namespace);
  validateGroup(options.group);
  validateRoleName(roleName);
  const rules = debugRoleRules(options.features);
  const { clusterScoped, defaultGranted } = notInRole(options.features);
  const list = (items: readonly string[]) => `[${items.map(quote).join(', ')}]`;

  const lines = [
    `# Kubernetes Ephemeral Debug: what the extension needs in namespace ${options.namespace}, and nothing else.`,
    '# exec, attach and portforward list both get (the WebSocket upgrade is a GET) and create (required as',
    '# well from Kubernetes 1.35, and by SPDY clients such as older kubectl).',
  ];
  if (clusterScoped.length > 0) {
    lines.push(
      '# Not granted here, because a Role cannot (they need a ClusterRole and ClusterRoleBinding):',
      ...clusterScoped.map((label) => `#   ${label}`),
      '# Without them the tree shows only the context\'s namespace and the Pod Security level is inferred.',
    );
  }
  if (defaultGranted.length > 0) lines.push(`# Granted to every signed-in user by default: ${defaultGranted.join(', ')}.`);
  lines.push(
    'apiVersion: rbac.authorization.k8s.io/v1',
    'kind: Role',
    'metadata:',
    `  name: ${roleName}`,
    `  namespace: ${options.namespace}`,
    'rules:',
    ...rules.flatMap((r) => [
      `  - apiGroups: ${list(r.apiGroups)}`,
      `    resources: ${list(r.resources)}`,
      `    verbs: ${list(r.verbs)}`,
    ]),
    '---',
    'apiVersion: rbac.authorization.k8s.io/v1',
    'kind: RoleBinding',
    'metadata:',
    `  name: ${roleName}`,
    `  namespace: ${options.namespace}`,
    'roleRef:',
    '  apiGroup: rbac.authorization.k8s.io',
    '  kind: Role',
    `  name: ${roleName}`,
    'subjects:',
    '  - apiGroup: rbac.authorization.k8s.io',
    '    kind: Group',
    `    name: ${quote(options.group)}`,
  );
  return lines.join('\n') + '\n';
}

export interface AuditPolicyOptions {
  /** Limit the pod create/delete rule to this group (the debugging users); default: everyone. */
  readonly group?: string;
}

/**
 * An audit.k8s.io/v1 Policy for the API server's --audit-policy-file that records debugging and nothing else.
 * The first matching rule sets an event's level; the final None rule states that nothing else is recorded.
 */
export function generateAuditPolicy(options: AuditPolicyOptions = {}): string {
  if (options.group !== undefined) validateGroup(options.group);
  const podWrites = [
    '  # Pods created or deleted: debug copies (and the originals they replace). Metadata keeps it small;',
    options.group === undefined
      ? '  # controllers create pods too, so add userGroups: [...] to keep only the people who debug.'
      : '  # only for the debugging group: controllers create pods all the time.',
    '  - level: Metadata',
    ...(options.group === undefined ? [] : [`    userGroups: [${quote(options.group)}]`]),
    '    verbs: ["create", "delete"]',
    '    resources:',
    '      - group: ""',
    '        resources: ["pods"]',
  ];
  return [
    '# Kubernetes Ephemeral Debug: audit who debugged what. Use as the API server\'s --audit-policy-file',
    '# (managed clusters such as EKS, GKE and AKS have their own audit settings instead).',
    'apiVersion: audit.k8s.io/v1',
    'kind: Policy',
    '# RequestReceived adds an event per request before its outcome is known; the later stages suffice.',
    'omitStages:',
    '  - RequestReceived',
    'rules:',
    '  # Debug containers added: the request and response bodies show the image, command, target and',
    '  # securityContext (the profile) of each ephemeral container.',
    '  - level: RequestResponse',
    '    verbs: ["patch", "update"]',
    '    resources:',
    '      - group: ""',
    '        resources: ["pods/ephemeralcontainers"]',
    '  # Shells, attached terminals and port-forwards: who, which pod and when. The stream itself is never',
    '  # audited; for exec the command is in the recorded requestURI.',
    '  - level: Metadata',
    '    resources:',
    '      - group: ""',
    '        resources: ["pods/attach", "pods/exec", "pods/portforward"]',
    ...podWrites,
    '  # Everything else is not recorded. A request no rule matches is not logged anyway; saying it keeps a',
    '  # catch-all (as in many example policies) from being appended and turning this into a firehose.',
    '  - level: None',
  ].join('\n') + '\n';
}

/** A value inside a one-line message: quoted, with line breaks and control characters escaped. */
function shown(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

/** A double-quoted YAML scalar (JSON strings are valid YAML). */
function quote(value: string): string {
  return JSON.stringify(value);
}

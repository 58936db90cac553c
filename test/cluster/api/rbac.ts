/**
 * RBAC as data: each user is bound to a list of PolicyRules, matched the way the real RBAC authorizer does
 * (wildcards, "resource/subresource", resourceNames, nonResourceURLs with a trailing "*").
 */
import type { UserInfo, UserName } from './auth';

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface ResourceAttributes {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export interface NonResourceAttributes {
  verb: string;
  path: string;
}

const READ = ['get', 'list', 'watch'];

/** What every authenticated user may do (system:basic-user, system:discovery, system:public-info-viewer). */
const BASIC: PolicyRule[] = [
  { verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] },
  { verbs: ['create'], apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'] },
  {
    verbs: ['get'],
    nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/version', '/version/', '/healthz', '/readyz', '/livez',
      '/openapi', '/openapi/*'],
  },
];

export const ROLES: Record<UserName, { role: string; rules: PolicyRule[] }> = {
  admin: {
    role: 'cluster-admin',
    rules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }],
  },
  viewer: {
    role: 'loopback-viewer',
    rules: [{ verbs: READ, apiGroups: ['*'], resources: ['*'] }],
  },
  debugger: {
    role: 'loopback-debugger',
    rules: [
      { verbs: READ, apiGroups: [''], resources: ['pods', 'pods/log', 'namespaces'] },
      // The workloads the Clusters view shows pods under, and debug actions on a workload resolve through.
      { verbs: READ, apiGroups: ['apps'], resources: ['deployments', 'replicasets', 'statefulsets', 'daemonsets'] },
      { verbs: READ, apiGroups: ['batch'], resources: ['jobs'] },
      { verbs: ['patch'], apiGroups: [''], resources: ['pods/ephemeralcontainers'] },
      // get: the WebSocket upgrade (a GET) as every API server authorizes it; create: checked as well since 1.35.
      { verbs: ['get', 'create'], apiGroups: [''], resources: ['pods/attach', 'pods/exec', 'pods/portforward'] },
      // Sessions announce themselves as Events on the pod (src/session/clusterEvents.ts).
      { verbs: ['create'], apiGroups: ['events.k8s.io'], resources: ['events'] },
    ],
  },
};

export function rulesFor(user: UserInfo): { role: string; rules: PolicyRule[] } {
  const entry = ROLES[user.username as UserName];
  return entry ? { role: entry.role, rules: [...entry.rules, ...BASIC] } : { role: '', rules: BASIC };
}

const has = (list: string[] | undefined, v: string) => !!list && (list.includes('*') || list.includes(v));

function resourceMatches(rule: PolicyRule, a: ResourceAttributes): boolean {
  if (!rule.resources || !rule.apiGroups) return false;
  if (!has(rule.verbs, a.verb) || !has(rule.apiGroups, a.group)) return false;
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const resOk = rule.resources.some((r) => r === '*' || r === combined || (!!a.subresource && r === `*/${a.subresource}`));
  if (!resOk) return false;
  if (rule.resourceNames && rule.resourceNames.length > 0) return !!a.name && rule.resourceNames.includes(a.name);
  return true;
}

function nonResourceMatches(rule: PolicyRule, a: NonResourceAttributes): boolean {
  if (!rule.nonResourceURLs || !has(rule.verbs, a.verb)) return false;
  return rule.nonResourceURLs.some((u) => u === '*' || u === a.path || (u.endsWith('*') && a.path.startsWith(u.slice(0, -1))));
}

export interface Decision {
  allowed: boolean;
  reason: string;
}

export function authorizeResource(user: UserInfo, a: ResourceAttributes): Decision {
  const { role, rules } = rulesFor(user);
  const rule = rules.find((r) => resourceMatches(r, a));
  if (!rule) return { allowed: false, reason: '' };
  return { allowed: true, reason: allowedBy(user, BASIC.includes(rule) ? 'system:basic-user' : role) };
}

export function authorizeNonResource(user: UserInfo, a: NonResourceAttributes): Decision {
  const { role, rules } = rulesFor(user);
  const rule = rules.find((r) => nonResourceMatches(r, a));
  if (!rule) return { allowed: false, reason: '' };
  return { allowed: true, reason: allowedBy(user, BASIC.includes(rule) ? 'system:discovery' : role) };
}

function allowedBy(user: UserInfo, role: string): string {
  return `RBAC: allowed by ClusterRoleBinding "${role}" of ClusterRole "${role}" to User "${user.username}"`;
}

/** The real authorizer's denial text, e.g. `pods "x" is forbidden: User "u" cannot delete resource "pods" ...`. */
export function forbiddenMessage(user: UserInfo, a: ResourceAttributes): string {
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const groupResource = a.group ? `${a.resource}.${a.group}` : a.resource;
  const subject = a.name ? `${groupResource} "${a.name}"` : groupResource;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  return `${subject} is forbidden: User "${user.username}" cannot ${a.verb} resource "${combined}" in API group "${a.group}" ${scope}`;
}

export function forbiddenPathMessage(user: UserInfo, a: NonResourceAttributes): string {
  return `forbidden: User "${user.username}" cannot ${a.verb} path "${a.path}"`;
}

/** The rules a SelfSubjectRulesReview reports for a namespace. */
export function rulesReview(user: UserInfo): { resourceRules: object[]; nonResourceRules: object[] } {
  const { rules } = rulesFor(user);
  return {
    resourceRules: rules.filter((r) => r.resources).map((r) => ({
      verbs: r.verbs, apiGroups: r.apiGroups, resources: r.resources, ...(r.resourceNames ? { resourceNames: r.resourceNames } : {}),
    })),
    nonResourceRules: rules.filter((r) => r.nonResourceURLs).map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs })),
  };
}

/**
 * The access feature table, the generated Role/RoleBinding and audit Policy (parsed back as YAML), the
 * snippets that mirror them, and Check My Access against a stand-in ClusterApi.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import type { V1ResourceAttributes } from '@kubernetes/client-node';
import type { ClusterApi } from '../../../src/cluster/clusterApi';
import { checkAccess, formatAccessReport } from '../../../src/access/checkAccess';
import { distinctPermissions, FEATURES, featureById, permissionLabel } from '../../../src/access/features';
import { debugRoleRules, generateAuditPolicy, generateDebugRbac, RbacInputError } from '../../../src/access/rbacTemplate';

const snippetsPath = join(__dirname, '../../../snippets/kubernetes-ephemeral-rbac.json');

interface Rule { apiGroups: string[]; resources: string[]; verbs: string[] }

interface RbacDocument {
  kind: string;
  metadata: { name: string; namespace: string };
  rules: Rule[];
  roleRef: unknown;
  subjects: unknown;
}

interface AuditRule {
  level: string;
  verbs?: string[];
  userGroups?: string[];
  resources?: { group: string; resources: string[] }[];
}

function parseRbac(text: string): { role: RbacDocument; binding: RbacDocument } {
  const docs = parseAllDocuments(text).map((d) => {
    assert.deepEqual(d.errors, [], 'the YAML parses without errors');
    return d.toJS() as RbacDocument;
  });
  assert.equal(docs.length, 2);
  assert.equal(docs[0]!.kind, 'Role');
  assert.equal(docs[1]!.kind, 'RoleBinding');
  return { role: docs[0]!, binding: docs[1]! };
}

/** Every (resource, verb) pair a set of rules grants. */
function grantedPairs(rules: readonly Rule[]): Set<string> {
  return new Set(rules.flatMap((r) => r.resources.flatMap((res) => r.verbs.map((v) => `${r.apiGroups[0]}|${res}|${v}`))));
}

describe('access: feature table', () => {
  it('asks for both get and create on every WebSocket subresource (the upgrade is a GET; 1.35+ also checks create)', () => {
    for (const feature of FEATURES) {
      for (const sub of ['exec', 'attach', 'portforward']) {
        const verbs = feature.permissions.filter((p) => p.resource === 'pods' && p.subresource === sub).map((p) => p.verb).sort();
        if (verbs.length > 0) assert.deepEqual(verbs, ['create', 'get'], `${feature.id} pods/${sub}`);
      }
    }
  });

  it('keeps cluster-scoped needs optional except the default-granted access review, and documents the namespace fallback', () => {
    for (const feature of FEATURES) {
      for (const p of feature.permissions.filter((x) => x.scope !== 'namespace')) {
        assert.ok(!p.required || p.defaultGranted, `${feature.id}: ${permissionLabel(p)} (${p.scope}) must not be required`);
      }
    }
    assert.match(featureById('browse').note ?? '', /context's namespace/);
  });

  it('gives every feature at least one permission and every permission a reason', () => {
    for (const feature of FEATURES) {
      assert.ok(feature.permissions.length > 0, feature.id);
      for (const p of feature.permissions) assert.ok(p.why.length > 10, `${feature.id}: ${permissionLabel(p)}`);
    }
  });
});

describe('access: generated Role and RoleBinding', () => {
  it('parses back into a Role whose rules grant exactly the namespaced permissions of the features, rule by rule', () => {
    const { role, binding } = parseRbac(generateDebugRbac({ namespace: 'demo', group: 'team:debuggers' }));
    assert.equal(role.metadata.namespace, 'demo');
    assert.equal(role.metadata.name, 'ephemeral-debug');
    const expected = new Set(FEATURES.flatMap((f) => f.permissions)
      .filter((p) => p.scope === 'namespace')
      .map((p) => `${p.group}|${p.subresource ? `${p.resource}/${p.subresource}` : p.resource}|${p.verb}`));
    assert.deepEqual([...grantedPairs(role.rules)].sort(), [...expected].sort());
    assert.deepEqual(role.rules, debugRoleRules());
    assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'ephemeral-debug' });
    assert.deepEqual(binding.subjects, [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'team:debuggers' }]);
    assert.equal(binding.metadata.namespace, 'demo');
  });

  it('has no wildcards, one resource per rule, verbs and rules sorted, never cluster-scoped resources', () => {
    const { role } = parseRbac(generateDebugRbac({ namespace: 'demo', group: 'g' }));
    const keys = role.rules.map((r) => `${r.apiGroups[0]}/${r.resources[0]}`);
    assert.deepEqual(keys, [...keys].sort());
    for (const r of role.rules) {
      assert.equal(r.resources.length, 1);
      assert.deepEqual(r.verbs, [...r.verbs].sort());
      assert.ok(![...r.verbs, ...r.resources, ...r.apiGroups].includes('*'));
      assert.ok(!['namespaces', 'selfsubjectaccessreviews'].includes(r.resources[0]!), r.resources[0]);
    }
    assert.deepEqual(role.rules.find((r) => r.resources[0] === 'pods/ephemeralcontainers')?.verbs, ['patch']);
  });

  it('grants only the chosen features', () => {
    const { role } = parseRbac(generateDebugRbac({ namespace: 'demo', group: 'g', roleName: 'log-reader', features: ['logs'] }));
    assert.equal(role.metadata.name, 'log-reader');
    assert.deepEqual(role.rules, [{ apiGroups: [''], resources: ['pods/log'], verbs: ['get'] }]);
    const viewer = parseRbac(generateDebugRbac({ namespace: 'demo', group: 'g', features: ['browse', 'logs'] })).role;
    assert.ok(!grantedPairs(viewer.rules).has('|pods/exec|create'));
  });

  it('refuses bad input with one-line messages', () => {
    const cases: [Parameters<typeof generateDebugRbac>[0], RegExp][] = [
      [{ namespace: 'Demo', group: 'g' }, /Namespace "Demo" is not a valid name/],
      [{ namespace: 'a'.repeat(64), group: 'g' }, /not a valid name/],
      [{ namespace: 'demo', group: '  ' }, /group is empty/],
      [{ namespace: 'demo', group: 'ops\nroot' }, /control characters/],
      [{ namespace: 'demo', group: 'system:authenticated' }, /every signed-in user/],
      [{ namespace: 'demo', group: 'system:unauthenticated' }, /every anonymous user/],
      [{ namespace: 'demo', group: 'g', roleName: 'Bad_Name' }, /Role name "Bad_Name"/],
      [{ namespace: 'demo', group: 'g', features: ['nope' as never] }, /Unknown feature\(s\) nope/],
    ];
    for (const [options, message] of cases) {
      assert.throws(() => generateDebugRbac(options), (e: unknown) => {
        assert.ok(e instanceof RbacInputError);
        assert.match(e.message, message);
        assert.ok(!e.message.includes('\n'), 'one line');
        return true;
      });
    }
  });
});

describe('access: generated audit Policy', () => {
  it('records ephemeral containers with bodies, streams as metadata, nothing else, and skips RequestReceived', () => {
    const policy = parse(generateAuditPolicy()) as { apiVersion: string; kind: string; omitStages: string[]; rules: AuditRule[] };
    assert.equal(policy.apiVersion, 'audit.k8s.io/v1');
    assert.equal(policy.kind, 'Policy');
    assert.deepEqual(policy.omitStages, ['RequestReceived']);
    const levelOf = (resource: string, verb: string) => policy.rules.find((r) =>
      (!r.verbs || r.verbs.includes(verb)) && (!r.resources || r.resources.some((g) => g.group === '' && g.resources.includes(resource))))?.level;
    assert.equal(levelOf('pods/ephemeralcontainers', 'patch'), 'RequestResponse');
    assert.equal(levelOf('pods/ephemeralcontainers', 'get'), 'None', 'reads are not recorded');
    for (const sub of ['pods/attach', 'pods/exec', 'pods/portforward']) {
      assert.equal(levelOf(sub, 'create'), 'Metadata', sub);
      assert.equal(levelOf(sub, 'get'), 'Metadata', `${sub} over WebSocket`);
    }
    assert.equal(levelOf('pods', 'create'), 'Metadata');
    assert.equal(levelOf('pods', 'list'), 'None');
    assert.equal(levelOf('secrets', 'get'), 'None');
    assert.deepEqual(policy.rules.at(-1), { level: 'None' }, 'the last rule records nothing');
  });

  it('limits pod writes to the debugging group when given one', () => {
    const policy = parse(generateAuditPolicy({ group: 'team:debuggers' })) as { rules: AuditRule[] };
    assert.deepEqual(policy.rules.find((r) => r.verbs?.includes('delete'))?.userGroups, ['team:debuggers']);
    assert.throws(() => generateAuditPolicy({ group: 'system:authenticated' }), RbacInputError);
  });
});

describe('access: snippets', () => {
  const snippets = JSON.parse(readFileSync(snippetsPath, 'utf8')) as Record<string, { prefix: string; body: string[] }>;
  /** What the user gets by accepting every placeholder's default. */
  const expand = (body: string[]) => body.join('\n').replace(/\$\{\d+:([^}]*)\}/g, '$1').replace(/\\\$/g, '$') + '\n';

  it('the RBAC snippet is what the command generates, with namespace, group and role name as placeholders', () => {
    const snippet = Object.values(snippets).find((s) => s.prefix === 'kubernetes-ephemeral-rbac');
    assert.ok(snippet);
    assert.equal(expand(snippet.body), generateDebugRbac({ namespace: 'default', group: 'developers', roleName: 'ephemeral-debug' }));
    assert.match(snippet.body.join('\n'), /\$\{1:default\}[\s\S]*\$\{2:developers\}/);
  });

  it('the audit snippet is the generated Policy', () => {
    const snippet = Object.values(snippets).find((s) => s.prefix === 'kubernetes-ephemeral-audit-policy');
    assert.ok(snippet);
    assert.equal(expand(snippet.body), generateAuditPolicy({ group: 'developers' }));
  });
});

describe('access: Check My Access (stand-in API)', () => {
  function fakeApi(allow: (a: V1ResourceAttributes) => boolean): { api: ClusterApi; asked: V1ResourceAttributes[] } {
    const asked: V1ResourceAttributes[] = [];
    const api = {
      contextName: 'test', defaultNamespace: 'demo',
      canI: async (attributes: readonly V1ResourceAttributes[]) => {
        asked.push(...attributes);
        return attributes.map(allow);
      },
    } as unknown as ClusterApi;
    return { api, asked };
  }

  it('asks once per distinct permission, namespaced ones in the namespace, cluster-scoped ones without it', async () => {
    const { api, asked } = fakeApi(() => true);
    const results = await checkAccess(api, 'demo');
    const distinct = distinctPermissions(FEATURES).filter((p) => p.resource !== 'selfsubjectaccessreviews');
    assert.equal(asked.length, distinct.length);
    assert.equal(new Set(asked.map((a) => JSON.stringify(a))).size, asked.length, 'no attribute set asked twice');
    for (const a of asked) {
      const clusterWide = a.resource === 'namespaces' || a.namespace === undefined;
      if (a.resource === 'namespaces') assert.equal(a.namespace, undefined);
      if (!clusterWide) assert.equal(a.namespace, 'demo');
    }
    assert.ok(results.every((r) => r.allowed && r.missing.length === 0 && r.missingOptional.length === 0));
    assert.match(formatAccessReport(results, { contextName: 'test', namespace: 'demo' }), /Every feature is available/);
  });

  it('names the missing verb of each denied feature and separates optional gaps', async () => {
    const { api } = fakeApi((a) => !(a.subresource === 'exec' && a.verb === 'get') && a.resource !== 'namespaces' && a.namespace !== undefined);
    const results = await checkAccess(api, 'demo');
    const byId = new Map(results.map((r) => [r.id, r]));
    assert.deepEqual(byId.get('shell')?.missing, ['get pods/exec']);
    assert.equal(byId.get('shell')?.allowed, false);
    assert.equal(byId.get('logs')?.allowed, true);
    const browse = byId.get('browse')!;
    assert.equal(browse.allowed, true);
    assert.deepEqual(browse.missingOptional, ['list namespaces', 'watch namespaces']);
    assert.equal(byId.get('checkAccess')?.allowed, true, 'answers prove the review is allowed');
    const report = formatAccessReport(results, { contextName: 'ctx', namespace: 'demo', user: 'jane' });
    assert.match(report, /^# Access in context ctx, namespace demo as jane$/m);
    assert.match(report, /- \*\*no \*\* Open Shell.* — needs `get pods\/exec`/);
    assert.match(report, /- \*\*partly\*\* Browse pods.*\n {2}- without `list namespaces`.*context's namespace/);
    assert.match(report, /feature\(s\) unavailable/);
  });
});

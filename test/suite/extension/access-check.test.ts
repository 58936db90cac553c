/**
 * Check My Access against the test cluster for its three users, with the expected answers derived from
 * the cluster's RBAC rules; then each feature's real engine code runs as admin with the API server's audit
 * hook on, and what the server authorized is compared, rule by rule, with the feature table and the Role.
 */
import { debugCopyOfPod } from '../../../src/debug/copyFlow';
import { deleteDebugCopies, listDebugCopies } from '../../../src/debug/debugCopies';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseAllDocuments } from 'yaml';
import { checkAccess, reviewAttributes, type FeatureAccess } from '../../../src/access/checkAccess';
import { FEATURES, featureById, permissionLabel, type ApiPermission, type FeatureId, type PermissionScope } from '../../../src/access/features';
import { generateDebugRbac } from '../../../src/access/rbacTemplate';
import { createClusterApi } from '../../../src/cluster/client';
import type { ClusterApi, WatchHandle } from '../../../src/cluster/clusterApi';
import { attachDebugContainer } from '../../../src/debug/attachFlow';
import { execCapture } from '../../../src/debug/execCapture';
import { stopDebugContainer } from '../../../src/debug/stopDebugContainer';
import { startPortForward } from '../../../src/launch/portForward';
import { SessionAnnouncer, SessionJournal, newSessionId } from '../../../src/session';
import type { UserName } from '../../cluster/api/auth';
import { authorizeResource, type ResourceAttributes } from '../../cluster/api/rbac';
import type { AuthorizationRecord } from '../../cluster/api/server';
import { startTestCluster, type TestCluster } from '../../cluster/testCluster';
import { isRunning, waitForPod } from '../loopback/helpers/client';
import { requireRealPods } from '../loopback/helpers/requirePods';
import { loopbackOnly } from './helpers/loopbackOnly';
import { uncheckedPodForTest } from './helpers/policyChecked';

const NAMESPACE = 'demo';
const GROUPS: Record<UserName, string[]> = {
  admin: ['system:masters', 'system:authenticated'],
  viewer: ['loopback:viewers', 'system:authenticated'],
  debugger: ['loopback:debuggers', 'system:authenticated'],
};

/** What the loopback's RBAC rules answer for one permission (the same question the review asks). */
function rulesAllow(user: UserName, permission: ApiPermission): boolean {
  const a = reviewAttributes(permission, NAMESPACE);
  return authorizeResource({ username: user, uid: `loopback-${user}`, groups: GROUPS[user] }, {
    verb: a.verb!, group: a.group ?? '', resource: a.resource!, subresource: a.subresource, namespace: a.namespace,
  }).allowed;
}

function expectedAccess(user: UserName): Pick<FeatureAccess, 'id' | 'allowed' | 'missing' | 'missingOptional'>[] {
  return FEATURES.map((feature) => {
    const lacking = feature.permissions.filter((p) => p.resource !== 'selfsubjectaccessreviews' && !rulesAllow(user, p));
    const labels = (required: boolean) => [...new Set(lacking.filter((p) => p.required === required)
      .map((p) => permissionLabel(p) + (p.scope === 'all-namespaces' ? ' (all namespaces)' : '')))];
    return { id: feature.id, allowed: labels(true).length === 0, missing: labels(true), missingOptional: labels(false) };
  });
}

function scopeOf(a: ResourceAttributes): PermissionScope {
  if (a.resource === 'namespaces' || a.group === 'authorization.k8s.io') return 'cluster';
  return a.namespace ? 'namespace' : 'all-namespaces';
}

function covers(p: ApiPermission, a: ResourceAttributes): boolean {
  return p.verb === a.verb && p.group === a.group && p.resource === a.resource
    && (p.subresource ?? '') === (a.subresource ?? '') && p.scope === scopeOf(a);
}

function describeAttributes(a: ResourceAttributes): string {
  return `${permissionLabel(a)} (${scopeOf(a)}${a.namespace ? ` ${a.namespace}` : ''})`;
}

class Sink extends Writable {
  override _write(_chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    callback();
  }
}

function httpGet(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('access: Check My Access and the generated Role on the test cluster', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let admin: ClusterApi;
  const records: AuthorizationRecord[] = [];

  before(async function () {
    requireRealPods(this);
    cluster = await startTestCluster({ pullDelayMs: 20, backoffBaseMs: 200, onAuthorized: (r) => records.push(r) });
    const kc = cluster.kubeConfig();
    admin = createClusterApi(kc);
    await waitForPod(kc, NAMESPACE, 'node-app', isRunning('app'));
  });

  after(async () => {
    await cluster?.stop();
  });

  for (const user of ['admin', 'debugger', 'viewer'] as const) {
    it(`answers for ${user} exactly what the cluster's RBAC rules allow`, async () => {
      const results = await checkAccess(createClusterApi(cluster.kubeConfig(user)), NAMESPACE);
      assert.deepEqual(results.map(({ id, allowed, missing, missingOptional }) => ({ id, allowed, missing, missingOptional })), expectedAccess(user));

      const byId = new Map(results.map((r) => [r.id, r]));
      const allowed = (id: FeatureId) => byId.get(id)!.allowed;
      if (user === 'admin') {
        assert.ok(results.every((r) => r.allowed && r.missingOptional.length === 0), 'admin can do everything');
      }
      if (user === 'viewer') {
        assert.ok(allowed('browse') && allowed('logs'));
        for (const id of ['attach', 'shell', 'targetFilesystem', 'debuggerAttach', 'debugCopy', 'cleanupCopies'] as const) assert.ok(!allowed(id), id);
        assert.ok(byId.get('attach')!.missing.includes('patch pods/ephemeralcontainers'));
      }
      if (user === 'debugger') {
        assert.ok(allowed('browse') && allowed('logs') && allowed('checkAccess'));
        assert.ok(!byId.get('attach')!.missing.includes('patch pods/ephemeralcontainers'));
        assert.deepEqual(byId.get('debugCopy')!.missing.filter((m) => !m.includes('/')), ['create pods']);
        assert.deepEqual(byId.get('debugCopy')!.missingOptional, ['delete pods'], 'deleting the original (replace) is optional');
        assert.deepEqual(byId.get('cleanupCopies')!.missing, ['delete pods']);
      }
    });

    loopbackOnly.it(`asks for ${user} one access review per distinct permission, and nothing else`, async () => {
      const start = records.length;
      await checkAccess(createClusterApi(cluster.kubeConfig(user)), NAMESPACE);
      const reviews = records.slice(start).filter((r) => r.user === user);
      assert.ok(reviews.every((r) => r.attributes.resource === 'selfsubjectaccessreviews' && r.allowed), 'only access reviews, all allowed');
      const distinct = new Set(FEATURES.flatMap((f) => f.permissions).filter((p) => p.resource !== 'selfsubjectaccessreviews')
        .map((p) => `${permissionLabel(p)}|${p.scope}`));
      assert.equal(reviews.length, distinct.size);
    });
  }

  // The API server's audit hook records what each request made it authorize: a loopback feature.
  loopbackOnly.describe('what each feature\'s code makes the server authorize (as admin)', () => {
    const seen = new Map<FeatureId, AuthorizationRecord[]>();
    let debugContainer = '';

    async function exercise(id: FeatureId, run: () => Promise<void>): Promise<void> {
      const start = records.length;
      await run();
      const mine = records.slice(start).filter((r) => r.user === 'admin');
      seen.set(id, mine);
      const feature = featureById(id);
      const uncovered = mine.filter((r) => !feature.permissions.some((p) => covers(p, r.attributes)));
      assert.deepEqual(uncovered.map((r) => describeAttributes(r.attributes)), [], `${id} used permissions its table entry does not list`);
      assert.ok(mine.length > 0);
    }

    it('browse: list and watch namespaces and pods, read a pod', () => exercise('browse', async () => {
      const stops: WatchHandle[] = [];
      const namespaces = await admin.listNamespaces();
      stops.push(await admin.watchNamespaces({ resourceVersion: namespaces.resourceVersion }, () => undefined));
      // The explorer lists and watches the pods of an expanded namespace only (never all namespaces).
      const pods = await admin.listPods(NAMESPACE);
      stops.push(await admin.watchPods(NAMESPACE, { resourceVersion: pods.resourceVersion }, () => undefined));
      await admin.readPod(NAMESPACE, 'node-app');
      for (const handle of stops) handle.stop();
    }));

    it('attach: the attach flow adds a debug container, then a terminal attaches to it', () => exercise('attach', async () => {
      const result = await attachDebugContainer(admin, { namespace: NAMESPACE, podName: 'node-app' });
      debugContainer = result.containerName;
      const connection = await admin.attach(NAMESPACE, 'node-app', debugContainer, { stdout: new Sink(), tty: true });
      connection.close();
      await connection.closed;
    }));

    for (const id of ['targetFilesystem', 'diagnostics'] as const) {
      it(`${id}: commands run in the debug container`, () => exercise(id, async () => {
        const result = await execCapture(admin, NAMESPACE, 'node-app', debugContainer, ['ls', '/proc/1/root/']);
        assert.equal(result.exitCode, 0);
      }));
    }

    it('logs: reads a container log', () => exercise('logs', async () => {
      await admin.readLog(NAMESPACE, 'node-app', 'app', { tailLines: 5 });
    }));

    it('debuggerAttach: finds the pod by label, runs a command and forwards a port', () => exercise('debuggerAttach', async () => {
      const pods = await admin.listPods(NAMESPACE, { labelSelector: 'app=node-app' });
      assert.equal(pods.items[0]?.metadata?.name, 'node-app');
      await execCapture(admin, NAMESPACE, 'node-app', debugContainer, ['true']);
      const forward = await startPortForward(admin, { namespace: NAMESPACE, pod: 'node-app', remotePort: 8080 });
      try {
        assert.ok(await httpGet(forward.localPort) > 0);
      } finally {
        await forward.stop();
      }
    }));

    it('shell: a command runs and Stop Debug Container ends the container', () => exercise('shell', async () => {
      await execCapture(admin, NAMESPACE, 'node-app', debugContainer, ['true']);
      await stopDebugContainer(admin, NAMESPACE, 'node-app', debugContainer);
    }));

    it('debugCopy: the copy flow (replacing the original) creates a copy, waits for it and deletes the original', async () => {
      // The original is a throw-away pod made outside the recorded window: replacing it deletes it.
      await admin.createPod(NAMESPACE, uncheckedPodForTest({ metadata: { name: 'to-replace', labels: { app: 'to-replace' } }, spec: { containers: [{ name: 'app', image: 'busybox:1.36', command: ['sleep', '3600'] }] } }));
      let copyName = '';
      await exercise('debugCopy', async () => {
        const result = await debugCopyOfPod(admin, { namespace: NAMESPACE, podName: 'to-replace', replace: true, debugContainer: { image: 'busybox:1.36' } }, { creator: 'admin' }, {
          confirmDeleteOriginal: async () => true,
        });
        copyName = result.copyName;
        assert.equal(result.originalDeleted, true);
      });
      await admin.deletePod(NAMESPACE, copyName, { gracePeriodSeconds: 0 });
    });

    it('cleanupCopies: Clean Up lists copies everywhere and deletes one', async () => {
      // The leftover is made outside the recorded window: creating copies is debugCopy's part.
      const made = await debugCopyOfPod(admin, { namespace: NAMESPACE, podName: 'node-app', replaceCommand: { container: 'app', command: ['/nodejs/bin/node', '-e', 'setInterval(() => {}, 1000)'] } }, { creator: 'admin' });
      await exercise('cleanupCopies', async () => {
        const copies = await listDebugCopies(admin);
        assert.deepEqual(copies.map((c) => c.name), [made.copyName]);
        const results = await deleteDebugCopies(admin, copies);
        assert.deepEqual(results.map((r) => r.outcome), ['deleted']);
      });
    });

    it('sessionEvents: a journaled session announces its start and end on the pod', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'access-events-'));
      try {
        const journal = await SessionJournal.open(dir, { retentionDays: 1 });
        const announcer = new SessionAnnouncer(journal, { enabled: () => true, reportingInstance: 'access-test', logger: { info: () => undefined, warn: (m) => assert.fail(m) } });
        const id = newSessionId();
        await exercise('sessionEvents', async () => {
          announcer.track(id, admin);
          const record = await journal.start({ kind: 'shell', identity: { username: 'admin', groups: [], source: 'kubeconfig' }, context: admin.contextName, namespace: NAMESPACE, pod: 'node-app' }, id);
          await record.end({ status: 'completed' });
          await announcer.settled();
        });
        announcer.dispose();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('checkAccess: only access reviews', () => exercise('checkAccess', async () => {
      await checkAccess(admin, NAMESPACE);
    }));

    it('the generated Role covers every namespaced request, and every verb it grants was used by some feature', () => {
      assert.equal(seen.size, FEATURES.length, 'every feature was exercised');
      const [role] = parseAllDocuments(generateDebugRbac({ namespace: NAMESPACE, group: 'debuggers' })).map((d) => d.toJS() as {
        rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
      });
      const all = [...seen.values()].flat().map((r) => r.attributes);
      const roleCovers = (a: ResourceAttributes) => role!.rules.some((rule) => rule.apiGroups.includes(a.group) && rule.verbs.includes(a.verb)
        && rule.resources.includes(a.subresource ? `${a.resource}/${a.subresource}` : a.resource));
      const outsideRole = all.filter((a) => scopeOf(a) !== 'namespace' || a.namespace !== NAMESPACE);
      // (a) namespaced requests: granted by the Role; the rest: documented as cluster-scoped or default-granted.
      const notCovered = all.filter((a) => scopeOf(a) === 'namespace' && !roleCovers(a)).map(describeAttributes);
      assert.deepEqual(notCovered, []);
      for (const a of outsideRole) {
        const documented = FEATURES.flatMap((f) => f.permissions).find((p) => covers(p, a));
        assert.ok(documented !== undefined && documented.scope !== 'namespace', `${describeAttributes(a)} is documented as cluster-scoped or default-granted`);
      }
      // (b) nothing in the Role that no feature used.
      const used = new Set(all.filter((a) => scopeOf(a) === 'namespace')
        .map((a) => `${a.group}|${a.subresource ? `${a.resource}/${a.subresource}` : a.resource}|${a.verb}`));
      const unused = role!.rules.flatMap((rule) => rule.resources.flatMap((res) => rule.verbs.map((v) => `${rule.apiGroups[0]}|${res}|${v}`)))
        .filter((pair) => !used.has(pair));
      assert.deepEqual(unused, []);
    });
  });
});

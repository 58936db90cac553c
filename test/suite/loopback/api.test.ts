/** The loopback API server against the real @kubernetes/client-node: auth, RBAC, discovery, pods, lists. */
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { AuthenticationV1Api, AuthorizationV1Api, KubeConfig } from '@kubernetes/client-node';
import type { KubeletApi } from '../../cluster/contracts';
import { rawRequest, simplePod, startApi, statusOf, type TestApi } from './helpers/api-server';

describe('loopback API server', () => {
  let api: TestApi;
  before(async () => {
    api = await startApi();
    api.server.store.createNamespace({ metadata: { name: 'demo' } });
    api.server.store.createPod({ metadata: { name: 'node-app', namespace: 'demo', labels: { app: 'node', tier: 'web' } }, spec: { containers: [{ name: 'app', image: 'node:22' }] } });
  });
  after(() => api.stop());

  describe('authentication and authorization', () => {
    it('writes a 0600 kubeconfig with three contexts, admin current', async () => {
      assert.equal((await stat(api.kubeconfigPath)).mode & 0o777, 0o600);
      const kc = new KubeConfig();
      kc.loadFromFile(api.kubeconfigPath);
      assert.equal(kc.getCurrentContext(), 'loopback-admin');
      assert.deepEqual(kc.getContexts().map((c) => c.name).sort(), ['loopback-admin', 'loopback-debugger', 'loopback-viewer']);
      assert.equal(kc.getCurrentCluster()?.name, 'loopback');
    });

    it('answers 401 Unauthorized for a wrong or missing token, but serves /version and /healthz', async () => {
      for (const token of ['wrong', null]) {
        const res = await rawRequest(api, 'GET', '/api/v1/pods', { token });
        assert.equal(res.status, 401);
        const s = JSON.parse(res.body);
        assert.deepEqual([s.kind, s.status, s.reason, s.message, s.code], ['Status', 'Failure', 'Unauthorized', 'Unauthorized', 401]);
      }
      assert.equal((await rawRequest(api, 'GET', '/version', { token: null })).status, 200);
      assert.equal((await rawRequest(api, 'GET', '/healthz', { token: null })).body, 'ok');
    });

    it('never logs tokens', () => {
      const all = api.logLines.join('\n');
      for (const t of Object.values(api.server.tokens)) assert.ok(!all.includes(t));
      assert.match(all, /GET \/api\/v1\/pods 401 \d+ms/);
    });

    it('forbids with the real message for viewer and debugger', async () => {
      let s = await statusOf(api.core('debugger').deleteNamespacedPod({ namespace: 'demo', name: 'node-app' }));
      assert.equal(s.code, 403);
      assert.equal(s.reason, 'Forbidden');
      assert.equal(s.message, 'pods "node-app" is forbidden: User "debugger" cannot delete resource "pods" in API group "" in the namespace "demo"');
      assert.deepEqual(s.details, { name: 'node-app', kind: 'pods' });
      s = await statusOf(api.core('viewer').createNamespacedPod({ namespace: 'demo', body: simplePod('x') }));
      assert.equal(s.message, 'pods is forbidden: User "viewer" cannot create resource "pods" in API group "" in the namespace "demo"');
      s = await statusOf(api.core('viewer').createNamespace({ body: { metadata: { name: 'x' } } }));
      assert.equal(s.message, 'namespaces is forbidden: User "viewer" cannot create resource "namespaces" in API group "" at the cluster scope');
      s = await statusOf(api.core('debugger').createNamespacedPod({ namespace: 'demo', body: simplePod('x') }));
      assert.equal(s.code, 403);
      // The viewer may read.
      assert.equal((await api.core('viewer').listPodForAllNamespaces()).items.length, 1);
    });

    it('answers SelfSubjectAccessReviews per user from the same rules', async () => {
      const can = async (user: 'admin' | 'viewer' | 'debugger', verb: string, resource: string, subresource?: string) => {
        const authz = api.kubeConfig(user).makeApiClient(AuthorizationV1Api);
        const r = await authz.createSelfSubjectAccessReview({
          body: { spec: { resourceAttributes: { namespace: 'demo', verb, resource, subresource, name: 'node-app' } } },
        });
        return r.status?.allowed;
      };
      assert.equal(await can('admin', 'delete', 'pods'), true);
      assert.equal(await can('viewer', 'list', 'pods'), true);
      assert.equal(await can('viewer', 'patch', 'pods', 'ephemeralcontainers'), false);
      assert.equal(await can('debugger', 'patch', 'pods', 'ephemeralcontainers'), true);
      assert.equal(await can('debugger', 'create', 'pods', 'attach'), true);
      assert.equal(await can('debugger', 'create', 'pods', 'exec'), true);
      assert.equal(await can('debugger', 'create', 'pods', 'portforward'), true);
      assert.equal(await can('debugger', 'get', 'pods', 'log'), true);
      assert.equal(await can('debugger', 'delete', 'pods'), false);
      assert.equal(await can('debugger', 'create', 'pods'), false);
      assert.equal(await can('viewer', 'create', 'pods', 'exec'), false);
    });

    it('answers SelfSubjectReview with the user', async () => {
      const authn = api.kubeConfig('debugger').makeApiClient(AuthenticationV1Api);
      const r = await authn.createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
      assert.equal(r.status?.userInfo?.username, 'debugger');
      assert.ok(r.status?.userInfo?.groups?.includes('system:authenticated'));
    });
  });

  describe('discovery and errors', () => {
    it('lists the core resources and groups', async () => {
      const v1 = JSON.parse((await rawRequest(api, 'GET', '/api/v1')).body);
      const names = v1.resources.map((r: { name: string }) => r.name);
      for (const n of ['pods', 'pods/log', 'pods/exec', 'pods/attach', 'pods/portforward', 'pods/ephemeralcontainers', 'namespaces', 'events']) {
        assert.ok(names.includes(n), n);
      }
      const groups = JSON.parse((await rawRequest(api, 'GET', '/apis')).body).groups.map((g: { name: string }) => g.name);
      assert.deepEqual(groups.sort(), ['apps', 'authentication.k8s.io', 'authorization.k8s.io', 'batch', 'events.k8s.io']);
      assert.equal(JSON.parse((await rawRequest(api, 'GET', '/version')).body).major, '1');
    });

    it('answers every error as a complete metav1.Status', async () => {
      const cases: [string, string, number, string][] = [
        ['GET', '/api/v1/namespaces/demo/pods/nope', 404, 'NotFound'],
        ['GET', '/api/v1/nothing', 404, 'NotFound'],
        ['PUT', '/api/v1/namespaces/demo/pods', 405, 'MethodNotAllowed'],
        ['GET', '/api/v1/pods?labelSelector=a%20in%20(', 400, 'BadRequest'],
        ['GET', '/api/v1/pods?fieldSelector=spec.foo%3Dbar', 400, 'BadRequest'],
      ];
      for (const [method, path, code, reason] of cases) {
        const res = await rawRequest(api, method, path);
        assert.equal(res.status, code, path);
        assert.match(String(res.headers['content-type']), /application\/json/);
        const s = JSON.parse(res.body);
        for (const k of ['kind', 'apiVersion', 'metadata', 'status', 'message', 'reason', 'details', 'code']) assert.ok(k in s, `${path}: ${k}`);
        assert.deepEqual([s.kind, s.status, s.reason, s.code], ['Status', 'Failure', reason, code]);
      }
      const s = JSON.parse((await rawRequest(api, 'GET', '/api/v1/namespaces/demo/pods/nope')).body);
      assert.equal(s.message, 'pods "nope" not found');
      assert.deepEqual(s.details, { name: 'nope', kind: 'pods' });
    });
  });

  describe('namespaces', () => {
    it('patches labels and annotations (kubectl label namespace), and refuses to change anything else', async () => {
      api.server.store.createNamespace({ metadata: { name: 'to-label' } });
      const merge = { contentType: 'application/merge-patch+json' };
      const labelled = await rawRequest(api, 'PATCH', '/api/v1/namespaces/to-label', { ...merge, body: JSON.stringify({ metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } }) });
      assert.equal(labelled.status, 200, labelled.body);
      assert.equal(api.server.store.getNamespace('to-label')?.metadata?.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
      const renamed = await rawRequest(api, 'PATCH', '/api/v1/namespaces/to-label', { ...merge, body: JSON.stringify({ metadata: { generateName: 'x-' } }) });
      assert.equal(renamed.status, 422);
      assert.match(JSON.parse(renamed.body).message, /changes only metadata\.labels and metadata\.annotations/);
      const missing = await rawRequest(api, 'PATCH', '/api/v1/namespaces/nope', { ...merge, body: '{}' });
      assert.equal(missing.status, 404);
    });
  });

  describe('pods', () => {
    it('keeps a pod created again under a deleted pod\'s name safe from the old pod\'s status and removal', () => {
      const store = api.server.store;
      const old = store.createPod({ ...simplePod('reborn'), metadata: { name: 'reborn', namespace: 'demo' } });
      store.deletePod('demo', 'reborn', 0);
      const reborn = store.createPod({ ...simplePod('reborn'), metadata: { name: 'reborn', namespace: 'demo' } });
      assert.notEqual(reborn.metadata?.uid, old.metadata?.uid);
      store.updatePodStatus('demo', 'reborn', (pod) => { pod.status = { phase: 'Failed' }; }, old.metadata?.uid);
      assert.notEqual(store.getPod('demo', 'reborn')?.status?.phase, 'Failed', 'the old pod\'s status was written over the new one');
      store.removePod('demo', 'reborn', old.metadata?.uid);
      assert.equal(store.getPod('demo', 'reborn')?.metadata?.uid, reborn.metadata?.uid, 'the old pod\'s removal took the new one');
      store.deletePod('demo', 'reborn', 0);
    });

    it('defaults what the kubelet needs on create', async () => {
      const pod = await api.core().createNamespacedPod({ namespace: 'demo', body: simplePod('defaults') });
      const c = pod.spec!.containers[0];
      assert.ok(pod.metadata?.uid && pod.metadata.resourceVersion && pod.metadata.creationTimestamp);
      assert.equal(pod.status?.phase, 'Pending');
      assert.deepEqual([pod.spec?.restartPolicy, pod.spec?.dnsPolicy, pod.spec?.schedulerName, pod.spec?.nodeName, pod.spec?.serviceAccountName, pod.spec?.enableServiceLinks],
        ['Always', 'ClusterFirst', 'default-scheduler', 'loopback', 'default', true]);
      assert.deepEqual([c.terminationMessagePolicy, c.terminationMessagePath, c.imagePullPolicy], ['File', '/dev/termination-log', 'IfNotPresent']);
      await api.core().deleteNamespacedPod({ namespace: 'demo', name: 'defaults' });
    });

    it('rejects invalid pods with 422 causes and duplicates with 409', async () => {
      let s = await statusOf(api.core().createNamespacedPod({
        namespace: 'demo',
        body: { metadata: { name: 'Bad_Name' }, spec: { containers: [{ name: 'a', image: '' }, { name: 'a', image: 'x' }] } },
      }));
      assert.equal(s.code, 422);
      assert.equal(s.reason, 'Invalid');
      assert.deepEqual(s.details.causes!.map((c) => `${c.field} ${c.reason}`), [
        'metadata.name FieldValueInvalid', 'spec.containers[0].image FieldValueRequired', 'spec.containers[1].name FieldValueDuplicate',
      ]);
      assert.match(s.message, /^Pod "Bad_Name" is invalid: \[metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
      s = await statusOf(api.core().createNamespacedPod({ namespace: 'demo', body: simplePod('node-app') }));
      assert.deepEqual([s.code, s.reason, s.message], [409, 'AlreadyExists', 'pods "node-app" already exists']);
      s = await statusOf(api.core().createNamespacedPod({ namespace: 'nowhere', body: simplePod('p') }));
      assert.deepEqual([s.code, s.message], [404, 'namespaces "nowhere" not found']);
    });

    it('serves logs through the kubelet, with the real error for several containers', async () => {
      const calls: string[] = [];
      const kubelet = {
        logs: async (ns: string, pod: string, container: string, o: { tailLines?: number; follow?: boolean }) => {
          calls.push(`${ns}/${pod}/${container} tail=${o.tailLines} follow=${o.follow}`);
          return Readable.from(['line 1\n', 'line 2\n']);
        },
      } as unknown as KubeletApi;
      const logsApi = await startApi({ kubelet });
      try {
        logsApi.server.store.createPod({ metadata: { name: 'one', namespace: 'default' }, spec: { containers: [{ name: 'app', image: 'x' }] } });
        logsApi.server.store.createPod({ metadata: { name: 'two', namespace: 'default' }, spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'x' }], initContainers: [{ name: 'i', image: 'x' }] } });
        const text = await logsApi.core('debugger').readNamespacedPodLog({ namespace: 'default', name: 'one', tailLines: 2 });
        assert.equal(text, 'line 1\nline 2\n');
        assert.deepEqual(calls, ['default/one/app tail=2 follow=false']);
        const s = await statusOf(logsApi.core().readNamespacedPodLog({ namespace: 'default', name: 'two' }));
        assert.equal(s.code, 400);
        assert.equal(s.message, 'a container name must be specified for pod two, choose one of: [a b] or one of the init containers: [i]');
        const s2 = await statusOf(logsApi.core().readNamespacedPodLog({ namespace: 'default', name: 'one', container: 'zzz' }));
        assert.equal(s2.message, 'container zzz is not valid for pod one');
      } finally {
        await logsApi.stop();
      }
    });

    it('deletes gracefully when a kubelet is attached: MODIFIED with deletionTimestamp, then DELETED on removePod', async () => {
      const g = await startApi({ kubelet: {} as KubeletApi });
      try {
        const events: string[] = [];
        const off = g.server.store.onPodChange((type, pod) => events.push(`${type} ${pod.metadata?.deletionTimestamp ? 'terminating' : ''}`.trim()));
        await g.core().createNamespacedPod({ namespace: 'default', body: simplePod('slow') });
        const deleted = await g.core().deleteNamespacedPod({ namespace: 'default', name: 'slow', gracePeriodSeconds: 5 });
        assert.ok(deleted.metadata?.deletionTimestamp);
        assert.equal(deleted.metadata?.deletionGracePeriodSeconds, 5);
        assert.ok(g.server.store.getPod('default', 'slow'), 'still there until the kubelet is done');
        g.server.store.removePod('default', 'slow');
        assert.equal(g.server.store.getPod('default', 'slow'), undefined);
        assert.deepEqual(events, ['ADDED', 'MODIFIED terminating', 'DELETED terminating']);
        off();
      } finally {
        await g.stop();
      }
    });

    it('deletes at once without a kubelet', async () => {
      await api.core().createNamespacedPod({ namespace: 'demo', body: simplePod('quick') });
      await api.core().deleteNamespacedPod({ namespace: 'demo', name: 'quick' });
      assert.equal(api.server.store.getPod('demo', 'quick'), undefined);
    });

    it('lets the kubelet change only the status', async () => {
      api.server.store.updatePodStatus('demo', 'node-app', (p) => {
        p.status = { ...p.status, phase: 'Running' };
        p.spec!.containers[0].image = 'evil';
      });
      const pod = await api.core().readNamespacedPod({ namespace: 'demo', name: 'node-app' });
      assert.equal(pod.status?.phase, 'Running');
      assert.equal(pod.spec?.containers[0].image, 'node:22');
    });
  });
});

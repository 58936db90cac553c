/** pods/ephemeralcontainers: the real API server's rules, the three patch types, PUT, and Pod Security. */
import assert from 'node:assert/strict';
import { PatchStrategy, setHeaderOptions, type V1EphemeralContainer, type V1Pod } from '@kubernetes/client-node';
import type { Status } from '../../cluster/api/status';
import { rawRequest, startApi, statusOf, type TestApi } from './helpers/api-server';

const SMP = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

describe('loopback API server: ephemeral containers', () => {
  let api: TestApi;
  let n = 0;
  let pod: string;
  beforeEach(async () => {
    api ??= await startApi();
    if (!api.server.store.getNamespace('demo')) api.server.store.createNamespace({ metadata: { name: 'demo' } });
    pod = `target-${++n}`;
    api.server.store.createPod({
      metadata: { name: pod, namespace: 'demo' },
      spec: { containers: [{ name: 'app', image: 'node:22' }], initContainers: [{ name: 'init', image: 'busybox' }], volumes: [{ name: 'data', emptyDir: {} }] },
    });
  });
  after(() => api?.stop());

  const add = (user: 'admin' | 'debugger', ...ecs: V1EphemeralContainer[]) =>
    api.core(user).patchNamespacedPodEphemeralcontainers({ namespace: 'demo', name: pod, body: { spec: { ephemeralContainers: ecs } } }, SMP);
  const causes = (s: Status) =>
    (s.details.causes ?? []).map((c) => `${c.field}: ${c.message}`);

  it('adds one with a strategic-merge patch as the debugger, defaulted, and keeps existing ones', async () => {
    const p1 = await add('debugger', { name: 'debugger-aaaaa', image: 'busybox', targetContainerName: 'app', stdin: true, tty: true });
    assert.equal(p1.spec?.ephemeralContainers?.[0].terminationMessagePolicy, 'File');
    const p2 = await add('debugger', { name: 'debugger-bbbbb', image: 'busybox' });
    assert.deepEqual(p2.spec?.ephemeralContainers?.map((c) => c.name), ['debugger-aaaaa', 'debugger-bbbbb']);
    assert.ok(Number(p2.metadata!.resourceVersion) > Number(p1.metadata!.resourceVersion));
    const read = await api.core().readNamespacedPodEphemeralcontainers({ namespace: 'demo', name: pod });
    assert.equal(read.spec?.ephemeralContainers?.length, 2);
  });

  it('accepts an empty resources object as kubectl debug sends it', async () => {
    await add('admin', { name: 'dbg', image: 'busybox', resources: {} });
  });

  it('accepts JSON merge patch and JSON patch (client-node default)', async () => {
    await api.core().patchNamespacedPodEphemeralcontainers({ namespace: 'demo', name: pod, body: { spec: { ephemeralContainers: [{ name: 'merge', image: 'busybox' }] } } }, MERGE);
    const p = await api.core().patchNamespacedPodEphemeralcontainers({
      namespace: 'demo', name: pod,
      body: [{ op: 'add', path: '/spec/ephemeralContainers/-', value: { name: 'jsonpatch', image: 'busybox' } }],
    });
    assert.deepEqual(p.spec?.ephemeralContainers?.map((c) => c.name), ['merge', 'jsonpatch']);
  });

  it('replaces the list with PUT, with a resourceVersion conflict check', async () => {
    const current = await api.core().readNamespacedPodEphemeralcontainers({ namespace: 'demo', name: pod });
    const body: V1Pod = { ...current, spec: { ...current.spec!, ephemeralContainers: [{ name: 'put', image: 'busybox' }] } };
    const p = await api.core().replaceNamespacedPodEphemeralcontainers({ namespace: 'demo', name: pod, body });
    assert.deepEqual(p.spec?.ephemeralContainers?.map((c) => c.name), ['put']);
    const s = await statusOf(api.core().replaceNamespacedPodEphemeralcontainers({ namespace: 'demo', name: pod, body }));
    assert.deepEqual([s.code, s.reason], [409, 'Conflict']);
  });

  it('drops changes outside spec.ephemeralContainers', async () => {
    const p = await api.core().patchNamespacedPodEphemeralcontainers({
      namespace: 'demo', name: pod,
      body: { metadata: { labels: { sneaky: 'yes' } }, spec: { containers: [{ name: 'app', image: 'evil' }], ephemeralContainers: [{ name: 'ok', image: 'busybox' }] } },
    }, SMP);
    assert.equal(p.metadata?.labels?.sneaky, undefined);
    assert.equal(p.spec?.containers[0].image, 'node:22');
    assert.equal(p.spec?.ephemeralContainers?.[0].name, 'ok');
  });

  it('rejects forbidden fields with one cause per field', async () => {
    const s = await statusOf(add('admin', { name: 'bad', image: 'busybox', ports: [{ containerPort: 80 }], resources: { limits: { cpu: '1' } }, livenessProbe: { exec: { command: ['true'] } }, lifecycle: { preStop: { exec: { command: ['true'] } } } }));
    assert.deepEqual([s.code, s.reason], [422, 'Invalid']);
    assert.deepEqual(causes(s).sort(), [
      'spec.ephemeralContainers[0].lifecycle: Forbidden: cannot be set for an Ephemeral Container',
      'spec.ephemeralContainers[0].livenessProbe: Forbidden: cannot be set for an Ephemeral Container',
      'spec.ephemeralContainers[0].ports: Forbidden: cannot be set for an Ephemeral Container',
      'spec.ephemeralContainers[0].resources: Forbidden: cannot be set for an Ephemeral Container',
    ]);
    assert.ok(s.details.causes!.every((c) => c.reason === 'FieldValueForbidden'));
    assert.match(s.message, new RegExp(`^Pod "${pod}" is invalid: \\[spec\\.ephemeralContainers\\[0\\]\\.`));
  });

  it('rejects subPath mounts, unknown volumes, duplicate and bad names, bad targets and a missing image', async () => {
    const cases: [V1EphemeralContainer, string][] = [
      [{ name: 'a', image: 'b', volumeMounts: [{ name: 'data', mountPath: '/d', subPath: 'x' }] }, 'spec.ephemeralContainers[0].volumeMounts[0].subPath: Forbidden: cannot be set for an Ephemeral Container'],
      [{ name: 'a', image: 'b', volumeMounts: [{ name: 'nope', mountPath: '/d' }] }, 'spec.ephemeralContainers[0].volumeMounts[0].name: Not found: "nope"'],
      [{ name: 'app', image: 'b' }, 'spec.ephemeralContainers[0].name: Duplicate value: "app"'],
      [{ name: 'init', image: 'b' }, 'spec.ephemeralContainers[0].name: Duplicate value: "init"'],
      [{ name: 'Bad_Name', image: 'b' }, 'spec.ephemeralContainers[0].name: Invalid value: "Bad_Name": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character (e.g. \'my-name\',  or \'123-abc\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?\')'],
      [{ name: 'a', image: 'b', targetContainerName: 'ghost' }, 'spec.ephemeralContainers[0].targetContainerName: Not found: "ghost"'],
      [{ name: 'a' } as V1EphemeralContainer, 'spec.ephemeralContainers[0].image: Required value'],
    ];
    for (const [ec, expected] of cases) {
      const s = await statusOf(add('admin', ec));
      assert.equal(s.code, 422, expected);
      assert.deepEqual(causes(s), [expected]);
    }
    // Two new ones with the same name, and a target that is itself an ephemeral container.
    await add('admin', { name: 'first', image: 'b' });
    // A strategic merge would fold two same-named entries into one: a merge patch sends the whole list.
    const first = (await api.core().readNamespacedPodEphemeralcontainers({ namespace: 'demo', name: pod })).spec!.ephemeralContainers!;
    let s = await statusOf(api.core().patchNamespacedPodEphemeralcontainers({
      namespace: 'demo', name: pod, body: { spec: { ephemeralContainers: [...first, { name: 'twin', image: 'b' }, { name: 'twin', image: 'b' }] } },
    }, MERGE));
    assert.deepEqual(causes(s), ['spec.ephemeralContainers[2].name: Duplicate value: "twin"']);
    s = await statusOf(add('admin', { name: 'second', image: 'b', targetContainerName: 'first' }));
    assert.deepEqual(causes(s), ['spec.ephemeralContainers[1].targetContainerName: Not found: "first"']);
    // The init container is a valid target.
    await add('admin', { name: 'third', image: 'b', targetContainerName: 'init' });
  });

  it('refuses to change or remove existing ephemeral containers', async () => {
    await add('admin', { name: 'keep', image: 'busybox' });
    let s = await statusOf(add('admin', { name: 'keep', image: 'alpine' }));
    assert.deepEqual(causes(s), ['spec.ephemeralContainers: Forbidden: existing ephemeral containers "keep" may not be changed']);
    s = await statusOf(api.core().patchNamespacedPodEphemeralcontainers({ namespace: 'demo', name: pod, body: [{ op: 'remove', path: '/spec/ephemeralContainers/0' }] }));
    assert.deepEqual(causes(s), ['spec.ephemeralContainers: Forbidden: existing ephemeral containers "keep" may not be removed']);
    s = await statusOf(api.core().patchNamespacedPodEphemeralcontainers({ namespace: 'demo', name: pod, body: { spec: { ephemeralContainers: [{ name: 'other', image: 'b' }] } } }, MERGE));
    assert.deepEqual(causes(s), ['spec.ephemeralContainers: Forbidden: existing ephemeral containers "keep" may not be removed']);
  });

  it('answers 415 for an unknown patch type, 404 for a missing pod, 403 for the viewer', async () => {
    const res = await rawRequest(api, 'PATCH', `/api/v1/namespaces/demo/pods/${pod}/ephemeralcontainers`, { body: '{}', contentType: 'text/plain' });
    assert.equal(res.status, 415);
    assert.equal(JSON.parse(res.body).reason, 'UnsupportedMediaType');
    const s = await statusOf(api.core().patchNamespacedPodEphemeralcontainers({ namespace: 'demo', name: 'ghost', body: { spec: {} } }, SMP));
    assert.deepEqual([s.code, s.message], [404, 'pods "ghost" not found']);
    const v = await statusOf(api.core('viewer').patchNamespacedPodEphemeralcontainers({ namespace: 'demo', name: pod, body: { spec: {} } }, SMP));
    assert.equal(v.message, `pods "${pod}" is forbidden: User "viewer" cannot patch resource "pods/ephemeralcontainers" in API group "" in the namespace "demo"`);
  });

  it('answers 404 NotFound with an empty details.name when the feature is disabled', async () => {
    const off = await startApi({ ephemeralContainersEnabled: false });
    try {
      off.server.store.createPod({ metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'app', image: 'x' }] } });
      const s = await statusOf(off.core().patchNamespacedPodEphemeralcontainers({ namespace: 'default', name: 'p', body: { spec: { ephemeralContainers: [{ name: 'd', image: 'b' }] } } }, SMP));
      assert.deepEqual([s.code, s.reason, s.details.name ?? ''], [404, 'NotFound', '']);
    } finally {
      await off.stop();
    }
  });
});

describe('loopback API server: Pod Security admission', () => {
  let api: TestApi;
  before(async () => {
    api = await startApi();
    for (const level of ['baseline', 'restricted']) {
      api.server.store.createNamespace({ metadata: { name: level, labels: { 'pod-security.kubernetes.io/enforce': level } } });
    }
  });
  after(() => api.stop());

  const compliant = {
    runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
  };

  it('enforces baseline on create', async () => {
    const s = await statusOf(api.core().createNamespacedPod({
      namespace: 'baseline',
      body: { metadata: { name: 'bad' }, spec: { hostPID: true, containers: [{ name: 'app', image: 'x', securityContext: { privileged: true, capabilities: { add: ['SYS_ADMIN'] } } }] } },
    }));
    assert.equal(s.code, 403);
    assert.equal(s.message, 'pods "bad" is forbidden: violates PodSecurity "baseline:latest": non-default capabilities (container "app" must not include "SYS_ADMIN" in securityContext.capabilities.add), host namespaces (hostPID=true), privileged (container "app" must not set securityContext.privileged=true)');
    await api.core().createNamespacedPod({ namespace: 'baseline', body: { metadata: { name: 'fine' }, spec: { containers: [{ name: 'app', image: 'x' }] } } });
  });

  it('enforces restricted on create with all failing checks in order', async () => {
    const s = await statusOf(api.core().createNamespacedPod({
      namespace: 'restricted',
      body: { metadata: { name: 'bad' }, spec: { containers: [{ name: 'app', image: 'x' }], volumes: [{ name: 'host', hostPath: { path: '/' } }] } },
    }));
    assert.equal(s.message, 'pods "bad" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"]), restricted volume types (volume "host" uses restricted volume type "hostPath"), runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")');
  });

  it('checks ephemeral containers, and a leftover non-compliant one blocks every later add', async () => {
    const SMP = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
    api.server.store.createPod({ metadata: { name: 'app', namespace: 'restricted' }, spec: { containers: [{ name: 'app', image: 'x', securityContext: compliant }] } });
    const addTo = (ec: V1EphemeralContainer) =>
      api.core().patchNamespacedPodEphemeralcontainers({ namespace: 'restricted', name: 'app', body: { spec: { ephemeralContainers: [ec] } } }, SMP);
    const s = await statusOf(addTo({ name: 'debugger-abcde', image: 'busybox', securityContext: { capabilities: { add: ['SYS_PTRACE'] } } }));
    assert.equal(s.message, 'pods "app" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "debugger-abcde" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "debugger-abcde" must set securityContext.capabilities.drop=["ALL"]; container "debugger-abcde" must not include "SYS_PTRACE" in securityContext.capabilities.add), runAsNonRoot != true (pod or container "debugger-abcde" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "debugger-abcde" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")');
    await addTo({ name: 'debugger-good1', image: 'busybox', securityContext: compliant });

    // A leftover from before the namespace became restricted (seeded behind admission's back).
    const leftover = api.server.store.getPod('restricted', 'app')!;
    leftover.spec!.ephemeralContainers!.push({ name: 'debugger-old11', image: 'busybox', terminationMessagePolicy: 'File' });
    api.server.store.replacePod(leftover);
    const s2 = await statusOf(addTo({ name: 'debugger-good2', image: 'busybox', securityContext: compliant }));
    assert.equal(s2.code, 403);
    assert.match(s2.message, /container "debugger-old11" must set securityContext\.allowPrivilegeEscalation=false/);
    assert.doesNotMatch(s2.message, /debugger-good2/);
  });
});

/**
 * Every refusal of Attach Debug Container on the test cluster, each as the one-line message a user sees:
 * bad input, RBAC, pod state, Pod Security (precheck and server), leftovers, image pulls, a disabled
 * subresource and an API server that goes away mid-wait.
 */
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { createClusterApi } from '../../../src/cluster/client';
import type { ClusterApi } from '../../../src/cluster/clusterApi';
import { attachDebugContainer, type AttachRequest, type AttachSettings } from '../../../src/debug/attachFlow';
import { DebugFlowError } from '../../../src/debug/debugFlowError';
import { runPreflight } from '../../../src/debug/preflight';
import { explainAddEphemeralContainerError } from '../../../src/debug/serverErrors';
import { presentError } from '../../../src/ui/pure/errorText';
import { LoopbackCluster } from '../../cluster/cluster';
import { startTestCluster, type TestCluster } from '../../cluster/testCluster';
import { isRunning, kubeConfigFor, waitForPod } from '../loopback/helpers/client';
import { loopbackOnly } from './helpers/loopbackOnly';
import { requireRealPods } from '../loopback/helpers/requirePods';
import { uncheckedContainerForTest } from './helpers/policyChecked';

/** Asserts the flow fails with this code and a message matching `pattern`; returns the error. */
async function assertAttachFails(api: ClusterApi, request: AttachRequest, code: DebugFlowError['code'], pattern: RegExp, settings: AttachSettings = {}): Promise<DebugFlowError> {
  let caught: unknown;
  try {
    await attachDebugContainer(api, request, { skipPrivilegedConfirmation: true, ...settings });
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof DebugFlowError, `expected a DebugFlowError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.match(caught.message, pattern);
  assert.ok(!caught.message.includes('\n'), 'one line');
  return caught;
}

const sleeper = (name: string, extra: Partial<k8s.V1PodSpec> = {}): k8s.V1Pod => ({
  metadata: { name },
  spec: { containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', '3600'] }], ...extra },
});

describe('debug: attach failures and their messages', function () {
  this.timeout(90_000);
  let cluster: TestCluster;
  let kc: k8s.KubeConfig;
  let admin: ClusterApi;
  let core: k8s.CoreV1Api;

  before(async function () {
    requireRealPods(this);
    cluster = await startTestCluster({ pullDelayMs: 50, backoffBaseMs: 200 });
    kc = cluster.kubeConfig();
    admin = createClusterApi(kc);
    core = kc.makeApiClient(k8s.CoreV1Api);
    await waitForPod(kc, 'demo', 'node-app', isRunning('app'));
    await waitForPod(kc, 'restricted', 'secure-app', isRunning('app'));
  });

  after(async () => {
    await cluster?.stop();
  });

  const nodeApp = { namespace: 'demo', podName: 'node-app' };

  it('refuses an invalid image reference before sending anything', async () => {
    await assertAttachFails(admin, { ...nodeApp, image: 'Busybox:latest!' }, 'spec', /invalid image name "Busybox:latest!"/);
    const pod = await admin.readPod('demo', 'node-app');
    assert.equal(pod.spec?.ephemeralContainers, undefined);
  });

  it('refuses a container name that is already used, and explains the server\'s own duplicate error the same way', async () => {
    await assertAttachFails(admin, { ...nodeApp, name: 'app' }, 'name-clash', /container name "app" is already used/);
    // A stale pod (no ephemeral containers yet) lets the duplicate reach the server: 422 FieldValueDuplicate.
    const stale = await admin.readPod('demo', 'node-app');
    await attachDebugContainer(admin, { ...nodeApp, name: 'debugger-twice' }, { skipPrivilegedConfirmation: true });
    const container = { name: 'debugger-twice', image: 'busybox:latest' };
    const error = await admin.addEphemeralContainer(stale, uncheckedContainerForTest(container)).then(() => assert.fail('accepted a duplicate'), (e: unknown) => e);
    const explained = explainAddEphemeralContainerError(error, { ...nodeApp, pod: stale, container });
    assert.equal(explained.code, 'name-clash', explained.message);
    assert.match(explained.message, /Container name "debugger-twice" is already used in pod node-app/);
    assert.ok(explained.status, 'the Status is kept for Show Details');
  });

  it('refuses an unknown target container, naming the ones there are', async () => {
    await assertAttachFails(admin, { ...nodeApp, targetContainer: 'nope' }, 'spec', /target container "nope" is not in pod "node-app"; choose one of app/);
  });

  it('refuses pods that are not running: a completed one and a pending one', async () => {
    await cluster.createPod('demo', { metadata: { name: 'done' }, spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1.36', command: ['true'] }] } });
    await waitForPod(kc, 'demo', 'done', (p) => p.status?.phase === 'Succeeded');
    await assertAttachFails(admin, { namespace: 'demo', podName: 'done' }, 'preflight', /Pod done has finished \(Succeeded\) and finished pods cannot get ephemeral containers/);

    await cluster.createPod('demo', { metadata: { name: 'pending' }, spec: { containers: [{ name: 'main', image: 'example.invalid/never:1' }] } });
    await waitForPod(kc, 'demo', 'pending', (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason !== undefined && p.status.containerStatuses[0].state.waiting.reason !== 'ContainerCreating');
    await assertAttachFails(admin, { namespace: 'demo', podName: 'pending' }, 'preflight', /Pod pending is Pending \((ErrImagePull|ImagePullBackOff)\), not Running/);
  });

  it('tells the viewer exactly which permission is missing (preflight), and maps the server\'s 403 the same way', async () => {
    const viewer = createClusterApi(kc, { context: cluster.context('viewer') });
    const error = await assertAttachFails(viewer, nodeApp, 'preflight', /^You cannot patch pods\/ephemeralcontainers in namespace demo \(user viewer\): ask for RBAC 'patch' on 'pods\/ephemeralcontainers'$/, { userLabel: 'user viewer' });
    assert.ok(error.details?.some((d) => d.startsWith('You cannot create pods/attach in namespace demo')), JSON.stringify(error.details));

    const pod = await admin.readPod('demo', 'node-app');
    const container = { name: 'debugger-viewr', image: 'busybox:1.36' };
    const denied = await viewer.addEphemeralContainer(pod, uncheckedContainerForTest(container)).then(() => assert.fail('viewer patched'), (e: unknown) => e);
    const explained = explainAddEphemeralContainerError(denied, { ...nodeApp, pod, container });
    assert.equal(explained.code, 'forbidden');
    assert.match(explained.message, /^You cannot patch pods\/ephemeralcontainers in namespace demo \(user [\w:-]+\): ask for RBAC 'patch' on 'pods\/ephemeralcontainers'$/);
  });

  it('refuses sysadmin in a restricted namespace before sending, naming the profile that passes; the server\'s rejection reads the same', async () => {
    const secureApp = { namespace: 'restricted', podName: 'secure-app' };
    await assertAttachFails(admin, { ...secureApp, profile: 'sysadmin' }, 'spec', /PodSecurity "restricted:latest" is enforced in namespace "restricted".*use profile "restricted" instead/);
    // Exempt users skip the precheck; for everyone else the server rejects it, and the message says what to change.
    const error = await assertAttachFails(
      admin,
      { ...secureApp, profile: 'sysadmin' },
      'pod-security',
      /^Pod Security "restricted" in namespace restricted rejected debug container "debugger-\w+" \(privileged, allowPrivilegeEscalation != false.*\): unset securityContext\.privileged, set securityContext\.allowPrivilegeEscalation=false, .*, or use profile "restricted", which passes$/,
      { skipPodSecurityPrecheck: true },
    );
    assert.match(error.status?.message ?? '', /violates PodSecurity "restricted:latest"/);
  });

  it('explains a leftover non-compliant ephemeral container that blocks every add, and that only recreating the pod clears it', async () => {
    // Added before the namespace was labelled restricted, as when a namespace is tightened after debugging in it.
    await cluster.createNamespace('tightened');
    await cluster.createPod('tightened', {
      metadata: { name: 'leftover' },
      spec: {
        securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', '3600'], securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
      },
    });
    await waitForPod(kc, 'tightened', 'leftover', isRunning('main'));
    await admin.addEphemeralContainer(await admin.readPod('tightened', 'leftover'),
      uncheckedContainerForTest({ name: 'debugger-old12', image: 'busybox:1.36', command: ['sleep', '3600'], securityContext: { capabilities: { add: ['SYS_PTRACE'] } } }));
    await core.patchNamespace({ name: 'tightened', body: { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    const error = await assertAttachFails(admin, { namespace: 'tightened', podName: 'leftover' }, 'preflight', /ephemeral container\(s\) "debugger-old12" that violate Pod Security "restricted".*only deleting or recreating the pod clears them/);
    assert.equal(error.details?.length, 1);

    // The server says the same thing when the add gets that far.
    const pod = await admin.readPod('tightened', 'leftover');
    const container = { name: 'debugger-new12', image: 'busybox:1.36', securityContext: { runAsNonRoot: true, runAsUser: 1000, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } } };
    const rejected = await admin.addEphemeralContainer(pod, uncheckedContainerForTest(container)).then(() => assert.fail('admitted'), (e: unknown) => e);
    const explained = explainAddEphemeralContainerError(rejected, { namespace: 'tightened', podName: 'leftover', pod, container });
    assert.equal(explained.code, 'pod-security');
    assert.match(explained.message, /"debugger-old12".*cannot be removed: only deleting or recreating the pod clears them/);
  });

  it('ends the wait at once on an image pull failure, with the kubelet\'s message', async () => {
    await cluster.createPod('demo', sleeper('pull-fail'));
    await waitForPod(kc, 'demo', 'pull-fail', isRunning('main'));
    const error = await assertAttachFails(admin, { namespace: 'demo', podName: 'pull-fail', image: 'example.invalid/no-such-debugger:1' }, 'image-pull',
      /^Image example\.invalid\/no-such-debugger:1 could not be pulled \((ErrImagePull|ImagePullBackOff)\): .*example\.invalid\/no-such-debugger:1.*; debug images are pulled with the pod's imagePullSecrets/,
      { waitTimeoutMs: 60_000 });
    assert.equal(error.code, 'image-pull');

    // Show Details: what the cluster said, not our sentence again.
    const presented = presentError(error, 'Attach to demo/pull-fail');
    const document = presented.details ?? '';
    assert.equal(presented.detailsLanguage, 'yaml');
    assert.ok(!document.includes(error.message) && !document.includes('imagePullSecrets'), `our message is not the document:\n${document}`);
    const shown = parseYaml(document) as { containerStatus: k8s.V1ContainerStatus; events?: k8s.CoreV1Event[]; eventsUnavailable?: string };
    const pod = await core.readNamespacedPod({ namespace: 'demo', name: 'pull-fail' });
    const container = pod.spec?.ephemeralContainers?.find((c) => c.image === 'example.invalid/no-such-debugger:1');
    assert.ok(container, 'the debug container is in the pod');
    assert.equal(shown.containerStatus.name, container.name);
    assert.equal(shown.containerStatus.image, 'example.invalid/no-such-debugger:1');
    const waiting = shown.containerStatus.state?.waiting;
    assert.match(waiting?.reason ?? '', /^(ErrImagePull|ImagePullBackOff)$/, 'the kubelet\'s reason');
    assert.match(waiting?.message ?? '', /example\.invalid\/no-such-debugger:1/, 'the kubelet\'s message');
    assert.ok(error.message.includes(waiting!.message!), 'the notification quotes the same kubelet message');
    if (shown.events !== undefined) {
      assert.ok(shown.events.every((e) => (e as { fieldPath?: string }).fieldPath === `spec.ephemeralContainers{${container.name}}`), JSON.stringify(shown.events));
      if (cluster.kind !== 'loopback') {
        // "Pulling image …" is recorded before the pull fails, so it is there by the time the wait ends.
        assert.ok(shown.events.some((e) => (e.message ?? '').includes('example.invalid/no-such-debugger:1')), `the kubelet's pull events: ${JSON.stringify(shown.events)}`);
      }
    } else {
      assert.match(shown.eventsUnavailable ?? '', /events/, 'says why there are no events');
    }
  });

  it('reports a debug container whose command cannot start, with the runtime\'s reason', async () => {
    await cluster.createPod('demo', sleeper('exits'));
    await waitForPod(kc, 'demo', 'exits', isRunning('main'));
    // Runtimes differ here: containerd 2.x (and the loopback, which follows it) ends the container at once as
    // StartError with code 128; containerd 1.6 (the real node) keeps it waiting in RunContainerError.
    const error = await attachDebugContainer(admin, { namespace: 'demo', podName: 'exits', command: ['/no/such/tool'] }, { skipPrivilegedConfirmation: true })
      .then(() => assert.fail('attached'), (e: unknown) => e);
    assert.ok(error instanceof DebugFlowError, String(error));
    if (error.code === 'container-terminated') {
      assert.match(error.message, /^Debug container debugger-\w+ exited at once with code 128 \(StartError\): .*\/no\/such\/tool/);
      assert.ok(error.details !== undefined, 'the termination, with its last log lines');
    } else {
      assert.equal(error.code, 'container-config', error.message);
      assert.match(error.message, /^Debug container debugger-\w+ cannot start \(RunContainerError\): .*\/no\/such\/tool/);
    }
    assert.ok(!error.message.includes('\n'), 'one line');
    assert.equal(error.code === 'container-terminated', cluster.kind === 'loopback', 'the loopback follows containerd 2.x');
  });

  it('honours cancellation while waiting', async () => {
    const controller = new AbortController();
    const attaching = attachDebugContainer(admin, { namespace: 'demo', podName: 'exits', image: 'example.invalid/slow:1' }, { skipPrivilegedConfirmation: true }, {
      onProgress: (m) => {
        if (m.startsWith('adding')) setImmediate(() => controller.abort());
      },
    }, controller.signal);
    await assert.rejects(attaching, (e: unknown) => e instanceof DebugFlowError && e.code === 'cancelled' && /may still start/.test(e.message));
  });

  it('preflight reports a missing pod in one line', async () => {
    const result = await runPreflight(admin, { namespace: 'demo', podName: 'no-such-pod' });
    assert.deepEqual(result.problems.map((p) => p.message), ['Pod no-such-pod does not exist in namespace demo: refresh the pod list']);
  });
});

loopbackOnly.describe('debug: attach on clusters that fail differently', function () {
  this.timeout(90_000);
  before(function () {
    requireRealPods(this);
  });

  it('says ephemeral containers are disabled when the subresource 404s', async () => {
    const cluster = await LoopbackCluster.start({ demo: true, pullDelayMs: 50, ephemeralContainersEnabled: false });
    try {
      const kc = kubeConfigFor(cluster.kubeconfigYaml());
      await waitForPod(kc, 'demo', 'node-app', isRunning('app'));
      const error = await assertAttachFails(createClusterApi(kc), { namespace: 'demo', podName: 'node-app' }, 'feature-disabled', /^Ephemeral containers are disabled on this cluster .*debug a copy of the pod instead$/);
      assert.equal(error.status?.code, 404);
    } finally {
      await cluster.stop();
    }
  });

  it('ends the wait with a clear message when the API server stops mid-wait', async () => {
    // Each image's first pull takes pullDelayMs: long enough to stop the API server while the debug image pulls.
    const cluster = await LoopbackCluster.start({ demo: true, pullDelayMs: 3_000 });
    let apiStopped = false;
    try {
      const kc = kubeConfigFor(cluster.kubeconfigYaml());
      await waitForPod(kc, 'demo', 'node-app', isRunning('app'));
      const api = createClusterApi(kc);
      const progress: string[] = [];
      const waiting = attachDebugContainer(api, { namespace: 'demo', podName: 'node-app', image: 'nicolaka/netshoot' }, { skipPrivilegedConfirmation: true }, {
        onProgress: (m) => {
          progress.push(m);
          if (/^(pulling image|waiting for the kubelet)/.test(m) && !apiStopped) {
            apiStopped = true;
            void cluster.api.stop();
          }
        },
      });
      await assert.rejects(waiting, (e: unknown) => {
        assert.ok(e instanceof DebugFlowError, String(e));
        assert.equal(e.code, 'connection-lost', `${e.message} after ${progress.join(' | ')}`);
        assert.match(e.message, /^Lost the connection to the API server while waiting for debug container debugger-\w+ \(.*ECONNREFUSED.*\); it may still start: reattach once the cluster is reachable$/);
        return true;
      });
      assert.ok(apiStopped, progress.join(' | '));
    } finally {
      await cluster.stop().catch(() => undefined);
    }
  });
});

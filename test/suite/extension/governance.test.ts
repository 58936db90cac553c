/**
 * Governance on the test cluster: each rule, set the way a user sets it (settings merged by
 * mergeGovernance), refuses through the real attach flow with its message and adds nothing to the pod; the
 * session time limit warns and then stops a running debug container.
 */
import assert from 'node:assert/strict';
import { createClusterApi } from '../../../src/cluster/client';
import type { ClusterApi } from '../../../src/cluster/clusterApi';
import { attachDebugContainer } from '../../../src/debug/attachFlow';
import { DEBUG_SESSION_DEADLINE_ENV } from '../../../src/debug/debugContainerSpec';
import { ephemeralContainerStatus } from '../../../src/debug/debugContainers';
import { debugContainerDeadline, enforceTimeLimit, expiredDebugContainers, type LimitedDebugContainer } from '../../../src/debug/sessionTimeLimit';
import { mergeGovernance } from '../../../src/ui/pure/governanceSettings';
import type { InspectedValue } from '../../../src/ui/pure/settingsModel';
import { startTestCluster, type TestCluster } from '../../cluster/testCluster';
import { isRunning, waitForPod } from '../loopback/helpers/client';
import { requireRealPods } from '../loopback/helpers/requirePods';

type GovernanceInput = Parameters<typeof mergeGovernance>[0];
const user = (values: Record<string, unknown>): GovernanceInput =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [`governance.${k}`, { globalValue: v } satisfies InspectedValue])) as GovernanceInput;

describe('governance: policy refusals and the session time limit', function () {
  this.timeout(90_000);
  let cluster: TestCluster;
  let admin: ClusterApi;

  before(async function () {
    requireRealPods(this);
    cluster = await startTestCluster({ pullDelayMs: 20, backoffBaseMs: 200 });
    const kc = cluster.kubeConfig();
    admin = createClusterApi(kc);
    await waitForPod(kc, 'demo', 'go-app', isRunning('app'));
  });

  after(async () => {
    await cluster?.stop();
  });

  const refusals: { rule: string; settings: Record<string, unknown>; image?: string; profile?: 'sysadmin' | 'general'; message: RegExp }[] = [
    { rule: 'disallowed image', settings: { allowedImages: ['registry.example.com/**'] }, message: /^image "busybox:1.36" is not allowed by policy \(allowed: registry\.example\.com\/\*\*\); pick a matching image or ask an administrator$/ },
    { rule: 'unpinned image', settings: { requireDigest: true }, message: /^image "busybox:1.36" is not pinned and policy requires a digest; use busybox:1.36@sha256:<digest>/ },
    { rule: 'profile above the maximum', settings: { maxProfile: 'general' }, profile: 'sysadmin', message: /^profile "sysadmin" exceeds the maximum profile "general" allowed by policy; choose auto or one of / },
    { rule: 'namespace not allowed', settings: { allowedNamespaces: ['dev-*'] }, message: /^debugging in namespace "demo" is not allowed by policy \(allowed namespaces: dev-\*\); ask an administrator to add it$/ },
  ];
  for (const refusal of refusals) {
    it(`refuses (${refusal.rule}) with its message and adds nothing`, async () => {
      const before = await admin.readPod('demo', 'go-app');
      const { policy } = mergeGovernance(user(refusal.settings), true);
      await assert.rejects(
        attachDebugContainer(admin, { namespace: 'demo', podName: 'go-app', image: refusal.image ?? 'busybox:1.36', profile: refusal.profile ?? 'general' }, { policy }, {}),
        (error: Error) => {
          assert.match(error.message, refusal.message);
          assert.ok(!error.message.includes('\n'), 'one line');
          return true;
        },
      );
      const after = await admin.readPod('demo', 'go-app');
      assert.equal(after.spec?.ephemeralContainers?.length ?? 0, before.spec?.ephemeralContainers?.length ?? 0, 'no container was added');
    });
  }

  it('a workspace value cannot loosen the user\'s: the user\'s image list still refuses', async () => {
    const { policy } = mergeGovernance({ 'governance.allowedImages': { globalValue: ['registry.example.com/**'], workspaceValue: ['**'] } }, true);
    await assert.rejects(attachDebugContainer(admin, { namespace: 'demo', podName: 'go-app', image: 'busybox:1.36', profile: 'general' }, { policy }, {}), /is not allowed by policy/);
  });

  it('the session time limit writes the deadline into the spec, warns, and stops the debug container', async () => {
    // 0.1 minutes = 6 s; warning 3 s before.
    const { policy } = mergeGovernance(user({ sessionTimeLimitMinutes: 0.1 }), true);
    const attached = await attachDebugContainer(admin, { namespace: 'demo', podName: 'go-app', image: 'busybox:1.36', profile: 'general' }, { policy }, {});
    const deadline = debugContainerDeadline(attached.pod, attached.containerName);
    assert.ok(deadline, `${DEBUG_SESSION_DEADLINE_ENV} is in the container's env`);
    assert.equal(expiredDebugContainers([attached.pod], new Date(deadline.getTime() - 1)).length, 0, 'not expired before the deadline');
    assert.deepEqual(expiredDebugContainers([attached.pod], deadline).map((c) => c.container), [attached.containerName], 'expired at the deadline');

    const warnings: number[] = [];
    const limited: LimitedDebugContainer = { namespace: 'demo', pod: 'go-app', container: attached.containerName, deadline };
    const outcome = await enforceTimeLimit(admin, limited, { warningMs: 3000, onWarning: (_c, msLeft) => warnings.push(msLeft) });
    assert.equal(outcome, 'stopped');
    assert.equal(warnings.length, 1, 'warned once before stopping');
    assert.ok(warnings[0] > 0, 'the warning came before the deadline');
    const pod = await admin.readPod('demo', 'go-app');
    assert.ok(ephemeralContainerStatus(pod, attached.containerName)?.state?.terminated, 'the debug container is terminated');
    assert.equal(await enforceTimeLimit(admin, limited, { warningMs: 0 }), 'already-ended', 'a second enforcement finds it ended');
  });

  it('cancelling the enforcement leaves the container running', async () => {
    const { policy } = mergeGovernance(user({ sessionTimeLimitMinutes: 10 }), true);
    const attached = await attachDebugContainer(admin, { namespace: 'demo', podName: 'go-app', image: 'busybox:1.36', profile: 'general' }, { policy }, {});
    const deadline = debugContainerDeadline(attached.pod, attached.containerName);
    assert.ok(deadline);
    const controller = new AbortController();
    const pending = enforceTimeLimit(admin, { namespace: 'demo', pod: 'go-app', container: attached.containerName, deadline }, { warningMs: 0, signal: controller.signal });
    controller.abort();
    assert.equal(await pending, 'cancelled');
    const pod = await admin.readPod('demo', 'go-app');
    assert.ok(ephemeralContainerStatus(pod, attached.containerName)?.state?.running, 'still running');
  });
});

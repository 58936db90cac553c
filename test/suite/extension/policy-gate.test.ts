/**
 * Security, the policy half of issue 12, on the loopback cluster: a running debug container the policy would
 * not allow (added by another client, e.g. kubectl, or before the policy was set) is not reattached to, nor
 * used by the target filesystem; Open Target Filesystem → Add Debug Container goes through the policy; and a
 * cancel during the exec's connection set-up ends the command instead of being lost.
 */
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { createClusterApi } from '../../../src/cluster/client';
import type { ClusterApi } from '../../../src/cluster/clusterApi';
import { attachDebugContainer } from '../../../src/debug/attachFlow';
import { execCapture } from '../../../src/debug/execCapture';
import { ephemeralSecurityContextFor } from '../../../src/debug/profiles';
import { waitForEphemeralContainer } from '../../../src/debug/waitForContainer';
import { runExec } from '../../../src/targetfs/execRunner';
import { TargetFileSystem } from '../../../src/targetfs/targetFileSystem';
import { targetFilesystemAttach } from '../../../src/ui/pure/attachPlan';
import { normalizeSettings } from '../../../src/ui/pure/settingsModel';
import { startTestCluster, type TestCluster } from '../../cluster/testCluster';
import { isRunning, waitForPod } from '../loopback/helpers/client';
import { requireRealPods } from '../loopback/helpers/requirePods';
import { uncheckedContainerForTest } from './helpers/policyChecked';

describe('security #12: the policy gate on the test cluster', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let admin: ClusterApi;
  /** A privileged debug container without a deadline, added as kubectl would (not through our builder). */
  let foreign: string;

  before(async function () {
    requireRealPods(this);
    cluster = await startTestCluster({ pullDelayMs: 20, backoffBaseMs: 200 });
    const kc = cluster.kubeConfig();
    admin = createClusterApi(kc);
    await waitForPod(kc, 'demo', 'node-app', isRunning('app'));
    const pod = await admin.readPod('demo', 'node-app');
    foreign = 'debugger-kubec';
    const patched = await admin.addEphemeralContainer(pod, uncheckedContainerForTest({
      name: foreign, image: 'busybox:1.36', targetContainerName: 'app', stdin: true, tty: true, command: ['sh'], securityContext: ephemeralSecurityContextFor('sysadmin'),
    }));
    await waitForEphemeralContainer(admin, patched, foreign, { timeoutMs: 60_000 });
  });

  after(async () => {
    await cluster?.stop();
  });

  const ephemeralNames = async (): Promise<string[]> => ((await admin.readPod('demo', 'node-app')).spec?.ephemeralContainers ?? []).map((c) => c.name);

  it('security #12.5: reattach does not offer or pick a running container above the maximum profile; a new one is added within it', async () => {
    let offered: string[] = [];
    const result = await attachDebugContainer(
      admin,
      { namespace: 'demo', podName: 'node-app', image: 'busybox:1.36', targetContainer: 'app', profile: 'general' },
      { policy: { maxProfile: 'general' }, skipPrivilegedConfirmation: true },
      {
        chooseReattach: async (existing) => {
          offered = existing.map((c) => c.name);
          return 'reattach';
        },
      },
    );
    assert.ok(!offered.includes(foreign), `offered ${offered.join(', ')}`);
    assert.equal(result.reattached, false);
    assert.notEqual(result.containerName, foreign);
    const added = (await admin.readPod('demo', 'node-app')).spec?.ephemeralContainers?.find((c) => c.name === result.containerName);
    assert.notEqual(added?.securityContext?.privileged, true);
  });

  it('security #12.5: reattach does not pick a running container without a deadline when sessions are time-limited', async () => {
    const result = await attachDebugContainer(
      admin,
      { namespace: 'demo', podName: 'node-app', image: 'busybox:1.36', targetContainer: 'app', profile: 'sysadmin' },
      { policy: { sessionTimeLimitMinutes: 30 }, skipPrivilegedConfirmation: true },
      { chooseReattach: async () => 'reattach' },
    );
    assert.equal(result.reattached, false, `reattached to ${result.containerName}`);
    const added = (await admin.readPod('demo', 'node-app')).spec?.ephemeralContainers?.find((c) => c.name === result.containerName);
    assert.ok(added?.env?.some((e) => e.name === 'DEBUG_SESSION_DEADLINE'), 'the new container carries the deadline');
  });

  it('security #12.5: the target filesystem does not use a running container above the maximum profile', async () => {
    let asked: string | undefined;
    const fs = new TargetFileSystem(admin, { context: admin.contextName, namespace: 'demo', pod: 'node-app', container: 'app' }, {
      debugContainer: foreign,
      policy: () => ({ maxProfile: 'baseline' }),
      provideDebugContainer: async (request) => {
        asked = request.message;
        return undefined;
      },
    });
    await assert.rejects(fs.stat('/'));
    assert.match(asked ?? '', /it has more than the maximum profile "baseline" allowed by policy/);
  });

  it('security #12.3: Add Debug Container of the target filesystem refuses a namespace the policy does not allow, and adds nothing', async () => {
    const before = await ephemeralNames();
    const settings = normalizeSettings({}, false, { policy: { allowedNamespaces: ['dev-*'] }, timeLimitWarningMinutes: 5, problems: [] });
    const { request, settings: attachSettings } = targetFilesystemAttach({ namespace: 'demo', pod: 'node-app', container: 'app' }, settings, 'session-fs');
    await assert.rejects(attachDebugContainer(admin, request, attachSettings, {}), /^DebugFlowError: debugging in namespace "demo" is not allowed by policy \(allowed namespaces: dev-\*\)/);
    assert.deepEqual(await ephemeralNames(), before);
  });

  describe('security #12.12: a cancel during the connection set-up ends the command', () => {
    let pod: V1Pod;
    before(async () => {
      pod = await admin.readPod('demo', 'node-app');
      assert.ok(pod.spec?.ephemeralContainers?.some((c) => c.name === foreign));
    });

    it('security #12.12: execCapture aborted while connecting returns instead of waiting for the command', async () => {
      const abort = new AbortController();
      const running = execCapture(admin, 'demo', 'node-app', foreign, ['sleep', '3600'], abort.signal);
      abort.abort(); // before the WebSocket is open: api.exec has not resolved yet
      const outcome = await Promise.race([running.then(() => 'returned'), new Promise((resolve) => setTimeout(() => resolve('still running'), 20_000).unref())]);
      assert.equal(outcome, 'returned');
    });

    it('security #12.12: the target filesystem\'s exec aborted while connecting returns instead of waiting for the command', async () => {
      const abort = new AbortController();
      const running = runExec({ api: admin, namespace: 'demo', pod: 'node-app', container: foreign }, { argv: ['sleep', '3600'], signal: abort.signal });
      abort.abort();
      const outcome = await Promise.race([running.then(() => 'returned', () => 'returned'), new Promise((resolve) => setTimeout(() => resolve('still running'), 20_000).unref())]);
      assert.equal(outcome, 'returned');
    });
  });
});

/**
 * Every named profile, added through the attach flow, against what `kubectl debug --profile=X` creates on the
 * same test cluster: the securityContext sent must be the same.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { createClusterApi } from '../../../src/cluster/client';
import type { ClusterApi } from '../../../src/cluster/clusterApi';
import { attachDebugContainer } from '../../../src/debug/attachFlow';
import { DebugFlowError } from '../../../src/debug/debugFlowError';
import { NAMED_PROFILES } from '../../../src/debug/profiles';
import { startTestCluster, testKubectl, type TestCluster } from '../../cluster/testCluster';
import { isRunning, waitForPod } from '../loopback/helpers/client';
import { requireRealPods, unavailable } from '../loopback/helpers/requirePods';

const run = promisify(execFile);
const kubectlPath = testKubectl();

describe('debug: profiles match kubectl debug', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let api: ClusterApi;

  before(async function () {
    requireRealPods(this);
    if (!existsSync(kubectlPath)) unavailable(this, `${kubectlPath} is not installed (set EPHEMERAL_DEBUG_KUBECTL to a kubectl)`);
    cluster = await startTestCluster({ demo: false, pullDelayMs: 20 });
    const kc = cluster.kubeConfig();
    api = createClusterApi(kc);
    await cluster.createPod('default', { metadata: { name: 'profiles' }, spec: { containers: [{ name: 'app', image: 'busybox:1.36', command: ['sleep', '3600'] }] } });
    await waitForPod(kc, 'default', 'profiles', isRunning('app'));
  });

  after(async () => {
    await cluster?.stop();
  });

  for (const profile of NAMED_PROFILES) {
    it(`${profile}: same securityContext as kubectl debug --profile=${profile}`, async () => {
      const kubectlName = `kubectl-${profile}`;
      await run(kubectlPath, ['--kubeconfig', cluster.kubeconfigPath, '--context', cluster.context('admin'), 'debug', '-n', 'default', 'profiles', '--image=busybox:1.36', '--target=app', `--profile=${profile}`, '--attach=false', '-c', kubectlName], { timeout: 60_000 });
      const ourName = `ours-${profile}`;
      try {
        await attachDebugContainer(api, { namespace: 'default', podName: 'profiles', profile, name: ourName, command: ['sleep', '3600'] }, { skipPrivilegedConfirmation: true, waitTimeoutMs: 30_000 });
      } catch (error) {
        // restricted asks for non-root while busybox runs as root: the kubelet refuses it, as it does kubectl's.
        assert.ok(profile === 'restricted' && error instanceof DebugFlowError && error.code === 'container-config', String(error));
      }
      const pod = await api.readPod('default', 'profiles');
      const byName = (name: string) => pod.spec?.ephemeralContainers?.find((c) => c.name === name);
      assert.ok(byName(kubectlName), 'kubectl added its container');
      assert.deepEqual(byName(ourName)?.securityContext, byName(kubectlName)?.securityContext);
      assert.equal(byName(ourName)?.targetContainerName, byName(kubectlName)?.targetContainerName);
    });
  }
});

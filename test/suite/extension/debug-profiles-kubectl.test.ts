/**
 * Every named profile, added through the attach flow, against what `kubectl debug --profile=X` creates on the
 * same loopback cluster: the securityContext sent must be the same.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { createClusterApi } from '../../../src/cluster/client';
import type { ClusterApi } from '../../../src/cluster/clusterApi';
import { attachDebugContainer } from '../../../src/debug/attachFlow';
import { DebugFlowError } from '../../../src/debug/debugFlowError';
import { NAMED_PROFILES } from '../../../src/debug/profiles';
import { LoopbackCluster } from '../../cluster/cluster';
import { isRunning, kubeConfigFor, waitForPod } from '../loopback/helpers/client';
import { requireRealPods } from '../loopback/helpers/requirePods';

const run = promisify(execFile);
const kubectlPath = '/usr/bin/kubectl';

describe('debug: profiles match kubectl debug', function () {
  this.timeout(120_000);
  let cluster: LoopbackCluster;
  let api: ClusterApi;
  let workDir: string;
  let kubeconfigPath: string;

  before(async function () {
    requireRealPods(this);
    if (!existsSync(kubectlPath)) {
      console.log(`      (skipped: ${kubectlPath} is not installed; it is not part of the project's set-up)`);
      this.skip();
    }
    workDir = mkdtempSync(join(tmpdir(), 'profiles-'));
    kubeconfigPath = join(workDir, 'kubeconfig');
    cluster = await LoopbackCluster.start({ demo: false, pullDelayMs: 20, kubeconfigPath });
    const kc = kubeConfigFor(cluster.kubeconfigYaml());
    api = createClusterApi(kc);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'profiles' }, spec: { containers: [{ name: 'app', image: 'busybox:1.36', command: ['sleep', '3600'] }] } } });
    await waitForPod(kc, 'default', 'profiles', isRunning('app'));
  });

  after(async () => {
    await cluster?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  for (const profile of NAMED_PROFILES) {
    it(`${profile}: same securityContext as kubectl debug --profile=${profile}`, async () => {
      const kubectlName = `kubectl-${profile}`;
      await run(kubectlPath, ['--kubeconfig', kubeconfigPath, 'debug', '-n', 'default', 'profiles', '--image=busybox:1.36', '--target=app', `--profile=${profile}`, '--attach=false', '-c', kubectlName], { timeout: 60_000 });
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

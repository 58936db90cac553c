/**
 * Issue #14, "the equivalent kubectl command": the command printed for a debug container, run with the test
 * cluster's kubectl, adds a debug container equal to it (but for the name), whichever profile and identity the
 * extension chose and whatever the command line holds.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { V1EphemeralContainer } from '@kubernetes/client-node';
import { createClusterApi } from '../../../src/cluster/client';
import type { ClusterApi } from '../../../src/cluster/clusterApi';
import { attachDebugContainer } from '../../../src/debug/attachFlow';
import { kubectlDebugCommand } from '../../../src/debug/kubectlEquivalent';
import { shellQuote } from '../../../src/shell/shellScript';
import { startTestCluster, testKubectl, type TestCluster } from '../../cluster/testCluster';
import { isRunning, waitForPod } from '../loopback/helpers/client';
import { requireRealPods } from '../loopback/helpers/requirePods';

const run = promisify(execFile);

describe('issue #14: the equivalent kubectl command (test cluster)', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let admin: ClusterApi;
  let workDir: string;

  before(async function () {
    requireRealPods(this);
    cluster = await startTestCluster({ pullDelayMs: 10, backoffBaseMs: 200 });
    const kc = cluster.kubeConfig();
    admin = createClusterApi(kc);
    await waitForPod(kc, 'demo', 'node-app', isRunning('app'));
    await waitForPod(kc, 'restricted', 'secure-app', isRunning('app'));
    workDir = await mkdtemp(join(tmpdir(), 'kubectl-equivalent-'));
  });

  after(async () => {
    await cluster?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  /** Runs the printed command (kubectl replaced by the test cluster's, not attaching) and returns its container. */
  async function runEquivalent(namespace: string, pod: string, container: V1EphemeralContainer, profile: string | undefined, twin: string): Promise<{ command: string; added: V1EphemeralContainer }> {
    const command = kubectlDebugCommand({ namespace, pod, container: { ...container, name: twin }, profile, noAttach: true, customFile: join(workDir, `${twin}.json`) });
    const script = command.replace(/^kubectl /m, `${shellQuote(testKubectl())} --kubeconfig=${shellQuote(cluster.kubeconfigPath)} --context=${shellQuote(cluster.context('admin'))} `);
    await run('sh', ['-c', script], { cwd: workDir, timeout: 60_000 });
    const latest = await admin.readPod(namespace, pod);
    const added = latest.spec?.ephemeralContainers?.find((c) => c.name === twin);
    assert.ok(added, `kubectl added ${twin}: ${command}`);
    return { command, added };
  }

  /** Plain data (client-node reads objects into classes), without the name. */
  const comparable = (c: V1EphemeralContainer): unknown => JSON.parse(JSON.stringify({ ...c, name: undefined }));

  it('a root target (auto → baseline) with a command full of quotes, $(…) and spaces: kubectl adds the same container', async () => {
    const result = await attachDebugContainer(admin, { namespace: 'demo', podName: 'node-app', command: ['sh', '-c', `echo 'it''s' "$HOME" $(id) && sleep 3600`] }, {}, { chooseReattach: async () => 'add-new' });
    const ours = result.pod.spec?.ephemeralContainers?.find((c) => c.name === result.containerName);
    assert.ok(ours);
    const { command, added } = await runEquivalent('demo', 'node-app', ours, result.profile, 'kubectl-twin-root');
    assert.match(command, /--profile=baseline/);
    assert.deepEqual(comparable(added), comparable(ours), command);
  });

  it('a non-root target (auto → restricted as uid 1000): the identity travels in a custom spec, and kubectl adds the same container', async () => {
    const result = await attachDebugContainer(admin, { namespace: 'restricted', podName: 'secure-app' }, {}, { chooseReattach: async () => 'add-new' });
    const ours = result.pod.spec?.ephemeralContainers?.find((c) => c.name === result.containerName);
    assert.ok(ours);
    assert.equal(ours.securityContext?.runAsUser, 1000);
    const { command, added } = await runEquivalent('restricted', 'secure-app', ours, result.profile, 'kubectl-twin-uid');
    assert.match(command, /--custom=/);
    assert.deepEqual(comparable(added), comparable(ours), command);
  });

  it('never prints the value of an env variable the user set, only a placeholder', () => {
    const command = kubectlDebugCommand({ namespace: 'demo', pod: 'node-app', container: { name: 'd', image: 'busybox:1.36', env: [{ name: 'TOKEN', value: 'hunter2' }, { name: 'DEBUG_SESSION_ID', value: 's-1' }] } });
    assert.doesNotMatch(command, /hunter2/);
    assert.match(command, /--env='TOKEN=''<value>'/);
    assert.match(command, /--env='DEBUG_SESSION_ID=s-1'/);
  });
});

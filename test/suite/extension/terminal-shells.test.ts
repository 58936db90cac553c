/**
 * The exec terminals on the test cluster: Open Shell (with the shell fallback) and Shell in Target Root
 * (chroot into the target with the debug tools on PATH, and its clear fallbacks).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClusterApi } from '../../../src/cluster/client';
import type { ClusterApi } from '../../../src/cluster/clusterApi';
import { attachDebugContainer, type AttachRequest, type AttachResult } from '../../../src/debug/attachFlow';
import { ExecTerminal } from '../../../src/terminal/execTerminal';
import { createTargetRootShell } from '../../../src/terminal/targetRootShell';
import type { TerminalSession } from '../../../src/terminal/terminalSession';
import { startTestCluster, type TestCluster } from '../../cluster/testCluster';
import { isRunning, waitForPod } from '../loopback/helpers/client';
import { requireRealPods } from '../loopback/helpers/requirePods';

const serverJs = readFileSync(join(__dirname, '../../cluster/demo/node-app/server.js'), 'utf8');
const lastLine = serverJs.trim().split('\n').pop()!.trim();

/** Types `input` and resolves with the output once it contains `expected`. */
function typeAndExpect(terminal: TerminalSession, input: string, expected: string | RegExp, timeoutMs = 20_000): Promise<string> {
  let text = '';
  const seen = (): boolean => (typeof expected === 'string' ? text.includes(expected) : expected.test(text));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      subscription.dispose();
      reject(new Error(`terminal never showed ${String(expected)}: ${JSON.stringify(text.slice(-1500))}`));
    }, timeoutMs);
    let done = false;
    const subscription = terminal.onOutput((chunk) => {
      text += chunk;
      if (!done && seen()) {
        done = true;
        clearTimeout(timer);
        setImmediate(() => subscription.dispose());
        resolve(text);
      }
    });
    if (input) terminal.input(input);
  });
}

describe('terminal: Open Shell and Shell in Target Root', function () {
  this.timeout(90_000);
  let cluster: TestCluster;
  let api: ClusterApi;
  let nodeAppDebugger: AttachResult;

  const attach = (request: AttachRequest): Promise<AttachResult> => attachDebugContainer(api, request, { skipPrivilegedConfirmation: true });

  before(async function () {
    requireRealPods(this);
    cluster = await startTestCluster({ pullDelayMs: 50, backoffBaseMs: 200 });
    const kc = cluster.kubeConfig();
    api = createClusterApi(kc);
    await waitForPod(kc, 'demo', 'node-app', isRunning('app'));
    await waitForPod(kc, 'demo', 'shared-pid', isRunning('app'));
    await waitForPod(kc, 'restricted', 'secure-app', isRunning('app'));
    nodeAppDebugger = await attach({ namespace: 'demo', podName: 'node-app' });
  });

  after(async () => {
    await cluster?.stop();
  });

  const nodeAppTarget = () => ({ namespace: 'demo', podName: 'node-app', containerName: nodeAppDebugger.containerName, image: nodeAppDebugger.image, targetContainer: 'app' });

  it('Open Shell execs a new shell in the running debug container, trying the next candidate when one is missing', async () => {
    const shell = new ExecTerminal(api, nodeAppTarget(), { commands: [['/no/such/shell'], ['sh']] });
    const banner = typeAndExpect(shell, '', 'Shell in demo/node-app');
    await shell.open(120, 40);
    await banner;
    assert.deepEqual(shell.command, ['sh']);
    await typeAndExpect(shell, 'echo cols=$(stty size)\r', 'cols=40 120');
    shell.resize(90, 20);
    await typeAndExpect(shell, 'echo now=$(stty size)\r', 'now=20 90');
    shell.input('exit 5\r');
    const end = await shell.ended;
    assert.equal(end.kind, 'exited');
    assert.equal(end.exitCode, 5);
    assert.equal(end.canReattach, true, 'the debug container itself keeps running');
  });

  it('Shell in Target Root: / is the target\'s filesystem and the debug tools are on PATH (node-app)', async () => {
    const pod = await api.readPod('demo', 'node-app');
    const shell = await createTargetRootShell(api, { namespace: 'demo', pod, debugContainer: nodeAppDebugger.containerName, targetContainer: 'app' });
    await shell.open(100, 30);
    await typeAndExpect(shell, '', 'target-root: / is the container app filesystem');
    await typeAndExpect(shell, 'cat /app/server.js\r', lastLine);
    // No shell in the distroless image: `ls` comes from the debug image, /nodejs from the target.
    await typeAndExpect(shell, 'ls /nodejs/bin; echo path=$PATH\r', /\r\nnode\r\n[\s\S]*path=\S*:\/proc\/\d+\/root\/bin:/);
    shell.input('exit\r');
    assert.equal((await shell.ended).exitCode, 0);
  });

  it('Shell in Target Root finds the target behind /pause in a shareProcessNamespace pod', async () => {
    const debugged = await attach({ namespace: 'demo', podName: 'shared-pid', targetContainer: 'app' });
    const pod = await api.readPod('demo', 'shared-pid');
    const shell = await createTargetRootShell(api, { namespace: 'demo', pod, debugContainer: debugged.containerName, targetContainer: 'app' });
    await shell.open(100, 30);
    await typeAndExpect(shell, 'cat /app/server.js\r', lastLine);
    shell.close();
    assert.equal((await shell.ended).kind, 'closed-by-user');
  });

  it('falls back with a clear message where chroot is not permitted (auto → restricted on secure-app)', async () => {
    const debugged = await attach({ namespace: 'restricted', podName: 'secure-app' });
    assert.equal(debugged.profile, 'restricted');
    const pod = await api.readPod('restricted', 'secure-app');
    const shell = await createTargetRootShell(api, { namespace: 'restricted', pod, debugContainer: debugged.containerName, targetContainer: 'app' });
    await shell.open(100, 30);
    await typeAndExpect(shell, '', /target-root: cannot chroot into the container app filesystem \(.*\); the debug container needs CAP_SYS_CHROOT/);
    // The fallback shell sits in the target's root through /proc, so its files are still at hand.
    await typeAndExpect(shell, 'pwd; head -c 40 app/app.py; echo\r', /\/proc\/1\/root/);
    shell.input('exit\r');
    await shell.ended;
  });

  it('says why when the target\'s filesystem is not readable (non-root debug container, root target)', async () => {
    const debugged = await attach({ namespace: 'demo', podName: 'node-app', profile: 'baseline', custom: { securityContext: { runAsUser: 1000, runAsGroup: 1000 } } });
    const pod = await api.readPod('demo', 'node-app');
    const shell = await createTargetRootShell(api, { namespace: 'demo', pod, debugContainer: debugged.containerName, targetContainer: 'app' });
    await shell.open(100, 30);
    await typeAndExpect(shell, '', /target-root: cannot read the container app filesystem \(\/proc\/1\/root: permission denied\): the debug container needs the target's uid or SYS_PTRACE/);
    const end = await shell.ended;
    assert.equal(end.exitCode, 126);
  });
});

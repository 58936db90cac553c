/**
 * Attach Debug Container end to end on the test cluster with the real client-node behind the ClusterApi
 * facade: preflight → build → add → wait → attach terminal, reattach, stop, auto on a restricted namespace.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClusterApi } from '../../../src/cluster/client';
import type { ClusterApi } from '../../../src/cluster/clusterApi';
import { attachDebugContainer, type AttachResult } from '../../../src/debug/attachFlow';
import { ephemeralContainerStatus } from '../../../src/debug/debugContainers';
import { execCapture } from '../../../src/debug/execCapture';
import { evaluatePodSecurity } from '../../../src/debug/podSecurity';
import { stopDebugContainer } from '../../../src/debug/stopDebugContainer';
import { AttachTerminal } from '../../../src/terminal/attachTerminal';
import { startTestCluster, type TestCluster } from '../../cluster/testCluster';
import { isRunning, waitForPod } from '../loopback/helpers/client';
import { requireRealPods } from '../loopback/helpers/requirePods';

const serverJs = readFileSync(join(__dirname, '../../cluster/demo/node-app/server.js'), 'utf8');

/** Resolves once `predicate(text)` holds for the terminal's accumulated output. */
function outputUntil(terminal: AttachTerminal, predicate: (text: string) => boolean, what: string, timeoutMs = 20_000): Promise<string> {
  let text = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      subscription.dispose();
      reject(new Error(`terminal never showed ${what}: ${JSON.stringify(text.slice(-2000))}`));
    }, timeoutMs);
    let done = false;
    const subscription = terminal.onOutput((chunk) => {
      text += chunk;
      if (!done && predicate(text)) {
        done = true;
        clearTimeout(timer);
        setImmediate(() => subscription.dispose());
        resolve(text);
      }
    });
  });
}

describe('debug: attach flow on the test cluster', function () {
  this.timeout(90_000);
  let cluster: TestCluster;
  let admin: ClusterApi;

  before(async function () {
    requireRealPods(this);
    cluster = await startTestCluster({ pullDelayMs: 50, backoffBaseMs: 200 });
    const kc = cluster.kubeConfig();
    admin = createClusterApi(kc);
    await waitForPod(kc, 'demo', 'node-app', isRunning('app'));
    await waitForPod(kc, 'restricted', 'secure-app', isRunning('app'));
  });

  after(async () => {
    await cluster?.stop();
  });

  let first: AttachResult;

  it('adds a debug container to demo/node-app and a command typed into the attach terminal reads the target\'s /app/server.js', async () => {
    const progress: string[] = [];
    let noticeShown = 0;
    const privilegeAsks: string[][] = [];
    first = await attachDebugContainer(admin, { namespace: 'demo', podName: 'node-app' }, {}, {
      onProgress: (m) => progress.push(m),
      acknowledgePermanent: async () => {
        noticeShown++;
        return true;
      },
      confirmPrivileged: async (info) => {
        privilegeAsks.push([...info.grants]);
        return true;
      },
    });
    // The target's uid is measured from status.containerStatuses[].user, which kubelets report with containerd
    // 2.x (and the loopback); containerd 1.6 (the real node) does not, and an unknown uid needs SYS_PTRACE.
    const reportsUser = (await admin.readPod('demo', 'node-app')).status?.containerStatuses?.[0]?.user !== undefined;
    if (reportsUser) {
      assert.equal(first.profile, 'baseline', 'auto on a root target with default capabilities: root, no SYS_PTRACE');
      assert.deepEqual(privilegeAsks, [], 'Enter through the defaults asks no privilege question');
    } else {
      assert.equal(first.profile, 'general', 'auto when the runtime does not report the target\'s uid');
      assert.deepEqual(privilegeAsks, [['SYS_PTRACE']], 'a profile that adds privilege is confirmed');
    }
    if (cluster.kind === 'loopback') assert.ok(reportsUser, 'the loopback reports the user, as kubelets with containerd 2.x do');
    assert.equal(first.targetContainer, 'app', 'the only container is the default target');
    assert.match(first.containerName, /^debugger-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.equal(first.image, 'busybox:1.36');
    assert.equal(first.reattached, false);
    assert.equal(noticeShown, 1, 'the first add to a pod shows the permanence notice');
    assert.ok(ephemeralContainerStatus(first.pod, first.containerName)?.state?.running);
    assert.ok(progress.some((m) => m.startsWith('adding debug container')), progress.join(' | '));

    const terminal = new AttachTerminal(admin, { namespace: 'demo', podName: 'node-app', containerName: first.containerName, image: first.image, profile: first.profile, targetContainer: 'app' });
    const banner = outputUntil(terminal, (t) => t.includes('\r\n'), 'the banner');
    await terminal.open(100, 30);
    assert.match(await banner, /demo\/node-app · container debugger-\w{5} · image busybox:1\.36 · profile \w+/);
    const lastLine = serverJs.trim().split('\n').pop()!.trim();
    const shown = outputUntil(terminal, (t) => t.includes(lastLine), `the last line of server.js (${lastLine})`);
    terminal.input('cat /proc/1/root/app/server.js\r');
    await shown;
    terminal.close();
    const end = await terminal.ended;
    assert.equal(end.kind, 'closed-by-user');
    assert.equal(end.canReattach, true, 'the container keeps running after the terminal closes');
  });

  it('offers to reattach to the running debug container with the same image and target, and reuses it', async () => {
    let offered: string[] = [];
    const again = await attachDebugContainer(admin, { namespace: 'demo', podName: 'node-app' }, {}, {
      chooseReattach: async (existing) => {
        offered = existing.map((e) => e.name);
        return { reattach: existing[0].name };
      },
      acknowledgePermanent: async () => assert.fail('no notice: the pod already has an ephemeral container'),
    });
    assert.deepEqual(offered, [first.containerName]);
    assert.equal(again.reattached, true);
    assert.equal(again.containerName, first.containerName);
    const pod = await admin.readPod('demo', 'node-app');
    assert.equal(pod.spec?.ephemeralContainers?.length, 1, 'nothing was added');

    // The attached shell still answers after reattaching.
    const terminal = new AttachTerminal(admin, { namespace: 'demo', podName: 'node-app', containerName: again.containerName });
    await terminal.open(80, 24);
    const echoed = outputUntil(terminal, (t) => t.includes('reattached-42'), 'the echo');
    terminal.input('echo reattached-$((40+2))\r');
    await echoed;
    terminal.close();
    await terminal.ended;
  });

  it('passes Ctrl-C through to the remote shell and reports the exit code when the shell exits', async () => {
    const added = await attachDebugContainer(admin, { namespace: 'demo', podName: 'node-app' }, { skipPrivilegedConfirmation: true }, {
      chooseReattach: async () => 'add-new',
    });
    assert.notEqual(added.containerName, first.containerName);
    const terminal = new AttachTerminal(admin, { namespace: 'demo', podName: 'node-app', containerName: added.containerName });
    await terminal.open(80, 24);
    const interrupted = outputUntil(terminal, (t) => t.includes('after-interrupt'), 'output after Ctrl-C');
    terminal.input('sleep 1000\r');
    await new Promise((r) => setTimeout(r, 300));
    terminal.input('\x03');
    terminal.input('echo after-interrupt\r');
    await interrupted;
    terminal.input('exit 3\r');
    const end = await terminal.ended;
    assert.equal(end.kind, 'exited', end.message);
    assert.equal(end.exitCode, 3);
    assert.equal(end.canReattach, false);
  });

  it('stops a debug container: its processes end and the pod reports it Terminated', async () => {
    const pod = await stopDebugContainer(admin, 'demo', 'node-app', first.containerName);
    const terminated = ephemeralContainerStatus(pod, first.containerName)?.state?.terminated;
    assert.ok(terminated, JSON.stringify(ephemeralContainerStatus(pod, first.containerName)));
    // The target is untouched.
    const latest = await admin.readPod('demo', 'node-app');
    assert.ok(latest.status?.containerStatuses?.find((s) => s.name === 'app')?.state?.running);
  });

  it('a pod deleted under its attach terminal: the end says the pod was deleted, and offers no Reattach', async () => {
    await cluster.createPod('demo', { metadata: { name: 'deleted-under-terminal' }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'app', image: 'busybox:1.36', command: ['sleep', '3600'] }] } });
    const kc = cluster.kubeConfig();
    await waitForPod(kc, 'demo', 'deleted-under-terminal', isRunning('app'));
    const added = await attachDebugContainer(admin, { namespace: 'demo', podName: 'deleted-under-terminal', targetContainer: 'app' }, { skipPrivilegedConfirmation: true }, {});
    const terminal = new AttachTerminal(admin, { namespace: 'demo', podName: 'deleted-under-terminal', containerName: added.containerName });
    await terminal.open(80, 24);
    const prompt = outputUntil(terminal, (t) => t.includes('ready-for-delete'), 'the shell answering');
    terminal.input('echo ready-for-delete\r');
    await prompt;
    await admin.deletePod('demo', 'deleted-under-terminal', { gracePeriodSeconds: 0 });
    const end = await terminal.ended;
    assert.match(end.message, /pod demo\/deleted-under-terminal was deleted/, end.message);
    assert.equal(end.canReattach, false);
  });

  it('issue #14: no target container: baseline without a question, the pod\'s network but not its processes; in a shared-PID pod, its processes', async () => {
    const asked: string[][] = [];
    const result = await attachDebugContainer(admin, { namespace: 'demo', podName: 'node-app', targetContainer: null, command: ['sh'] }, {}, {
      chooseReattach: async () => 'add-new',
      confirmPrivileged: async (info) => {
        asked.push([...info.grants]);
        return true;
      },
    });
    assert.equal(result.targetContainer, undefined);
    assert.equal(result.profile, 'baseline', result.profileReason);
    assert.match(result.profileReason ?? '', /no target container/);
    assert.deepEqual(asked, [], 'no privilege question');
    const spec = result.pod.spec?.ephemeralContainers?.find((c) => c.name === result.containerName);
    assert.equal(spec?.targetContainerName, undefined, 'no targetContainerName in the spec');
    const seen = await execCapture(admin, 'demo', 'node-app', result.containerName, ['sh', '-c', 'cat /proc/[0-9]*/comm; wget -qO- http://127.0.0.1:8080/ >/dev/null && echo reached-app']);
    assert.equal(seen.exitCode, 0, seen.stderr);
    assert.doesNotMatch(seen.stdout, /^node$/m, 'the app\'s process is not visible');
    assert.match(seen.stdout, /reached-app/, 'the app answers on the pod\'s network');

    await waitForPod(cluster.kubeConfig(), 'demo', 'shared-pid', isRunning('app'));
    const shared = await attachDebugContainer(admin, { namespace: 'demo', podName: 'shared-pid', targetContainer: null, command: ['sh'] }, {}, { chooseReattach: async () => 'add-new' });
    const sharedSeen = await execCapture(admin, 'demo', 'shared-pid', shared.containerName, ['sh', '-c', 'cat /proc/[0-9]*/comm']);
    assert.match(sharedSeen.stdout, /^node$/m, 'a pod that shares its process namespace shows its processes');
  });

  it('auto on restricted/secure-app passes restricted Pod Security and reads its target\'s /proc/1/root', async () => {
    const result = await attachDebugContainer(admin, { namespace: 'restricted', podName: 'secure-app' }, {}, {});
    assert.equal(result.profile, 'restricted');
    const pod = await admin.readPod('restricted', 'secure-app');
    assert.deepEqual(evaluatePodSecurity(pod, 'restricted'), [], 'the whole pod, debug container included, complies');
    const spec = pod.spec?.ephemeralContainers?.find((c) => c.name === result.containerName);
    assert.equal(spec?.securityContext?.runAsUser, 1000);
    const read = await execCapture(admin, 'restricted', 'secure-app', result.containerName, ['head', '-c', '200', '/proc/1/root/app/app.py']);
    assert.equal(read.exitCode, 0, read.stderr);
    const appPy = readFileSync(join(__dirname, '../../cluster/demo/python-app/app.py'), 'utf8');
    assert.equal(read.stdout, appPy.slice(0, 200));
  });
});

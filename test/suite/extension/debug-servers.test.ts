/**
 * The debug servers the debugger attach starts in a pod, on the loopback cluster: they listen on 127.0.0.1 only
 * (read from the pod's /proc/net/tcp{,6}: nothing that reaches the pod's IP can drive them), they are gone when
 * the debug session ends, and what the target planted in its /tmp is never run by the debug container.
 */
import assert from 'node:assert/strict';
import { createClusterApi } from '../../../src/cluster/client';
import type { ClusterApi } from '../../../src/cluster/clusterApi';
import { attachDebugContainer } from '../../../src/debug/attachFlow';
import { execCapture } from '../../../src/debug/execCapture';
import { startDebugAttachSession, type DebugAttachRequest, type DebugAttachSession } from '../../../src/launch/debugAttachSession';
import { parseListeningSockets } from '../../../src/launch/runtimes/common';
import { startTestCluster, type TestCluster } from '../../cluster/testCluster';
import { isRunning, waitForPod } from '../loopback/helpers/client';
import { requireRealPods } from '../loopback/helpers/requirePods';

describe('security: debug servers in the pod (test cluster)', function () {
  this.timeout(180_000);
  let cluster: TestCluster;
  let api: ClusterApi;
  const sessions: DebugAttachSession[] = [];
  const start = async (request: DebugAttachRequest): Promise<DebugAttachSession> => {
    const session = await startDebugAttachSession(api, request, { settings: { skipPrivilegedConfirmation: true }, listenTimeoutMs: 20_000 });
    sessions.push(session);
    return session;
  };
  const sh = async (pod: string, container: string, script: string): Promise<string> => (await execCapture(api, 'demo', pod, container, ['sh', '-c', script])).stdout;
  /** The addresses the pod listens on at `port` (its network namespace, seen from any of its containers). */
  const listening = async (pod: string, container: string, port: number): Promise<string[]> =>
    parseListeningSockets(await sh(pod, container, 'cat /proc/net/tcp /proc/net/tcp6 2>/dev/null')).filter((s) => s.port === port).map((s) => s.address);
  /** Command lines of the processes running in the pod's shared PID namespace that match `pattern`, zombies left out. */
  const processes = async (pod: string, container: string, pattern: RegExp): Promise<string[]> =>
    (await sh(pod, container, 'for d in /proc/[0-9]*; do grep -q "^State:[[:space:]]*Z" $d/status 2>/dev/null && continue; tr "\\000" " " < $d/cmdline 2>/dev/null; echo; done'))
      .split('\n').filter((line) => pattern.test(line));

  before(async function () {
    requireRealPods(this);
    cluster = await startTestCluster({ pullDelayMs: 10, backoffBaseMs: 200 });
    const kc = cluster.kubeConfig();
    api = createClusterApi(kc);
    await cluster.createPod('demo', { metadata: { name: 'python-planted' }, spec: { containers: [{ name: 'app', image: 'loopback.local/demo/python-app:1.0' }] } });
    for (const pod of ['python-app', 'go-app', 'python-planted']) await waitForPod(kc, 'demo', pod, isRunning('app'));
  });

  after(async () => {
    await Promise.allSettled(sessions.map((s) => s.dispose()));
    await cluster?.stop();
  });

  it('security #12.2: dlv listens on 127.0.0.1 only and is gone when the session ends', async () => {
    const session = await start({ namespace: 'demo', pod: 'go-app', runtime: 'go' });
    const port = 2345;
    assert.deepEqual(await listening('go-app', session.debugContainer, port), ['127.0.0.1']);
    assert.equal((await processes('go-app', session.debugContainer, /^dlv attach/)).length, 1);
    await session.dispose();
    assert.deepEqual(await listening('go-app', session.debugContainer, port), [], 'nothing listens after the session');
    assert.deepEqual(await processes('go-app', session.debugContainer, /^dlv attach/), [], 'dlv is gone');
    const program = await processes('go-app', session.debugContainer, /go-app|server/);
    assert.ok(program.length > 0, 'the Go program itself keeps running');
  });

  it('security #12.2: the injected debugpy listens on 127.0.0.1 only and its adapter is gone when the session ends', async () => {
    const session = await start({ namespace: 'demo', pod: 'python-app', runtime: 'python' });
    const port = 5678;
    assert.deepEqual(await listening('python-app', session.debugContainer, port), ['127.0.0.1']);
    assert.equal((await processes('python-app', session.debugContainer, /debugpy\/adapter/)).length, 1);
    await session.dispose();
    assert.deepEqual(await listening('python-app', session.debugContainer, port), [], 'nothing listens after the session');
    assert.deepEqual(await processes('python-app', session.debugContainer, /debugpy\/adapter/), [], 'the adapter is gone');
    assert.equal((await listening('python-app', session.debugContainer, 8000)).length, 1, 'the Python program itself keeps serving');
  });

  it('security #12.4: a debugpy the target planted at a predictable path in its /tmp is never run', async () => {
    // The debug container the session will reuse (same image, target and privileges).
    const debug = (await attachDebugContainer(api, { namespace: 'demo', podName: 'python-planted', image: 'python:3.12', targetContainer: 'app', profile: 'general', command: ['sh'] }, { skipPrivilegedConfirmation: true })).containerName;
    // What a target would plant where the injection used to copy debugpy (and skipped the copy when present).
    const planted = await sh('python-planted', debug, String.raw`ver=$(python3 -c 'import debugpy; print(debugpy.__version__)' | tr -c 'A-Za-z0-9.\n' _)
for d in /proc/1/root/tmp/.ephemeral-debug-debugpy-$ver /proc/1/root/tmp/.ephemeral-debug-debugpy; do
  mkdir -p $d/debugpy && printf 'open("/tmp/PLANTED-RAN", "w").write("ran")\n' > $d/debugpy/__main__.py
done
ls /proc/1/root/tmp/.ephemeral-debug-debugpy-$ver/debugpy/__main__.py`);
    assert.match(planted, /__main__\.py/);
    let failure: unknown;
    try {
      const session = await start({ namespace: 'demo', pod: 'python-planted', runtime: 'python' });
      assert.equal(session.debugContainer, debug);
      assert.ok(session.notes.some((n) => /from \/tmp\/\.ephemeral-debug-debugpy\.\w{10} in its \/tmp/.test(n)), session.notes.join(' | '));
      await session.dispose();
    } catch (error) {
      failure = error;
    }
    assert.equal(await sh('python-planted', debug, 'cat /tmp/PLANTED-RAN /proc/1/root/tmp/PLANTED-RAN 2>/dev/null; true'), '', 'the planted __main__.py ran');
    if (failure !== undefined) throw failure;
  });
});

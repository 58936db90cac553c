/**
 * One-step debugger attach on the test cluster, for real, per runtime: each session's forward is
 * spoken to in the debugger's own protocol — Node's inspector (/json/version, then CDP Runtime.evaluate over
 * its WebSocket), JDWP's handshake, debugpy's DAP `initialize`, dlv's JSON-RPC `RPCServer.ProcessPid` — and the
 * failure paths: no matching process, a JVM without JDWP, ptrace denied by the profile, a local port in
 * use, the pod deleted under a session.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import * as k8s from '@kubernetes/client-node';
import WebSocket from 'ws';
import { createClusterApi } from '../../../src/cluster/client';
import type { ClusterApi } from '../../../src/cluster/clusterApi';
import { startDebugAttachSession, type DebugAttachRequest, type DebugAttachSession } from '../../../src/launch/debugAttachSession';
import { parseLaunchConfiguration } from '../../../src/launch/launchConfiguration';
import { LaunchError } from '../../../src/launch/launchError';
import { PortForwardError } from '../../../src/launch/portForward';
import { startTestCluster, type TestCluster } from '../../cluster/testCluster';
import { isRunning, waitForPod } from '../loopback/helpers/client';
import { waitForLog } from './helpers/logs';
import { requireRealPods } from '../loopback/helpers/requirePods';

const JAVA = '/opt/java/openjdk/bin/java';

function javaPod(name: string, jvmOptions: string[]): k8s.V1Pod {
  return {
    metadata: { name, namespace: 'demo', labels: { app: name } },
    spec: { containers: [{ name: 'app', image: 'loopback.local/demo/java-app:1.0', command: [JAVA, ...jvmOptions, '-cp', '/app', 'Main'] }] },
  };
}


function httpGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent: false }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      response.on('end', () => resolve(body));
      response.on('error', reject);
    }).on('error', reject);
  });
}

/** Connects, writes `request`, and collects what comes back until `done(text)` holds. */
function exchange(port: number, request: string | Buffer, done: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer: ${JSON.stringify(text.slice(0, 500))}`));
    }, 20_000);
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (done(text)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(text);
      }
    });
    socket.write(request);
  });
}

describe('launch: debugger attach on the test cluster', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let kc: k8s.KubeConfig;
  let api: ClusterApi;
  const sessions: DebugAttachSession[] = [];
  const start = async (request: DebugAttachRequest): Promise<DebugAttachSession> => {
    const session = await startDebugAttachSession(api, request, { settings: { skipPrivilegedConfirmation: true }, listenTimeoutMs: 20_000 });
    sessions.push(session);
    return session;
  };

  before(async function () {
    requireRealPods(this);
    cluster = await startTestCluster({ pullDelayMs: 50, backoffBaseMs: 200 });
    kc = cluster.kubeConfig();
    api = createClusterApi(kc);
    await cluster.createPod('demo', javaPod('java-onjcmd', ['-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=*:5006,onjcmd=y']));
    await cluster.createPod('demo', javaPod('java-plain', []));
    for (const pod of ['node-app', 'java-app', 'python-app', 'go-app', 'java-onjcmd', 'java-plain']) await waitForPod(kc, 'demo', pod, isRunning('app'));
  });

  after(async () => {
    await Promise.allSettled(sessions.map((s) => s.dispose()));
    await cluster?.stop();
  });

  it('Node: SIGUSR1 from the debug container opens the inspector; /json/version and CDP Runtime.evaluate answer through the forward', async () => {
    const session = await start({ namespace: 'demo', pod: 'node-app', runtime: 'node', localRoot: '/work/src' });
    const config = session.debugConfiguration;
    assert.equal(config.type, 'node');
    assert.equal(config.request, 'attach');
    assert.equal(config.address, '127.0.0.1');
    assert.equal(config.port, session.forward.localPort);
    assert.equal(config.remoteRoot, '/app', 'remoteRoot from /proc/<pid>/cwd');
    assert.equal(config.localRoot, '/work/src');
    assert.equal(session.process.pid, 1, 'distroless node-app: its process is PID 1 of the target\'s namespace');
    assert.ok(session.notes.some((n) => n.includes('SIGUSR1')), session.notes.join(' | '));

    const version = JSON.parse(await httpGet(session.forward.localPort, '/json/version')) as { Browser: string };
    assert.match(version.Browser, /^node\.js\/v\d+/);
    const targets = JSON.parse(await httpGet(session.forward.localPort, '/json/list')) as { webSocketDebuggerUrl: string }[];
    // The inspector names its own port; speak to it through the forward (what js-debug does as well).
    const url = new URL(targets[0]!.webSocketDebuggerUrl);
    url.host = `127.0.0.1:${session.forward.localPort}`;
    const ws = new WebSocket(url.toString());
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const answer = new Promise<{ id: number; result: { result: { value: unknown } } }>((resolve) => {
      ws.on('message', (data: Buffer) => {
        const message = JSON.parse(data.toString('utf8')) as { id?: number };
        if (message.id === 1) resolve(message as { id: number; result: { result: { value: unknown } } });
      });
    });
    ws.send(JSON.stringify({ id: 1, method: 'Runtime.evaluate', params: { expression: 'JSON.stringify([process.pid, process.argv[1]])', returnByValue: true } }));
    assert.deepEqual(JSON.parse((await answer).result.result.value as string), [1, '/app/server.js']);
    ws.close();
  });

  it('Node: a second session reuses the debug container and the open inspector; a local port in use is refused', async () => {
    const before = (await api.readPod('demo', 'node-app')).spec?.ephemeralContainers?.length;
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      await assert.rejects(start({ namespace: 'demo', pod: 'node-app', runtime: 'node', localPort: taken }),
        (error: unknown) => error instanceof PortForwardError && error.code === 'port-in-use');
    } finally {
      blocker.close();
    }
    // Runtime detected, process chosen by pattern, pod chosen by label.
    const session = await start({ namespace: 'demo', labelSelector: 'app=node-app', process: 'server.js' });
    assert.equal(session.runtime, 'node');
    assert.ok(session.notes.some((n) => n.includes('already listens')), session.notes.join(' | '));
    assert.equal((await api.readPod('demo', 'node-app')).spec?.ephemeralContainers?.length, before, 'no debug container added');
    assert.match(await httpGet(session.forward.localPort, '/json/version'), /node\.js/);
  });

  it('Java: the JDWP handshake is echoed through the forward', async () => {
    const session = await start({ namespace: 'demo', pod: 'java-app', runtime: 'java' });
    assert.deepEqual({ type: session.debugConfiguration.type, hostName: session.debugConfiguration.hostName, port: session.debugConfiguration.port },
      { type: 'java', hostName: '127.0.0.1', port: session.forward.localPort });
    assert.equal(session.forward.remotePort, 5005, 'JDWP address from the command line');
    assert.equal(await exchange(session.forward.localPort, 'JDWP-Handshake', (t) => t.length >= 14), 'JDWP-Handshake');
  });

  it('Java: with onjcmd=y, jcmd VM.start_java_debugging from the JDK image starts JDWP', async () => {
    await waitForLog(api, 'demo', 'java-onjcmd', 'java-app listening');
    const session = await start({ namespace: 'demo', pod: 'java-onjcmd', runtime: 'java' });
    assert.equal(session.forward.remotePort, 5006);
    assert.ok(session.notes.some((n) => n.includes('jcmd')), session.notes.join(' | '));
    assert.equal(await exchange(session.forward.localPort, 'JDWP-Handshake', (t) => t.length >= 14), 'JDWP-Handshake');
  });

  it('Java: a JVM without a JDWP agent is refused with the option to add, which listens on 127.0.0.1 only (security #12.2)', async () => {
    await assert.rejects(start({ namespace: 'demo', pod: 'java-plain', runtime: 'java' }),
      (error: unknown) => error instanceof LaunchError && error.code === 'no-debug-agent' && error.message.includes('-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=127.0.0.1:5005"'));
  });

  it('Python: the injected debugpy answers a DAP initialize request through the forward', async () => {
    const session = await start({ namespace: 'demo', pod: 'python-app', runtime: 'python', localRoot: '/work/py' });
    const config = session.debugConfiguration;
    assert.equal(config.type, 'debugpy');
    assert.deepEqual(config.connect, { host: '127.0.0.1', port: session.forward.localPort });
    assert.deepEqual(config.pathMappings, [{ localRoot: '/work/py', remoteRoot: '/app' }]);
    const body = JSON.stringify({ seq: 1, type: 'request', command: 'initialize', arguments: { clientID: 'test', adapterID: 'debugpy', pathFormat: 'path' } });
    const text = await exchange(session.forward.localPort, `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      (t) => /"type": ?"response"[^}]*"command": ?"initialize"|"command": ?"initialize"[^}]*"type": ?"response"/.test(t) && /\}\s*$/.test(t));
    const responses = text.split(/Content-Length: \d+\r\n\r\n/).filter(Boolean).map((m) => JSON.parse(m) as { type: string; command?: string; success?: boolean });
    const initialize = responses.find((m) => m.type === 'response' && m.command === 'initialize');
    assert.equal(initialize?.success, true, text.slice(0, 500));
  });

  it('Python: ptrace denied by the profile (baseline) is said before anything is tried', async () => {
    await assert.rejects(start({ namespace: 'demo', pod: 'python-app', runtime: 'python', profile: 'baseline', port: 5679 }),
      (error: unknown) => error instanceof LaunchError && error.code === 'ptrace-denied' && /SYS_PTRACE/.test(error.message) && /profile baseline/.test(error.message));
  });

  it('Go: dlv attached from the delve image answers RPCServer.ProcessPid; the session\'s end detaches it', async () => {
    const session = await start({ namespace: 'demo', pod: 'go-app', runtime: 'go', localRoot: '/work/go', remoteRoot: '/src' });
    assert.deepEqual({ type: session.debugConfiguration.type, mode: session.debugConfiguration.mode, port: session.debugConfiguration.port },
      { type: 'go', mode: 'remote', port: session.forward.localPort });
    assert.deepEqual(session.debugConfiguration.substitutePath, [{ from: '/work/go', to: '/src' }]);
    // ProcessPid, not State: a non-blocking State of a running target (dlv --continue) carries no Pid.
    const text = await exchange(session.forward.localPort, JSON.stringify({ method: 'RPCServer.ProcessPid', params: [{}], id: 1 }),
      (t) => { try { JSON.parse(t); return true; } catch { return false; } });
    const reply = JSON.parse(text) as { id: number; error: unknown; result: { Pid: number } };
    assert.equal(reply.id, 1);
    assert.equal(reply.error, null);
    assert.equal(reply.result.Pid, 1, 'dlv attached to the target\'s PID');
    await session.dispose();
    assert.equal(session.forward.isEnded, true);
    // The program still runs after dlv detached.
    const probe = await startDebugAttachSession(api, { namespace: 'demo', pod: 'go-app', runtime: 'go' }, { settings: { skipPrivilegedConfirmation: true } });
    sessions.push(probe);
    assert.ok(probe.notes.some((n) => n.startsWith('started dlv')), `a new dlv was started: ${probe.notes.join(' | ')}`);
  });

  it('no matching process: says which runtime was looked for and lists what runs', async () => {
    await assert.rejects(start({ namespace: 'demo', pod: 'node-app', runtime: 'java' }),
      (error: unknown) => error instanceof LaunchError && error.code === 'no-process' && /no java process/.test(error.message)
        && error.candidates.some((p) => p.cmdline.includes('/app/server.js')));
    await assert.rejects(start({ namespace: 'demo', pod: 'node-app', runtime: 'node', process: 4242 }),
      (error: unknown) => error instanceof LaunchError && error.code === 'no-process' && /PID 4242/.test(error.message));
  });

  it('ends the session\'s forward with a message when the pod is deleted', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await cluster.createPod('demo', { metadata: { name: 'node-doomed', namespace: 'demo' }, spec: { containers: [{ name: 'app', image: 'loopback.local/demo/node-app:1.0' }] } });
    await waitForPod(kc, 'demo', 'node-doomed', isRunning('app'));
    const session = await start({ namespace: 'demo', pod: 'node-doomed', runtime: 'node' });
    assert.match(await httpGet(session.forward.localPort, '/json/version'), /node\.js/);
    await core.deleteNamespacedPod({ namespace: 'demo', name: 'node-doomed' });
    const end = await session.forward.ended;
    assert.equal(end.reason, 'pod-gone');
    assert.match(end.reason === 'pod-gone' ? end.message : '', /node-doomed (was deleted|is being deleted)/);
  });

  it('validates launch.json attributes into a request', () => {
    const parsed = parseLaunchConfiguration({ type: 'kubernetes-ephemeral', request: 'attach', name: 'x', context: 'c', namespace: 'demo', pod: 'p', runtime: 'go', process: '12', port: '2345' });
    assert.equal(parsed.context, 'c');
    assert.deepEqual({ runtime: parsed.request.runtime, process: parsed.request.process, port: parsed.request.port }, { runtime: 'go', process: 12, port: 2345 });
    assert.throws(() => parseLaunchConfiguration({ request: 'attach', namespace: 'demo' }), /set "pod", a workload \("deployment", "statefulSet", "daemonSet", "replicaSet", "job"\) or "labelSelector"/);
    assert.throws(() => parseLaunchConfiguration({ request: 'attach', namespace: 'demo', pod: 'p', runtime: 'ruby' }), /node, java, python or go/);
    assert.throws(() => parseLaunchConfiguration({ request: 'launch', namespace: 'demo', pod: 'p' }), /"request" must be "attach"/);
  });
});

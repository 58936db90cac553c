/**
 * Port-forwarding over pods/portforward through the ClusterApi facade on the test cluster: many
 * concurrent connections carrying large payloads intact both ways, every socket closed afterwards, the
 * local port taken, nothing listening in the pod, and the pod deleted under a running forward.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as net from 'node:net';
import * as k8s from '@kubernetes/client-node';
import { createClusterApi } from '../../../src/cluster/client';
import type { ClusterApi } from '../../../src/cluster/clusterApi';
import { PortForwardError, startPortForward, type ConnectionFailure } from '../../../src/launch/portForward';
import { startTestCluster, type TestCluster } from '../../cluster/testCluster';
import { isRunning, waitForPod } from '../loopback/helpers/client';
import { waitForLog } from './helpers/logs';
import { requireRealPods } from '../loopback/helpers/requirePods';

const ECHO_PORT = 7000;
const CONNECTIONS = 50;
const PAYLOAD = 16 * 1024 * 1024;

/** A pod whose node process echoes every TCP connection on ECHO_PORT. */
function echoPod(name: string): k8s.V1Pod {
  return {
    metadata: { name, namespace: 'demo', labels: { app: name } },
    spec: {
      containers: [{
        name: 'app',
        image: 'node:22',
        command: ['node', '-e', `require('net').createServer((s) => { s.on('error', () => {}); s.pipe(s); }).listen(${ECHO_PORT}, () => console.log('echo ready'))`],
      }],
    },
  };
}


/** Sends `payload` and reads as many bytes back; resolves with the digest of what came back. */
function echoRoundTrip(port: number, payload: Buffer): Promise<{ digest: string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const hash = createHash('sha256');
    let received = 0;
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      received += chunk.length;
      if (received === payload.length) {
        socket.end();
        resolve({ digest: hash.digest('hex'), closed });
      } else if (received > payload.length) {
        reject(new Error(`received ${received} bytes for ${payload.length} sent`));
      }
    });
    socket.on('end', () => {
      if (received < payload.length) reject(new Error(`connection ended after ${received} of ${payload.length} bytes`));
    });
    socket.write(payload);
  });
}

describe('launch: port-forward on the test cluster', function () {
  this.timeout(240_000);
  let cluster: TestCluster;
  let kc: k8s.KubeConfig;
  let api: ClusterApi;

  before(async function () {
    requireRealPods(this);
    cluster = await startTestCluster({ pullDelayMs: 50, backoffBaseMs: 200 });
    kc = cluster.kubeConfig();
    api = createClusterApi(kc);
    await cluster.createPod('demo', echoPod('echo'));
    await waitForPod(kc, 'demo', 'echo', isRunning('app'));
    await waitForLog(api, 'demo', 'echo', 'echo ready');
  });

  after(async () => {
    await cluster?.stop();
  });

  it(`carries ${CONNECTIONS} concurrent connections of 16 MiB each way intact, and closes every socket`, async () => {
    const forward = await startPortForward(api, { namespace: 'demo', pod: 'echo', remotePort: ECHO_PORT });
    assert.equal(forward.localAddress, '127.0.0.1');
    assert.ok(forward.localPort > 0);
    const payloads = Array.from({ length: CONNECTIONS }, () => randomBytes(PAYLOAD));
    const results = await Promise.all(payloads.map((p) => echoRoundTrip(forward.localPort, p)));
    for (let i = 0; i < CONNECTIONS; i++) {
      assert.equal(results[i]!.digest, createHash('sha256').update(payloads[i]!).digest('hex'), `connection ${i} came back intact`);
    }
    await Promise.all(results.map((r) => r.closed));
    assert.equal(forward.accepted, CONNECTIONS);
    // The forward's side of each connection closes too (its WebSocket ended the socket).
    for (let i = 0; i < 100 && forward.connectionCount > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(forward.connectionCount, 0, 'no local socket left open');
    await forward.stop();
    const end = await forward.ended;
    assert.equal(end.reason, 'stopped');
    await assert.rejects(new Promise((resolve, reject) => net.connect(forward.localPort, '127.0.0.1').on('connect', resolve).on('error', reject)),
      /ECONNREFUSED/, 'the local server is closed');
  });

  it('stop() closes open connections and the server', async () => {
    const forward = await startPortForward(api, { namespace: 'demo', pod: 'echo', remotePort: ECHO_PORT });
    const socket = net.connect(forward.localPort, '127.0.0.1');
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    const echoed = new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString())));
    socket.write('ping');
    assert.equal(await echoed, 'ping');
    assert.equal(forward.connectionCount, 1);
    await forward.stop();
    await closed;
    assert.equal(forward.connectionCount, 0);
  });

  it('refuses a local port already in use, saying so', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const taken = (blocker.address() as net.AddressInfo).port;
    try {
      await assert.rejects(startPortForward(api, { namespace: 'demo', pod: 'echo', remotePort: ECHO_PORT, localPort: taken }),
        (error: unknown) => error instanceof PortForwardError && error.code === 'port-in-use' && error.message.includes(`local port ${taken}`) && /already in use/.test(error.message));
    } finally {
      blocker.close();
    }
  });

  it('reports the kubelet\'s error when nothing listens on the pod port and closes that connection', async () => {
    const forward = await startPortForward(api, { namespace: 'demo', pod: 'echo', remotePort: 7999 });
    const failure = new Promise<ConnectionFailure>((resolve) => forward.onConnectionFailure(resolve));
    const socket = net.connect(forward.localPort, '127.0.0.1');
    socket.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    assert.match((await failure).message, /7999/);
    await closed;
    assert.equal(forward.isEnded, false, 'one failed connection does not end the forward');
    await forward.stop();
  });

  it('ends with a message when the pod is deleted', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await cluster.createPod('demo', echoPod('doomed'));
    await waitForPod(kc, 'demo', 'doomed', isRunning('app'));
    await waitForLog(api, 'demo', 'doomed', 'echo ready');
    const forward = await startPortForward(api, { namespace: 'demo', pod: 'doomed', remotePort: ECHO_PORT });
    const socket = net.connect(forward.localPort, '127.0.0.1');
    socket.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const echoed = new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.write('x');
    await echoed;
    await core.deleteNamespacedPod({ namespace: 'demo', name: 'doomed' });
    const end = await forward.ended;
    assert.equal(end.reason, 'pod-gone');
    assert.match(end.reason === 'pod-gone' ? end.message : '', /pod demo\/doomed (was deleted|is being deleted)/);
    await closed;
    assert.equal(forward.connectionCount, 0);
  });
});

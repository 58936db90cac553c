/**
 * Port-forward: ours (client-node's PortForward over WebSocket, one per connection, behind the ClusterApi
 * facade) against `kubectl port-forward` (SPDY) on the same loopback cluster and echo pod. Measures the
 * connection set-up time (connect → first echoed byte, sequential connections) and the throughput of one
 * connection echoing `BENCH_MIB` MiB (default 64). `BENCH_RUNS` (default 20) set-ups per side. Markdown table.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { createClusterApi } from '../../src/cluster/client';
import { startPortForward } from '../../src/launch/portForward';
import { LoopbackCluster } from '../cluster/cluster';
import { isRunning, kubeConfigFor, waitForPod } from '../suite/loopback/helpers/client';
import { median } from './stats';
import { testKubectl } from '../cluster/testCluster';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const MIB = Number(process.env.BENCH_MIB ?? 64);
/** The kubectl compared with: the real node's own release when EPHEMERAL_DEBUG_KUBECTL is set. */
const KUBECTL = testKubectl();
const ECHO_PORT = 7000;

/** Sends `payload` through localhost:port and resolves with the ms until it all came back. */
function echo(port: number, payload: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = net.connect(port, '127.0.0.1');
    let received = 0;
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received >= payload.length) {
        const elapsed = performance.now() - started;
        socket.destroy();
        resolve(elapsed);
      }
    });
    socket.on('close', () => {
      if (received < payload.length) reject(new Error(`closed after ${received} of ${payload.length} bytes`));
    });
    socket.write(payload);
  });
}

async function measure(port: number): Promise<{ setupMs: number; mibPerSecond: number }> {
  await echo(port, Buffer.from('w')); // warm-up
  const setups: number[] = [];
  for (let i = 0; i < RUNS; i++) setups.push(await echo(port, Buffer.from('x')));
  const payload = randomBytes(MIB * 1024 * 1024);
  const elapsed = await echo(port, payload);
  return { setupMs: median(setups), mibPerSecond: MIB / (elapsed / 1000) };
}

function kubectlForward(kubeconfig: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(KUBECTL, ['--kubeconfig', kubeconfig, 'port-forward', '-n', 'demo', 'pod/echo', `:${ECHO_PORT}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kubectl port-forward did not start: ${text}`)), 20_000);
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`kubectl exited ${code}: ${text}`)));
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pf-bench-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const cluster = await LoopbackCluster.start({ demo: true, kubeconfigPath: kubeconfig, pullDelayMs: 0 });
  try {
    const kc = kubeConfigFor(cluster.kubeconfigYaml());
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedPod({ namespace: 'demo', body: { metadata: { name: 'echo', namespace: 'demo' }, spec: { containers: [{ name: 'app', image: 'node:22',
      command: ['node', '-e', `require('net').createServer((s) => { s.on('error', () => {}); s.pipe(s); }).listen(${ECHO_PORT})`] }] } } });
    await waitForPod(kc, 'demo', 'echo', isRunning('app'));
    const api = createClusterApi(kc);
    const forward = await startPortForward(api, { namespace: 'demo', pod: 'echo', remotePort: ECHO_PORT });
    // The pod's server may take a moment to listen after the container starts.
    for (let i = 0; i < 100; i++) {
      try {
        await echo(forward.localPort, Buffer.from('?'));
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const ours = await measure(forward.localPort);
    await forward.stop();

    let theirs: { setupMs: number; mibPerSecond: number } | undefined;
    let note = '';
    if (existsSync(KUBECTL)) {
      const { child, port } = await kubectlForward(kubeconfig);
      try {
        theirs = await measure(port);
      } finally {
        child.kill('SIGTERM');
      }
    } else {
      note = `(${KUBECTL} not found: no comparison)`;
    }
    const ratio = (a: number, b: number | undefined): string => (b === undefined ? '–' : `${(a / b).toFixed(2)}×`);
    console.log(`${RUNS} sequential connections for set-up (median), one connection echoing ${MIB} MiB for throughput ${note}\n`);
    console.log('| what | ours (client-node WebSocket) | kubectl port-forward (SPDY) | ours / kubectl |');
    console.log('| --- | --- | --- | --- |');
    console.log(`| connection set-up (connect → first byte echoed), ms | ${ours.setupMs.toFixed(1)} | ${theirs?.setupMs.toFixed(1) ?? '–'} | ${ratio(ours.setupMs, theirs?.setupMs)} |`);
    console.log(`| throughput, MiB/s each way | ${ours.mibPerSecond.toFixed(1)} | ${theirs?.mibPerSecond.toFixed(1) ?? '–'} | ${ratio(ours.mibPerSecond, theirs?.mibPerSecond)} |`);
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (error: unknown) => {
  console.error(error);
  process.exit(1);
});

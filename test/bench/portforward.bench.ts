/**
 * Port-forward: ours (client-node's PortForward over WebSocket, one per connection, behind the ClusterApi
 * facade) against `kubectl port-forward` (SPDY) on the same test cluster (loopback or real node) and echo pod of
 * the bench's own. Measures the connection set-up time (connect → first echoed byte, sequential connections) and
 * the throughput of one connection echoing `BENCH_MIB` MiB (default 64) each way, `BENCH_TRANSFERS` times
 * (default 3). `BENCH_RUNS` (default 20) set-ups per side. Both forwards are stopped even on failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { createClusterApi } from '../../src/cluster/client';
import { startPortForward } from '../../src/launch/portForward';
import { isRunning, waitForPod } from '../suite/loopback/helpers/client';
import { withBenchCluster } from './benchCluster';
import { printTable, ratioLine, runBenchmark } from './stats';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const MIB = Number(process.env.BENCH_MIB ?? 64);
const TRANSFERS = Number(process.env.BENCH_TRANSFERS ?? 3);
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

interface Measured {
  /** ms per connection set-up. */
  readonly setups: number[];
  /** MiB/s per transfer. */
  readonly rates: number[];
}

async function measure(port: number, payload: Buffer): Promise<Measured> {
  await echo(port, Buffer.from('w')); // warm-up
  const setups: number[] = [];
  for (let i = 0; i < RUNS; i++) setups.push(await echo(port, Buffer.from('x')));
  const rates: number[] = [];
  for (let i = 0; i < TRANSFERS; i++) rates.push(MIB / ((await echo(port, payload)) / 1000));
  return { setups, rates };
}

function kubectlForward(kubectl: string, kubectlArgs: readonly string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(kubectl, [...kubectlArgs, 'port-forward', '-n', 'demo', 'pod/bench-echo', `:${ECHO_PORT}`], { stdio: ['ignore', 'pipe', 'pipe'] });
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
  await withBenchCluster({ demo: true, pullDelayMs: 0 }, async ({ cluster, kubectl, kubectlArgs, onCleanup }) => {
    const kc = cluster.kubeConfig();
    await cluster.createPod('demo', { metadata: { name: 'bench-echo', namespace: 'demo' }, spec: { containers: [{ name: 'app', image: 'node:22',
      command: ['node', '-e', `require('net').createServer((s) => { s.on('error', () => {}); s.pipe(s); }).listen(${ECHO_PORT})`] }] } });
    await waitForPod(kc, 'demo', 'bench-echo', isRunning('app'), 120_000);
    const api = createClusterApi(kc);
    const forward = await startPortForward(api, { namespace: 'demo', pod: 'bench-echo', remotePort: ECHO_PORT });
    onCleanup(() => forward.stop());
    // The pod's server may take a moment to listen after the container starts.
    for (let i = 0; i < 100; i++) {
      try {
        await echo(forward.localPort, Buffer.from('?'));
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const payload = randomBytes(MIB * 1024 * 1024);
    const ours = await measure(forward.localPort, payload);
    await forward.stop();

    let theirs: Measured | undefined;
    if (kubectl) {
      const { child, port } = await kubectlForward(kubectl, kubectlArgs());
      const stopped = new Promise((resolve) => child.once('exit', resolve));
      const stop = async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        await stopped;
      };
      onCleanup(stop);
      theirs = await measure(port, payload);
      await stop();
    }
    console.log(`${RUNS} sequential connections for set-up, ${TRANSFERS} connections each echoing ${MIB} MiB for throughput\n`);
    printTable('port-forward: connection set-up (connect → first byte echoed)', 'ms', [
      { label: 'extension (client-node WebSocket)', values: ours.setups },
      ...(theirs ? [{ label: 'kubectl port-forward (SPDY)', values: theirs.setups }] : []),
    ]);
    printTable(`port-forward: throughput of one connection echoing ${MIB} MiB, each way`, 'MiB/s', [
      { label: 'extension (client-node WebSocket)', values: ours.rates },
      ...(theirs ? [{ label: 'kubectl port-forward (SPDY)', values: theirs.rates }] : []),
    ]);
    if (theirs) {
      console.log(ratioLine('set-up extension / kubectl', ours.setups, theirs.setups));
      console.log(ratioLine('throughput extension / kubectl', ours.rates, theirs.rates, true));
    }
  });
}

runBenchmark(main);

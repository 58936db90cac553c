/**
 * Port-forward: ours (client-node's PortForward over WebSocket, one per connection, behind the ClusterApi
 * facade) against `kubectl port-forward` (SPDY) on the same test cluster (loopback or real node) and echo pod of
 * the bench's own. Measures the connection set-up time (connect → first echoed byte, sequential connections) and
 * the throughput of one connection echoing `BENCH_MIB` MiB (default 64) each way, `BENCH_TRANSFERS` times
 * (default 3). `BENCH_RUNS` (default 20) set-ups per side. Both forwards are stopped even on failure.
 *
 * On the loopback the API server and kubelet run in this process. kubectl is a process of its own; so is our side
 * (portforwardHost.ts), as the extension host is in VS Code. `BENCH_PORTFORWARD_IN_PROCESS=1` runs our side in
 * this process instead, where it shares one thread with the loopback cluster (what this bench measured before).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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
const IN_PROCESS = process.env.BENCH_PORTFORWARD_IN_PROCESS === '1';

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
  /** CPU ms the forwarding process spent per transfer (user + system; empty when it is not a process of its own). */
  readonly cpu: number[];
  /** CPU ms this process (the loopback cluster's API server and kubelet, and the echo client) spent per transfer. */
  readonly benchCpu: number[];
}

/** CPU ms used so far by process `pid` (Linux /proc; undefined elsewhere). Clock ticks are 10 ms. */
function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

async function measure(port: number, payload: Buffer, pid?: number): Promise<Measured> {
  await echo(port, Buffer.from('w')); // warm-up
  const setups: number[] = [];
  for (let i = 0; i < RUNS; i++) setups.push(await echo(port, Buffer.from('x')));
  const rates: number[] = [];
  const cpu: number[] = [];
  const benchCpu: number[] = [];
  for (let i = 0; i < TRANSFERS; i++) {
    const before = cpuMs(pid);
    const benchBefore = process.cpuUsage();
    rates.push(MIB / ((await echo(port, payload)) / 1000));
    const benchUsed = process.cpuUsage(benchBefore);
    benchCpu.push((benchUsed.user + benchUsed.system) / 1000);
    const after = cpuMs(pid);
    if (before !== undefined && after !== undefined) cpu.push(after - before);
  }
  return { setups, rates, cpu, benchCpu };
}

function kubectlForward(kubectl: string, kubectlArgs: readonly string[]): Promise<{ child: ChildProcess; port: number }> {
  return forwardProcess(spawn(kubectl, [...kubectlArgs, 'port-forward', '-n', 'demo', 'pod/bench-echo', `:${ECHO_PORT}`], { stdio: ['ignore', 'pipe', 'pipe'] }),
    /Forwarding from 127\.0\.0\.1:(\d+)/);
}

/** Our forward in a process of its own (portforwardHost.ts); it stops when its stdin ends. */
function extensionForward(kubeconfig: string, context: string): Promise<{ child: ChildProcess; port: number }> {
  return forwardProcess(spawn(process.execPath, [...process.execArgv, join(__dirname, 'portforwardHost.ts'), kubeconfig, context, 'demo', 'bench-echo', String(ECHO_PORT)],
    { stdio: ['pipe', 'pipe', 'pipe'] }), /listening (\d+)/);
}

/** Resolves once `child` printed the local port it forwards from (`pattern`'s first group). */
function forwardProcess(child: ChildProcess, pattern: RegExp): Promise<{ child: ChildProcess; port: number }> {
  let text = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${child.spawnfile} did not start forwarding: ${text}`)), 20_000);
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      const m = pattern.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${child.spawnfile} exited ${code}: ${text}`)));
  });
}

/** Stops a forwarding process (kubectl by SIGTERM, ours by ending its stdin) and waits for it to exit. */
function stopper(child: ChildProcess): () => Promise<void> {
  const stopped = new Promise((resolve) => child.once('exit', resolve));
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      if (child.stdin) child.stdin.end();
      else child.kill('SIGTERM');
    }
    await stopped;
  };
}

async function main(): Promise<void> {
  await withBenchCluster({ demo: true, pullDelayMs: 0 }, async ({ cluster, kubeconfig, kubectl, kubectlArgs, onCleanup }) => {
    const kc = cluster.kubeConfig();
    await cluster.createPod('demo', { metadata: { name: 'bench-echo', namespace: 'demo' }, spec: { containers: [{ name: 'app', image: 'node:22',
      command: ['node', '-e', `require('net').createServer((s) => { s.on('error', () => {}); s.pipe(s); }).listen(${ECHO_PORT})`] }] } });
    await waitForPod(kc, 'demo', 'bench-echo', isRunning('app'), 120_000);
    let localPort: number;
    let ourPid: number | undefined;
    let stopOurs: () => Promise<void>;
    if (IN_PROCESS) {
      const forward = await startPortForward(createClusterApi(kc), { namespace: 'demo', pod: 'bench-echo', remotePort: ECHO_PORT });
      localPort = forward.localPort;
      stopOurs = () => forward.stop();
    } else {
      const { child, port } = await extensionForward(kubeconfig, cluster.context('admin'));
      localPort = port;
      ourPid = child.pid;
      stopOurs = stopper(child);
    }
    onCleanup(stopOurs);
    // The pod's server may take a moment to listen after the container starts.
    for (let i = 0; i < 100; i++) {
      try {
        await echo(localPort, Buffer.from('?'));
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const payload = randomBytes(MIB * 1024 * 1024);
    const ours = await measure(localPort, payload, ourPid);
    await stopOurs();

    let theirs: Measured | undefined;
    if (kubectl) {
      const { child, port } = await kubectlForward(kubectl, kubectlArgs());
      const stop = stopper(child);
      onCleanup(stop);
      theirs = await measure(port, payload, child.pid);
      await stop();
    }
    console.log(`${RUNS} sequential connections for set-up, ${TRANSFERS} connections each echoing ${MIB} MiB for throughput; `
      + `the extension's side ${IN_PROCESS ? 'in the loopback cluster\'s process (BENCH_PORTFORWARD_IN_PROCESS=1)' : 'in a process of its own'}\n`);
    // Each ratio right after its own table, so that run.ts's verdicts name the right heading.
    printTable('port-forward: connection set-up (connect → first byte echoed)', 'ms', [
      { label: 'extension (client-node WebSocket)', values: ours.setups },
      ...(theirs ? [{ label: 'kubectl port-forward (SPDY)', values: theirs.setups }] : []),
    ]);
    if (theirs) console.log(`${ratioLine('set-up extension / kubectl', ours.setups, theirs.setups)}\n`);
    printTable(`port-forward: throughput of one connection echoing ${MIB} MiB, each way`, 'MiB/s', [
      { label: 'extension (client-node WebSocket)', values: ours.rates },
      ...(theirs ? [{ label: 'kubectl port-forward (SPDY)', values: theirs.rates }] : []),
    ]);
    if (theirs) console.log(`${ratioLine('throughput extension / kubectl', ours.rates, theirs.rates, true)}\n`);
    if (ours.cpu.length > 0) {
      // Independent of what else the machine runs: the forwarder's own work per transfer.
      printTable(`port-forward: CPU time of the forwarding process per ${MIB} MiB echoed (user + system)`, 'ms', [
        { label: 'extension (client-node WebSocket)', values: ours.cpu },
        ...(theirs && theirs.cpu.length > 0 ? [{ label: 'kubectl port-forward (SPDY)', values: theirs.cpu }] : []),
      ]);
    }
    if (cluster.description.startsWith('loopback')) {
      // The loopback serves both sides in this process: if it works harder for one, it caps that side's ratio.
      printTable(`port-forward: CPU time of the loopback cluster's process per ${MIB} MiB echoed (its API server and kubelet, and the echo client)`, 'ms', [
        { label: 'serving the extension (WebSocket)', values: ours.benchCpu },
        ...(theirs ? [{ label: 'serving kubectl (SPDY)', values: theirs.benchCpu }] : []),
      ]);
    }
  });
}

runBenchmark(main);

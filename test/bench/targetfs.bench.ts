/**
 * The target filesystem against its peers on the test cluster (loopback or real node): readFile of 64 MiB vs a raw
 * `exec cat` of the same file through the same client and vs `kubectl cp` (tar in the debug container);
 * readDirectory of 10,000 entries vs `kubectl exec ls -la`. Busybox and GNU (ubuntu) debug images. The files are
 * written into a pod of the bench's own made like demo/node-app, deleted at the end. `BENCH_RUNS` (default 3) per row.
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { createClusterApi } from '../../src/cluster/client';
import { attachDebugContainer } from '../../src/debug/attachFlow';
import { execCapture } from '../../src/debug/execCapture';
import { runExec } from '../../src/targetfs/execRunner';
import { TargetFileSystem } from '../../src/targetfs/targetFileSystem';
import { createNodeAppLike, withBenchCluster } from './benchCluster';
import { figure, median, printTable, ratioLine, runBenchmark, type Series } from './stats';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const NAMESPACE = 'demo';
const POD = 'bench-targetfs';
/** Tagged: an untagged image is pulled on every start (Always), which an offline real node cannot. */
const IMAGES = [{ image: 'busybox:1.36', label: 'busybox' }, { image: 'ubuntu:24.04', label: 'ubuntu (GNU)' }];
const FILE = '/fixture/random.bin';
const DIR = '/fixture/big';

/** kubectl asynchronously: the loopback cluster runs in this process, so a synchronous spawn would starve it. */
function kubectl(command: readonly string[], args: string[]): Promise<{ status: number | null; stderr: string; stdoutBytes: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, [...command.slice(1), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdoutBytes = 0;
    child.stdout.on('data', (c: Buffer) => (stdoutBytes += c.length));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stderr, stdoutBytes }));
  });
}

async function time(run: () => Promise<unknown> | unknown): Promise<number[]> {
  const values: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await run();
    values.push(performance.now() - started);
  }
  return values;
}

/** One operation: ours and its peers, each peer's ratio to ours. */
interface Comparison {
  readonly heading: string;
  readonly ours: Series;
  readonly peers: Series[];
  readonly execsPerOperation: number;
}

async function main(): Promise<void> {
  await withBenchCluster({ demo: true }, async ({ cluster, workDir, kubectl: kubectlPath, kubectlArgs }) => {
    const api = createClusterApi(cluster.kubeConfig());
    const kubectlCommand = kubectlPath ? [kubectlPath, ...kubectlArgs()] : undefined;
    await createNodeAppLike(cluster, NAMESPACE, POD);
    const comparisons: Comparison[] = [];
    for (const { image, label } of IMAGES) {
      const { containerName } = await attachDebugContainer(api, { namespace: NAMESPACE, podName: POD, image, targetContainer: 'app', profile: 'general' }, { skipPrivilegedConfirmation: true });
      if (image === IMAGES[0]!.image) {
        const made = await execCapture(api, NAMESPACE, POD, containerName, ['sh', '-c',
          `mkdir -p /proc/1/root${DIR}; cd /proc/1/root${DIR}; i=0; while [ $i -lt 10000 ]; do : > "file-$i"; i=$((i+1)); done; dd if=/dev/urandom of=/proc/1/root${FILE} bs=1048576 count=64 2>/dev/null`]);
        if (made.exitCode !== 0) throw new Error(made.stderr);
      }
      const ref = { context: api.contextName, namespace: NAMESPACE, pod: POD, container: 'app' };
      const fs = new TargetFileSystem(api, ref, { debugContainer: containerName, cacheTtlMs: 0 });
      await fs.connect();

      const readExecsBefore = fs.execCount;
      const ours = await time(() => fs.readFile(FILE));
      const readExecs = (fs.execCount - readExecsBefore) / RUNS;
      const raw = await time(() => runExec({ api, namespace: NAMESPACE, pod: POD, container: containerName }, { argv: ['cat', `/proc/1/root${FILE}`], onStdout: () => undefined }));
      const readPeers: Series[] = [{ label: 'raw exec cat, same client', values: raw }];
      if (kubectlCommand) {
        const dest = join(workDir, 'copy.bin');
        readPeers.push({ label: 'kubectl cp', values: await time(async () => {
          const r = await kubectl(kubectlCommand, ['cp', '-c', containerName, `${NAMESPACE}/${POD}:/proc/1/root${FILE}`, dest]);
          if (r.status !== 0 || statSync(dest).size !== 64 << 20) throw new Error(`kubectl cp failed: ${r.stderr}`);
        }) });
      }
      comparisons.push({ heading: `readFile 64 MiB, ${label} debug image`, ours: { label: 'extension, TargetFileSystem.readFile', values: ours }, peers: readPeers, execsPerOperation: readExecs });
      // The same read streamed to a consumer (what downloads and copies use): no whole-file buffer to fill.
      const streamed = await time(() => fs.readFileStream(FILE, () => undefined));
      comparisons.push({ heading: `readFileStream 64 MiB (streamed, no whole-file buffer), ${label} debug image`, ours: { label: 'extension, TargetFileSystem.readFileStream', values: streamed }, peers: [readPeers[0]!], execsPerOperation: 1 });

      const listExecsBefore = fs.execCount;
      const list = await time(async () => {
        const entries = await fs.readDirectory(DIR);
        if (entries.length !== 10_000) throw new Error(`listed ${entries.length}`);
      });
      const listExecs = (fs.execCount - listExecsBefore) / RUNS;
      const listPeers: Series[] = [];
      if (kubectlCommand) {
        listPeers.push({ label: 'kubectl exec ls -la', values: await time(async () => {
          const r = await kubectl(kubectlCommand, ['exec', '-n', NAMESPACE, POD, '-c', containerName, '--', 'ls', '-la', `/proc/1/root${DIR}`]);
          if (r.status !== 0) throw new Error(`kubectl exec failed: ${r.stderr}`);
        }) });
      }
      comparisons.push({ heading: `readDirectory of 10,000 entries, ${label} debug image`, ours: { label: 'extension, TargetFileSystem.readDirectory', values: list }, peers: listPeers, execsPerOperation: listExecs });
    }
    for (const c of comparisons) {
      printTable(`${c.heading} (${c.execsPerOperation} exec${c.execsPerOperation === 1 ? '' : 's'} per operation)`, 'ms', [c.ours, ...c.peers]);
      for (const peer of c.peers) console.log(ratioLine(`extension / ${peer.label}`, c.ours.values, peer.values));
      console.log('');
    }
    // What readFile pays that a stream does not: one 64 MiB buffer, fresh memory whose pages fault in as it fills.
    const floor = await time(() => Buffer.allocUnsafe(64 << 20).fill(1));
    console.log(`${RUNS} runs per side; readFile and readFileStream include the size check and the checksum (sha1 where the debug image has it: computed here as the bytes arrive, and in the container in the same pass as it sends them).`);
    console.log(`Floor of readFile over a stream on this machine: allocating and first touching 64 MiB takes ${figure(median(floor))} ms (median; min ${figure(Math.min(...floor))}, max ${figure(Math.max(...floor))}).`);
  });
}

runBenchmark(main);

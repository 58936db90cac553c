/**
 * The target filesystem against its peers on the loopback cluster: readFile of 64 MiB vs a raw `exec cat` of the
 * same file through the same client and vs `kubectl cp` (tar in the debug container); readDirectory of 10,000
 * entries vs `kubectl exec ls -la`. Busybox and GNU (ubuntu) debug images. `BENCH_RUNS` (default 3) per row.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClusterApi } from '../../src/cluster/client';
import { attachDebugContainer } from '../../src/debug/attachFlow';
import { execCapture } from '../../src/debug/execCapture';
import { runExec } from '../../src/targetfs/execRunner';
import { TargetFileSystem } from '../../src/targetfs/targetFileSystem';
import { LoopbackCluster } from '../cluster/cluster';
import { isRunning, kubeConfigFor, waitForPod } from '../suite/loopback/helpers/client';
import { median, runBenchmark } from './stats';
import { testKubectl } from '../cluster/testCluster';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** The kubectl compared with: the real node's own release when EPHEMERAL_DEBUG_KUBECTL is set. */
const KUBECTL = testKubectl();
const FILE = '/fixture/random.bin';
const DIR = '/fixture/big';

/** kubectl asynchronously: the cluster runs in this process, so a synchronous spawn would starve it. */
function kubectl(args: string[]): Promise<{ status: number | null; stderr: string; stdoutBytes: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(KUBECTL, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdoutBytes = 0;
    child.stdout.on('data', (c: Buffer) => (stdoutBytes += c.length));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stderr, stdoutBytes }));
  });
}

async function time(run: () => Promise<unknown> | unknown): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await run();
    values.push(performance.now() - started);
  }
  return median(values);
}

async function main(): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'bench-targetfs-'));
  const kubeconfig = join(workDir, 'kubeconfig');
  const cluster = await LoopbackCluster.start({ demo: true, kubeconfigPath: kubeconfig });
  try {
    const kc = kubeConfigFor(cluster.kubeconfigYaml());
    const api = createClusterApi(kc);
    await waitForPod(kc, 'demo', 'node-app', isRunning('app'));
    const rows: string[] = [];
    const withKubectl = existsSync(KUBECTL);
    for (const image of ['busybox:1.36', 'ubuntu']) {
      const { containerName } = await attachDebugContainer(api, { namespace: 'demo', podName: 'node-app', image, targetContainer: 'app', profile: 'general' }, { skipPrivilegedConfirmation: true });
      if (image === 'busybox:1.36') {
        const made = await execCapture(api, 'demo', 'node-app', containerName, ['sh', '-c',
          `mkdir -p /proc/1/root${DIR}; cd /proc/1/root${DIR}; i=0; while [ $i -lt 10000 ]; do : > "file-$i"; i=$((i+1)); done; dd if=/dev/urandom of=/proc/1/root${FILE} bs=1048576 count=64 2>/dev/null`]);
        if (made.exitCode !== 0) throw new Error(made.stderr);
      }
      const ref = { context: api.contextName, namespace: 'demo', pod: 'node-app', container: 'app' };
      const fs = new TargetFileSystem(api, ref, { debugContainer: containerName, cacheTtlMs: 0 });
      await fs.connect();
      const label = image === 'ubuntu' ? 'ubuntu (GNU)' : 'busybox';

      const ours = await time(() => fs.readFile(FILE));
      const raw = await time(() => runExec({ api, namespace: 'demo', pod: 'node-app', container: containerName }, { argv: ['cat', `/proc/1/root${FILE}`], onStdout: () => undefined }));
      rows.push(`| readFile 64 MiB (${label}) | ${ours.toFixed(0)} | raw exec cat: ${raw.toFixed(0)} | ${(ours / raw).toFixed(2)} | 1 |`);
      if (withKubectl) {
        const dest = join(workDir, 'copy.bin');
        const cp = await time(async () => {
          const r = await kubectl(['--kubeconfig', kubeconfig, 'cp', '-c', containerName, `demo/node-app:/proc/1/root${FILE}`, dest]);
          if (r.status !== 0 || statSync(dest).size !== 64 << 20) throw new Error(`kubectl cp failed: ${r.stderr}`);
        });
        rows.push(`| readFile 64 MiB (${label}) | ${ours.toFixed(0)} | kubectl cp: ${cp.toFixed(0)} | ${(ours / cp).toFixed(2)} | 1 |`);
      }
      const before = fs.execCount;
      const list = await time(async () => {
        const entries = await fs.readDirectory(DIR);
        if (entries.length !== 10_000) throw new Error(`listed ${entries.length}`);
      });
      const perList = (fs.execCount - before) / RUNS;
      if (withKubectl) {
        const ls = await time(async () => {
          const r = await kubectl(['--kubeconfig', kubeconfig, 'exec', '-n', 'demo', 'node-app', '-c', containerName, '--', 'ls', '-la', `/proc/1/root${DIR}`]);
          if (r.status !== 0) throw new Error(`kubectl exec failed: ${r.stderr}`);
        });
        rows.push(`| readDirectory 10,000 entries (${label}) | ${list.toFixed(0)} | kubectl exec ls -la: ${ls.toFixed(0)} | ${(list / ls).toFixed(2)} | ${perList} |`);
      } else {
        rows.push(`| readDirectory 10,000 entries (${label}) | ${list.toFixed(0)} | (kubectl not installed) | – | ${perList} |`);
      }
    }
    console.log(`| operation (debug image) | extension median ms | peer median ms | ratio extension/peer | execs per operation |`);
    console.log('| --- | ---: | --- | ---: | ---: |');
    for (const row of rows) console.log(row);
    console.log(`\n${RUNS} runs per cell; readFile includes the size check and the checksum (md5 where the debug image has it, computed on both sides).`);
  } finally {
    await cluster.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

runBenchmark(main);

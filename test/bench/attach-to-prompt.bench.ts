/**
 * Attach Debug Container, from "attach requested" to the shell prompt appearing in the attach stream: our
 * engine (preflight, build, add, wait, attach terminal) against `kubectl debug -it` under a pseudo-terminal,
 * on the same loopback cluster and image. Each run adds an ephemeral container, so runs are spread over
 * fresh busybox pods. `BENCH_RUNS` (default 10) runs per side; prints a Markdown table.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { createClusterApi } from '../../src/cluster/client';
import type { ClusterApi } from '../../src/cluster/clusterApi';
import { attachDebugContainer } from '../../src/debug/attachFlow';
import { AttachTerminal } from '../../src/terminal/attachTerminal';
import { LoopbackCluster } from '../cluster/cluster';
import { isRunning, kubeConfigFor, waitForPod } from '../suite/loopback/helpers/client';
import { median, timingRow, runBenchmark } from './stats';
import { testKubectl } from '../cluster/testCluster';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const RUNS_PER_POD = 4;
/** The kubectl compared with: the real node's own release when EPHEMERAL_DEBUG_KUBECTL is set. */
const KUBECTL = testKubectl();
const IMAGE = 'busybox';
/** busybox ash's prompt as root: "/ # ". */
const PROMPT = /(^|\n|\r)\/ # /;
const PROMPT_TIMEOUT_MS = 30_000;

async function ourAttach(api: ClusterApi, pod: string): Promise<number> {
  const started = performance.now();
  const result = await attachDebugContainer(api, { namespace: 'demo', podName: pod, image: IMAGE, targetContainer: 'app' }, { skipPrivilegedConfirmation: true });
  const terminal = new AttachTerminal(api, { namespace: 'demo', podName: pod, containerName: result.containerName, image: result.image });
  let text = '';
  const prompt = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no prompt from our attach: ${JSON.stringify(text)}`)), PROMPT_TIMEOUT_MS);
    terminal.onOutput((chunk) => {
      text += chunk;
      if (PROMPT.test(text)) {
        clearTimeout(timer);
        resolve(performance.now() - started);
      }
    });
  });
  await terminal.open(100, 30);
  const elapsed = await prompt;
  terminal.input('exit\r');
  await terminal.ended;
  return elapsed;
}

/** kubectl under a pty (`script`), so it attaches with a TTY exactly as in a terminal. */
function kubectlAttach(kubeconfig: string, pod: string): Promise<number> {
  const command = `${KUBECTL} --kubeconfig ${kubeconfig} debug -it -n demo ${pod} --image=${IMAGE} --target=app`;
  const started = performance.now();
  const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TERM: 'xterm' } });
  let text = '';
  return new Promise<number>((resolve, reject) => {
    let elapsed: number | undefined;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no prompt from kubectl: ${JSON.stringify(text)}`));
    }, PROMPT_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (elapsed === undefined && PROMPT.test(text)) {
        elapsed = performance.now() - started;
        child.stdin.write('exit\r');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    child.on('exit', () => {
      clearTimeout(timer);
      if (elapsed !== undefined) resolve(elapsed);
      else reject(new Error(`kubectl ended without a prompt: ${JSON.stringify(text)}`));
    });
  });
}

async function main(): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'bench-attach-'));
  const kubeconfig = join(workDir, 'kubeconfig');
  const cluster = await LoopbackCluster.start({ demo: true, kubeconfigPath: kubeconfig });
  try {
    const kc = kubeConfigFor(cluster.kubeconfigYaml());
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const api = createClusterApi(kc);
    const withKubectl = existsSync(KUBECTL);
    if (!withKubectl) console.log(`(kubectl side skipped: ${KUBECTL} is not installed)\n`);

    const podCount = Math.ceil(RUNS / RUNS_PER_POD) * (withKubectl ? 2 : 1);
    const pods: string[] = [];
    for (let i = 0; i < podCount; i++) {
      const name = `bench-${i}`;
      await core.createNamespacedPod({ namespace: 'demo', body: { metadata: { name }, spec: { containers: [{ name: 'app', image: 'busybox:1.36', command: ['sleep', '36000'] }] } } });
      pods.push(name);
    }
    for (const name of pods) await waitForPod(kc, 'demo', name, isRunning('app'));

    // One warm-up each, so the image "pull" and first connections are not in the figures.
    await ourAttach(api, pods[0]);
    if (withKubectl) await kubectlAttach(kubeconfig, pods[pods.length - 1]);

    const ours: number[] = [];
    const theirs: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const slot = Math.floor(run / RUNS_PER_POD);
      ours.push(await ourAttach(api, pods[slot]));
      if (withKubectl) theirs.push(await kubectlAttach(kubeconfig, pods[pods.length - 1 - slot]));
    }

    const row = timingRow;
    console.log('| attach requested → shell prompt | runs | median ms | min ms | max ms |');
    console.log('| --- | ---: | ---: | ---: | ---: |');
    console.log(row('extension (attachDebugContainer + AttachTerminal)', ours));
    if (withKubectl) {
      console.log(row(`kubectl debug -it --image=${IMAGE} --target=app (under script(1))`, theirs));
      console.log(`\nratio extension / kubectl (medians): ${(median(ours) / median(theirs)).toFixed(2)}`);
    }
  } finally {
    await cluster.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

runBenchmark(main);

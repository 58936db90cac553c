/**
 * Attach Debug Container, from "attach requested" to the shell prompt appearing in the attach stream: our
 * engine (preflight, build, add, wait, attach terminal) against `kubectl debug -it` under a pseudo-terminal,
 * on the same test cluster (loopback or real node, see benchCluster.ts) and image. Each run adds an ephemeral
 * container, so runs are spread over fresh busybox pods of the bench's own, deleted at the end.
 * `BENCH_RUNS` (default 10) runs per side; prints a Markdown table.
 */
import { spawn } from 'node:child_process';
import { createClusterApi } from '../../src/cluster/client';
import type { ClusterApi } from '../../src/cluster/clusterApi';
import { attachDebugContainer } from '../../src/debug/attachFlow';
import { AttachTerminal } from '../../src/terminal/attachTerminal';
import { isRunning, waitForPod } from '../suite/loopback/helpers/client';
import { withBenchCluster } from './benchCluster';
import { printTable, ratioLine, runBenchmark } from './stats';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const RUNS_PER_POD = 4;
/** Tagged: an untagged image is pulled on every start (Always), which an offline real node cannot. */
const IMAGE = 'busybox:1.36';
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
function kubectlAttach(kubectl: string, kubectlArgs: readonly string[], pod: string): Promise<number> {
  const command = [kubectl, ...kubectlArgs, 'debug', '-it', '-n', 'demo', pod, `--image=${IMAGE}`, '--target=app'].join(' ');
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
  await withBenchCluster({ demo: true }, async ({ cluster, kubectl, kubectlArgs }) => {
    const kc = cluster.kubeConfig();
    const api = createClusterApi(kc);
    const podCount = Math.ceil(RUNS / RUNS_PER_POD) * (kubectl ? 2 : 1);
    const pods: string[] = [];
    for (let i = 0; i < podCount; i++) {
      const name = `bench-attach-${i}`;
      await cluster.createPod('demo', { metadata: { name }, spec: { containers: [{ name: 'app', image: 'busybox:1.36', command: ['sleep', '36000'] }] } });
      pods.push(name);
    }
    for (const name of pods) await waitForPod(kc, 'demo', name, isRunning('app'), 120_000);

    // One warm-up each, so the image "pull" and first connections are not in the figures.
    await ourAttach(api, pods[0]);
    if (kubectl) await kubectlAttach(kubectl, kubectlArgs(), pods[pods.length - 1]);

    const ours: number[] = [];
    const theirs: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const slot = Math.floor(run / RUNS_PER_POD);
      ours.push(await ourAttach(api, pods[slot]));
      if (kubectl) theirs.push(await kubectlAttach(kubectl, kubectlArgs(), pods[pods.length - 1 - slot]));
    }

    printTable('attach requested → shell prompt', 'ms', [
      { label: 'extension (attachDebugContainer + AttachTerminal)', values: ours },
      ...(kubectl ? [{ label: `kubectl debug -it --image=${IMAGE} --target=app (under script(1))`, values: theirs }] : []),
    ]);
    if (kubectl) console.log(ratioLine('extension / kubectl', ours, theirs));
  });
}

runBenchmark(main);

/**
 * Debug a Copy of Pod, from "copy requested" to the copy's app container running with its command replaced:
 * our engine (debugCopyOfPod: preflight, build, create, wait) against `kubectl debug --copy-to --container=app
 * -- sleep 3600` followed by `kubectl wait --for=condition=Ready`, on the same test cluster (loopback or real
 * node) and a crashing busybox pod of the bench's own (on the loopback kubectl 1.31: see copyKubectl). Our wait also checks the container STAYS up for DEFAULT_COPY_STABLE_MS (2 s) before it
 * resolves, which kubectl does not; so besides the full time we report when our wait first saw the container
 * running (its "checking that it stays up" progress message), the like-for-like figure. Copies are deleted
 * (and gone) between runs, and every copy is tracked so that a failed run's are deleted too. `BENCH_RUNS` (default 10) runs per side; prints a Markdown table.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createClusterApi } from '../../src/cluster/client';
import { ClusterError, type ClusterApi } from '../../src/cluster/clusterApi';
import { debugCopyOfPod } from '../../src/debug/copyFlow';
import { DEFAULT_COPY_STABLE_MS } from '../../src/debug/copyWait';
import { testKubectl, type TestCluster } from '../cluster/testCluster';
import { containerStatus, waitForPod } from '../suite/loopback/helpers/client';
import { withBenchCluster } from './benchCluster';
import { printTable, ratioLine, runBenchmark } from './stats';

const run = promisify(execFile);
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
/**
 * On a loopback cluster kubectl 1.31, not 1.32+ (/usr/bin/kubectl): from 1.32 kubectl's typed clients create pods
 * in protobuf, which the loopback API server does not decode (415, and kubectl does not retry with JSON); 1.31 sends
 * JSON. A real API server decodes protobuf: there testKubectl() (on the real node its own release).
 */
const LOOPBACK_KUBECTL = '/usr/lib/google-cloud-sdk/bin/kubectl.1.31';
const isLoopbackServer = (cluster: TestCluster): boolean => cluster.version.endsWith('-loopback');
const copyKubectl = (cluster: TestCluster): string => (isLoopbackServer(cluster) ? LOOPBACK_KUBECTL : testKubectl());
const NAMESPACE = 'demo';
const SOURCE = 'bench-crash';
const REPLACEMENT = ['sleep', '3600'];
const GONE_TIMEOUT_MS = 30_000;

interface OurRun {
  /** debugCopyOfPod resolved: running, and still running (same restart count) DEFAULT_COPY_STABLE_MS later. */
  readonly totalMs: number;
  /** The wait first saw the replaced container running (before the stability window). */
  readonly runningSeenMs: number;
  readonly copyName: string;
}

async function ourCopy(api: ClusterApi): Promise<OurRun> {
  const started = performance.now();
  let runningSeenMs: number | undefined;
  const result = await debugCopyOfPod(
    api,
    { namespace: NAMESPACE, podName: SOURCE, replaceCommand: { container: 'app', command: REPLACEMENT } },
    { skipPrivilegedConfirmation: true },
    {
      onProgress: (message) => {
        if (runningSeenMs === undefined && /checking that it stays up/.test(message)) runningSeenMs = performance.now() - started;
      },
    },
  );
  const totalMs = performance.now() - started;
  if (runningSeenMs === undefined) throw new Error('debugCopyOfPod resolved without reporting the running copy: the progress message changed, update this bench');
  return { totalMs, runningSeenMs, copyName: result.copyName };
}

async function kubectlCopy(kubectl: string, kubectlArgs: readonly string[], copyName: string): Promise<number> {
  const started = performance.now();
  await run(kubectl, [...kubectlArgs, 'debug', SOURCE, `--copy-to=${copyName}`, '--container=app', '--', ...REPLACEMENT]);
  await run(kubectl, [...kubectlArgs, 'wait', '--for=condition=Ready', `pod/${copyName}`, '--timeout=60s']);
  return performance.now() - started;
}

/** Deletes the copy and waits until it is gone, so that no run pays for the previous one's teardown. */
async function deleteCopy(api: ClusterApi, name: string): Promise<void> {
  await api.deletePod(NAMESPACE, name, { gracePeriodSeconds: 0 });
  const deadline = Date.now() + GONE_TIMEOUT_MS;
  for (;;) {
    try {
      await api.readPod(NAMESPACE, name);
    } catch (error) {
      if (error instanceof ClusterError && error.code === 404) return;
      throw error;
    }
    if (Date.now() > deadline) throw new Error(`copy ${NAMESPACE}/${name} was not gone ${GONE_TIMEOUT_MS / 1000} s after its deletion`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function main(): Promise<void> {
  await withBenchCluster({ demo: true, kubectl: copyKubectl }, async ({ cluster, kubectl, kubectlArgs }) => {
    const kc = cluster.kubeConfig();
    const api = createClusterApi(kc);
    const args = [...kubectlArgs(), '-n', NAMESPACE];

    // Like demo/crashloop, but ours: the source's state is the bench's, whatever the demo becomes.
    await cluster.createPod(NAMESPACE, {
      metadata: { name: SOURCE },
      spec: { containers: [{ name: 'app', image: 'busybox:1.36', command: ['sh', '-c', 'echo "failed to load config"; exit 1'] }] },
    });
    await waitForPod(kc, NAMESPACE, SOURCE, (pod) => (containerStatus(pod, 'app')?.restartCount ?? 0) >= 1, 120_000);

    const ourOnce = async (): Promise<OurRun> => {
      const result = await ourCopy(api);
      cluster.track(NAMESPACE, result.copyName);
      await deleteCopy(api, result.copyName);
      return result;
    };
    const kubectlOnce = async (index: number): Promise<number> => {
      const name = `${SOURCE}-kubectl-${index}`;
      // Tracked before it exists: a kubectl that fails half-way may still have created it.
      cluster.track(NAMESPACE, name);
      const elapsed = await kubectlCopy(kubectl!, args, name);
      await deleteCopy(api, name);
      return elapsed;
    };

    // One warm-up each: first connections, kubectl's discovery cache.
    await ourOnce();
    if (kubectl) await kubectlOnce(0);

    const ours: OurRun[] = [];
    const theirs: number[] = [];
    for (let i = 1; i <= RUNS; i++) {
      ours.push(await ourOnce());
      if (kubectl) theirs.push(await kubectlOnce(i));
    }

    const totals = ours.map((r) => r.totalMs);
    const seen = ours.map((r) => r.runningSeenMs);
    printTable('copy requested → copy\'s app container running', 'ms', [
      { label: `extension, debugCopyOfPod resolved (running, then still running ${DEFAULT_COPY_STABLE_MS} ms later)`, values: totals },
      { label: 'extension, its wait first saw the container running (before the stability window)', values: seen },
      ...(kubectl ? [{ label: 'kubectl debug --copy-to --container=app -- sleep 3600; kubectl wait --for=condition=Ready', values: theirs }] : []),
    ]);
    if (kubectl) {
      console.log(ratioLine('extension / kubectl, container running, like for like', seen, theirs));
      console.log(ratioLine(`extension / kubectl, including our ${DEFAULT_COPY_STABLE_MS} ms stability check`, totals, theirs));
    }
    console.log(`\nWhat each side waits for: the extension checks permissions (access reviews), reads the source and its namespace, `
      + `asks who the user is, creates the copy and watches it until the app container runs, then re-reads it after `
      + `${DEFAULT_COPY_STABLE_MS} ms and resolves only if it still runs with the same restart count (catching a command that exits at once). `
      + `kubectl creates the copy (two processes: debug, then wait) and returns once the pod's Ready condition is True; `
      + `the copy has no readiness probe, so Ready is set as soon as its containers run: kubectl does not check that the container stays up.`
      + (isLoopbackServer(cluster) ? ` kubectl is 1.31 here: kubectl 1.32+ creates the copy in protobuf, which the loopback API server does not decode.` : ''));
  });
}

runBenchmark(main);

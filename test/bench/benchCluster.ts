/**
 * The cluster a benchmark runs on and what it prints first. The cluster is the test cluster
 * (EPHEMERAL_DEBUG_TEST_CLUSTER): the loopback by default (`npm run bench`), the real node under
 * `npm run bench:real` (test/realnode/run.ts sets EPHEMERAL_DEBUG_KUBECONFIG and EPHEMERAL_DEBUG_KUBECTL, the
 * node's own kubectl). Clean-up runs whatever happens (a failure, Ctrl-C): the bench's own clean-ups (port-forwards,
 * …) last registered first, then the cluster's stop(), which on a shared cluster deletes every pod and namespace
 * the bench created through it, so that the next bench finds the node as it was.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLUSTER_ENV, KUBECTL_ENV, startTestCluster, testClusterKind, testKubectl, type TestCluster,
  type TestClusterOptions, type TestUser } from '../cluster/testCluster';
import { demoManifest } from '../cluster/demoReset';
import { isRunning, waitForPod } from '../suite/loopback/helpers/client';

const run = promisify(execFile);

export interface BenchOptions extends Omit<TestClusterOptions, 'kubeconfigPath'> {
  /** The kubectl this bench compares with on this cluster, when it is not testKubectl() (see copy.bench.ts). */
  kubectl?: (cluster: TestCluster) => string;
}

export interface Bench {
  readonly cluster: TestCluster;
  /** A private folder, removed at the end. */
  readonly workDir: string;
  /** A kubeconfig file whose current context is the admin's. */
  readonly kubeconfig: string;
  /** The kubectl compared with; undefined when it is not installed (the bench then says so and measures ours only). */
  readonly kubectl: string | undefined;
  /** `--kubeconfig`, a private `--cache-dir` (nothing is written to ~/.kube) and `--context` of `user`. */
  kubectlArgs(user?: TestUser): string[];
  /** Runs at clean-up, before the cluster's stop; the last registered runs first. */
  onCleanup(cleanup: () => unknown): void;
}

/** `Intel(R) Xeon(R) … · 2 CPUs (nproc) · 24 GiB · Linux 6.18 · Node v22.23.3`. */
export function machineDescription(): string {
  const model = cpus()[0]?.model.trim() || 'unknown CPU';
  return `${model} · ${availableParallelism()} CPUs (nproc) · ${Math.round(totalmem() / 2 ** 30)} GiB · Linux ${release()} · Node ${process.version}`;
}

async function kubectlVersion(kubectl: string): Promise<string> {
  try {
    const { stdout } = await run(kubectl, ['version', '--client', '-o', 'json']);
    return (JSON.parse(stdout) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion ?? 'version unknown';
  } catch (error) {
    return `version unknown: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
  }
}

/** Starts the test cluster, prints the header (cluster, machine, date, kubectl), runs `body`, and always cleans up. */
export async function withBenchCluster(options: BenchOptions, body: (bench: Bench) => Promise<void>): Promise<void> {
  const kind = testClusterKind();
  const workDir = await mkdtemp(join(tmpdir(), 'bench-'));
  const kubeconfig = join(workDir, 'kubeconfig');
  const cleanups: (() => unknown)[] = [];
  let cluster: TestCluster | undefined;
  let cleaning: Promise<string[]> | undefined;
  const cleanUp = (): Promise<string[]> => (cleaning ??= (async () => {
    const failures: string[] = [];
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        failures.push(String(error));
      }
    }
    await cluster?.stop().catch((error: unknown) => failures.push(String(error)));
    await rm(workDir, { recursive: true, force: true });
    return failures;
  })());
  const onSignal = (signal: NodeJS.Signals): void => {
    console.error(`\nbench: ${signal}: cleaning up what the bench created`);
    void cleanUp().then((failures) => {
      for (const failure of failures) console.error(`bench: clean-up: ${failure}`);
      process.exit(130);
    });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const { kubectl: chooseKubectl, ...clusterOptions } = options;
  let outcome: { ok: true } | { ok: false; error: unknown } = { ok: true };
  try {
    cluster = await startTestCluster({ ...clusterOptions, kubeconfigPath: kubeconfig });
    const kubectlPath = chooseKubectl?.(cluster) ?? testKubectl();
    const kubectl = existsSync(kubectlPath) ? kubectlPath : undefined;
    console.log(`cluster: ${cluster.description} (${CLUSTER_ENV}=${kind})`);
    console.log(`machine: ${machineDescription()}`);
    console.log(`date: ${new Date().toISOString()}`);
    console.log(kubectl ? `kubectl: ${kubectl} ${await kubectlVersion(kubectl)}${kubectl === process.env[KUBECTL_ENV] ? ` (${KUBECTL_ENV})` : ''}`
      : `kubectl: ${kubectlPath} is not installed: the kubectl side is not measured`);
    console.log('');
    const started = cluster;
    await body({
      cluster: started,
      workDir,
      kubeconfig,
      kubectl,
      kubectlArgs: (user = 'admin') => ['--kubeconfig', kubeconfig, '--cache-dir', join(workDir, 'kubectl-cache'), '--context', started.context(user)],
      onCleanup: (cleanup) => void cleanups.push(cleanup),
    });
  } catch (error) {
    outcome = { ok: false, error };
  }
  const failures = await cleanUp();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  const leftBehind = failures.length > 0 ? `clean-up left things behind on the ${kind} cluster: ${failures.join('; ')}` : undefined;
  // A failed bench's own error comes first; a clean-up failure of a successful bench fails it.
  if (!outcome.ok) {
    if (leftBehind) console.error(`bench: ${leftBehind}`);
    throw outcome.error;
  }
  if (leftBehind) throw new Error(leftBehind);
}

/**
 * A pod of the bench's own made like demo/node-app (same image and spec, so distroless with a Node process as
 * PID 1), running; deleted at the end. Benches that add ephemeral containers or write files use it rather than the
 * demo pod, so the demo workloads stay pristine on a shared node.
 */
export async function createNodeAppLike(cluster: TestCluster, namespace: string, name: string): Promise<void> {
  const source = demoManifest().pods.find((p) => p.metadata?.namespace === 'demo' && p.metadata.name === 'node-app');
  if (!source?.spec) throw new Error('test/cluster/demo/workloads.yaml has no demo/node-app to copy');
  await cluster.createPod(namespace, { metadata: { name, labels: { app: name } }, spec: source.spec });
  await waitForPod(cluster.kubeConfig(), namespace, name, isRunning('app'), 120_000);
}

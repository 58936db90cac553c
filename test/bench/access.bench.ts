/**
 * Check My Access for namespace demo, as the loopback-debugger user (so some answers are "no"): our engine
 * (checkAccess: one SelfSubjectAccessReview per distinct permission of the feature table, sent at once, then
 * per feature what is missing) against `kubectl auth can-i` once per one of those permissions, sequentially as
 * a script would, and against `kubectl auth can-i --list` (one call, a rules list that does not answer per
 * feature). `BENCH_RUNS` (default 10) runs per side; prints a Markdown table.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { checkAccess, reviewAttributes } from '../../src/access/checkAccess';
import { distinctPermissions, FEATURES, permissionLabel, type ApiPermission } from '../../src/access/features';
import { createClusterApi } from '../../src/cluster/client';
import { LoopbackCluster } from '../cluster/cluster';
import { kubeConfigFor } from '../suite/loopback/helpers/client';
import { median, timingRow, runBenchmark } from './stats';
import { testKubectl } from '../cluster/testCluster';

const run = promisify(execFile);
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
/** The kubectl compared with: the real node's own release when EPHEMERAL_DEBUG_KUBECTL is set. */
const KUBECTL = testKubectl();
const NAMESPACE = 'demo';
const CONTEXT = 'loopback-debugger';

/** checkAccess does not ask about creating access reviews: getting answers at all proves it. */
function isSelfReview(p: ApiPermission): boolean {
  return p.group === 'authorization.k8s.io' && p.resource === 'selfsubjectaccessreviews';
}

/** `kubectl auth can-i` arguments asking what reviewAttributes asks. */
function canIArgs(p: ApiPermission): string[] {
  const resource = p.group ? `${p.resource}.${p.group}` : p.resource;
  const scope = p.scope === 'namespace' ? ['-n', NAMESPACE] : p.scope === 'all-namespaces' ? ['--all-namespaces'] : [];
  return ['auth', 'can-i', p.verb, resource, ...(p.subresource ? [`--subresource=${p.subresource}`] : []), ...scope];
}

/** can-i prints yes or no and exits 1 on "no"; anything else is kubectl failing. */
async function kubectlCanI(kubectlArgs: readonly string[], args: readonly string[]): Promise<boolean> {
  try {
    const { stdout } = await run(KUBECTL, [...kubectlArgs, ...args]);
    return stdout.trim() === 'yes';
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string };
    if (e.code === 1 && e.stdout?.trim() === 'no') return false;
    throw error;
  }
}

async function main(): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'bench-access-'));
  const kubeconfig = join(workDir, 'kubeconfig');
  // A private discovery cache: the bench must not write into the user's ~/.kube.
  const kubectlArgs = ['--kubeconfig', kubeconfig, '--cache-dir', join(workDir, 'cache'), '--context', CONTEXT];
  const cluster = await LoopbackCluster.start({ demo: true, kubeconfigPath: kubeconfig });
  try {
    const api = createClusterApi(kubeConfigFor(cluster.kubeconfigYaml(), CONTEXT));
    const withKubectl = existsSync(KUBECTL);
    if (!withKubectl) console.log(`(kubectl side skipped: ${KUBECTL} is not installed)\n`);
    const permissions = distinctPermissions(FEATURES).filter((p) => !isSelfReview(p));

    const ours = async (): Promise<number> => {
      const started = performance.now();
      await checkAccess(api, NAMESPACE);
      return performance.now() - started;
    };
    const loop = async (): Promise<{ ms: number; answers: boolean[] }> => {
      const started = performance.now();
      const answers: boolean[] = [];
      for (const p of permissions) answers.push(await kubectlCanI(kubectlArgs, canIArgs(p)));
      return { ms: performance.now() - started, answers };
    };
    const list = async (): Promise<number> => {
      const started = performance.now();
      await run(KUBECTL, [...kubectlArgs, 'auth', 'can-i', '--list', '-n', NAMESPACE]);
      return performance.now() - started;
    };

    // Warm-up each; the loop's answers are checked against the reviews checkAccess sends, so both ask the same.
    const results = await checkAccess(api, NAMESPACE);
    let agreement = '';
    if (withKubectl) {
      const theirAnswers = (await loop()).answers;
      await list();
      const ourAnswers = await api.canI(permissions.map((p) => reviewAttributes(p, NAMESPACE)));
      const differing = permissions.filter((_, i) => ourAnswers[i] !== theirAnswers[i]).map(permissionLabel);
      if (differing.length > 0) throw new Error(`kubectl auth can-i and our reviews disagree on ${differing.join(', ')}: the bench would compare different questions`);
      agreement = `; kubectl's answers equal ours for all ${permissions.length} (${theirAnswers.filter(Boolean).length} yes)`;
    }

    const ourTimes: number[] = [];
    const loopTimes: number[] = [];
    const listTimes: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      ourTimes.push(await ours());
      if (withKubectl) {
        loopTimes.push((await loop()).ms);
        listTimes.push(await list());
      }
    }

    const row = timingRow;
    console.log(`| access check, namespace ${NAMESPACE}, user of context ${CONTEXT} | runs | median ms | min ms | max ms |`);
    console.log('| --- | ---: | ---: | ---: | ---: |');
    console.log(row(`extension, checkAccess (${permissions.length} reviews in parallel → ${results.length} features)`, ourTimes));
    if (withKubectl) {
      console.log(row(`kubectl auth can-i, once per permission (${permissions.length} calls), sequential`, loopTimes));
      console.log(row('kubectl auth can-i --list (1 call; rules, not per-feature answers)', listTimes));
      console.log(`\nratio extension / kubectl can-i loop (medians): ${(median(ourTimes) / median(loopTimes)).toFixed(2)}`);
      console.log(`ratio extension / kubectl can-i --list (medians): ${(median(ourTimes) / median(listTimes)).toFixed(2)}`);
    }
    console.log(`\nBoth sides ask the same ${permissions.length} questions: the distinct permissions of the feature table `
      + `except create selfsubjectaccessreviews (answering at all proves it)${agreement}. --list answers a different question: the rules `
      + 'the server reports for the namespace, which the user still has to match against each feature.');
  } finally {
    await cluster.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

runBenchmark(main);

/**
 * Check My Access for namespace demo, as the debugger user of the test cluster (loopback-debugger,
 * realnode-debugger; so some answers are "no"): our engine
 * (checkAccess: one SelfSubjectAccessReview per distinct permission of the feature table, sent at once, then
 * per feature what is missing) against `kubectl auth can-i` once per one of those permissions, sequentially as
 * a script would, and against `kubectl auth can-i --list` (one call, a rules list that does not answer per
 * feature). `BENCH_RUNS` (default 10) runs per side; prints a Markdown table.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { checkAccess, reviewAttributes } from '../../src/access/checkAccess';
import { distinctPermissions, FEATURES, permissionLabel, type ApiPermission } from '../../src/access/features';
import { createClusterApi } from '../../src/cluster/client';
import { withBenchCluster } from './benchCluster';
import { printTable, ratioLine, runBenchmark } from './stats';

const run = promisify(execFile);
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const NAMESPACE = 'demo';

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
async function kubectlCanI(kubectlCommand: readonly string[], args: readonly string[]): Promise<boolean> {
  try {
    const { stdout } = await run(kubectlCommand[0]!, [...kubectlCommand.slice(1), ...args]);
    return stdout.trim() === 'yes';
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string };
    if (e.code === 1 && e.stdout?.trim() === 'no') return false;
    throw error;
  }
}

async function main(): Promise<void> {
  await withBenchCluster({ demo: true }, async ({ cluster, kubectl: kubectlPath, kubectlArgs }) => {
    const context = cluster.context('debugger');
    const api = createClusterApi(cluster.kubeConfig('debugger'));
    const withKubectl = kubectlPath !== undefined;
    const kubectlCommand = [kubectlPath ?? 'kubectl', ...kubectlArgs('debugger')];
    const permissions = distinctPermissions(FEATURES).filter((p) => !isSelfReview(p));

    const ours = async (): Promise<number> => {
      const started = performance.now();
      await checkAccess(api, NAMESPACE);
      return performance.now() - started;
    };
    const loop = async (): Promise<{ ms: number; answers: boolean[] }> => {
      const started = performance.now();
      const answers: boolean[] = [];
      for (const p of permissions) answers.push(await kubectlCanI(kubectlCommand, canIArgs(p)));
      return { ms: performance.now() - started, answers };
    };
    const list = async (): Promise<number> => {
      const started = performance.now();
      await run(kubectlCommand[0]!, [...kubectlCommand.slice(1), 'auth', 'can-i', '--list', '-n', NAMESPACE]);
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

    printTable(`access check, namespace ${NAMESPACE}, user of context ${context}`, 'ms', [
      { label: `extension, checkAccess (${permissions.length} reviews in parallel → ${results.length} features)`, values: ourTimes },
      ...(withKubectl ? [
        { label: `kubectl auth can-i, once per permission (${permissions.length} calls), sequential`, values: loopTimes },
        { label: 'kubectl auth can-i --list (1 call; rules, not per-feature answers)', values: listTimes },
      ] : []),
    ]);
    if (withKubectl) {
      console.log(ratioLine('extension / kubectl can-i loop', ourTimes, loopTimes));
      console.log(ratioLine('extension / kubectl can-i --list', ourTimes, listTimes));
    }
    console.log(`\nBoth sides ask the same ${permissions.length} questions: the distinct permissions of the feature table `
      + `except create selfsubjectaccessreviews (answering at all proves it)${agreement}. --list answers a different question: the rules `
      + 'the server reports for the namespace, which the user still has to match against each feature.');
  });
}

runBenchmark(main);

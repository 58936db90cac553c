/**
 * Collect Diagnostics on demo/node-app, from request to report, with a busybox debug container already
 * running (attached once, targeting app): our engine (collectDiagnostics: read the pod, find the target PID,
 * one exec of the diagnostics script, the log tail, the report) against the same facts gathered by hand with
 * separate `kubectl exec` calls into that debug container, one command per fact as a user would type them, plus
 * `kubectl logs --tail`. `BENCH_RUNS` (default 10) runs per side; prints a Markdown table.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createClusterApi } from '../../src/cluster/client';
import { attachDebugContainer } from '../../src/debug/attachFlow';
import { collectDiagnostics } from '../../src/diagnostics/collect';
import type { DiagnosticsReport } from '../../src/diagnostics/report';
import { LoopbackCluster } from '../cluster/cluster';
import { isRunning, kubeConfigFor, waitForPod } from '../suite/loopback/helpers/client';
import { median, timingRow, runBenchmark } from './stats';
import { testKubectl } from '../cluster/testCluster';

const run = promisify(execFile);
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
/** The kubectl compared with: the real node's own release when EPHEMERAL_DEBUG_KUBECTL is set. */
const KUBECTL = testKubectl();
const NAMESPACE = 'demo';
const POD = 'node-app';
/** The diagnostics script samples CPU twice, one second apart (section "processes"); the manual peer does not. */
const CPU_SAMPLE_MS = 1_000;

/** What a user types, one command per fact, in the order the report shows them. `pid` is the target's. */
function manualCommands(debugContainer: string, pid: number): { label: string; args: string[] }[] {
  const exec = (...argv: string[]) => ['exec', POD, '-c', debugContainer, '--', ...argv];
  return [
    { label: 'ps', args: exec('ps') },
    { label: 'sockets', args: exec('cat', '/proc/net/tcp', '/proc/net/tcp6') },
    { label: 'resolv.conf', args: exec('cat', `/proc/${pid}/root/etc/resolv.conf`) },
    { label: 'mounts', args: exec('cat', `/proc/${pid}/mounts`) },
    { label: 'df', args: exec('df', '-h') },
    { label: 'open fds', args: exec('sh', '-c', `ls /proc/${pid}/fd | wc -l`) },
    { label: 'limits', args: exec('cat', `/proc/${pid}/limits`) },
    { label: 'env names', args: exec('sh', '-c', `tr '\\0' '\\n' < /proc/${pid}/environ | cut -d= -f1`) },
    { label: 'recent files', args: exec('find', `/proc/${pid}/root/`, '-xdev', '-type', 'f', '-mmin', '-60') },
    { label: 'log tail', args: ['logs', POD, '-c', 'app', '--tail=50'] },
  ];
}

/**
 * Runs one kubectl command; a command that ran in the container and exited non-zero (a file that is not there)
 * still counts, as the user got their answer. Resolves with that exit code; rejects when kubectl itself failed.
 */
async function kubectl(kubectlArgs: readonly string[], args: readonly string[]): Promise<{ exitCode: number; stdout: string }> {
  try {
    const { stdout } = await run(KUBECTL, [...kubectlArgs, ...args], { maxBuffer: 16 * 1024 * 1024 });
    return { exitCode: 0, stdout };
  } catch (error) {
    const e = error as { code?: unknown; stderr?: string; stdout?: string };
    const remote = /command terminated with exit code (\d+)/.exec(e.stderr ?? '');
    if (remote) return { exitCode: Number(remote[1]), stdout: e.stdout ?? '' };
    throw error;
  }
}

async function manualPeer(kubectlArgs: readonly string[], commands: readonly { args: string[] }[]): Promise<number> {
  const started = performance.now();
  for (const command of commands) await kubectl(kubectlArgs, command.args);
  return performance.now() - started;
}

async function main(): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'bench-diagnostics-'));
  const kubeconfig = join(workDir, 'kubeconfig');
  // A private discovery cache: the bench must not write into the user's ~/.kube.
  const kubectlArgs = ['--kubeconfig', kubeconfig, '--cache-dir', join(workDir, 'cache'), '-n', NAMESPACE];
  const cluster = await LoopbackCluster.start({ demo: true, kubeconfigPath: kubeconfig });
  try {
    const kc = kubeConfigFor(cluster.kubeconfigYaml());
    const api = createClusterApi(kc);
    const withKubectl = existsSync(KUBECTL);
    if (!withKubectl) console.log(`(kubectl side skipped: ${KUBECTL} is not installed)\n`);

    await waitForPod(kc, NAMESPACE, POD, isRunning('app'));
    const attached = await attachDebugContainer(api, { namespace: NAMESPACE, podName: POD, image: 'busybox', targetContainer: 'app' }, { skipPrivilegedConfirmation: true });
    const ours = async (): Promise<{ ms: number; report: DiagnosticsReport }> => {
      const started = performance.now();
      const report = await collectDiagnostics(api, { namespace: NAMESPACE, pod: POD, debugContainer: attached.containerName });
      return { ms: performance.now() - started, report };
    };

    // Warm-up, which also gives the target PID the user would read off `ps`.
    const { report } = await ours();
    const commands = manualCommands(attached.containerName, report.target.pid);
    const failing: string[] = [];
    if (withKubectl) {
      for (const command of commands) {
        const { exitCode } = await kubectl(kubectlArgs, command.args);
        if (exitCode !== 0) failing.push(`${command.label} (exit ${exitCode})`);
      }
    }

    const ourTimes: number[] = [];
    const theirTimes: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      ourTimes.push((await ours()).ms);
      if (withKubectl) theirTimes.push(await manualPeer(kubectlArgs, commands));
    }

    const row = timingRow;
    const sections = report.sections.filter((s) => s.status === 'ok').length;
    const notOk = report.sections.filter((s) => s.status !== 'ok').map((s) => `${s.id} (${s.status}${s.note ? `: ${s.note}` : ''})`);
    console.log('| diagnostics of demo/node-app, debug container already running | runs | median ms | min ms | max ms |');
    console.log('| --- | ---: | ---: | ---: | ---: |');
    console.log(row(`extension, collectDiagnostics (${report.sections.length} sections, ${sections} ok)`, ourTimes));
    console.log(row(`extension, minus the script's ${CPU_SAMPLE_MS} ms CPU sampling pause (derived)`, ourTimes.map((t) => t - CPU_SAMPLE_MS)));
    if (withKubectl) {
      console.log(row(`manual: ${commands.length} kubectl calls (${commands.map((c) => c.label).join(', ')}), sequential`, theirTimes));
      console.log(`\nratio extension / manual kubectl (medians): ${(median(ourTimes) / median(theirTimes)).toFixed(2)}`);
      console.log(`ratio without the CPU sampling pause: ${((median(ourTimes) - CPU_SAMPLE_MS) / median(theirTimes)).toFixed(2)}`);
    }
    console.log(`\nThe report covers more than the manual peer: CPU use per process (two samples ${CPU_SAMPLE_MS} ms apart), `
      + 'sockets mapped to their processes, DNS lookups of the Kubernetes service names, per-mount free space through the '
      + 'target\'s root, cgroup limits, interfaces and routes, kernel, memory, capabilities, log files in the target\'s '
      + 'filesystem; the manual commands give raw text the user still has to read (hex addresses in /proc/net/tcp, '
      + `df of the debug container's own mounts, not the target's). The loopback cluster has no DNS server and no cgroup limits.`
      + (notOk.length > 0 ? ` Report sections not ok here: ${notOk.join(', ')}.` : '')
      + (failing.length > 0 ? ` Manual commands that exited non-zero here (the answer is "not there"): ${failing.join(', ')}.` : ''));
  } finally {
    await cluster.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

runBenchmark(main);

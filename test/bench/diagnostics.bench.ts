/**
 * Collect Diagnostics on a pod made like demo/node-app (the bench's own, deleted at the end, so the demo pod
 * stays pristine on a shared node), from request to report, with a busybox debug container already running
 * (attached once, targeting app), on the test cluster (loopback or real node): our engine (collectDiagnostics: read the pod, find the target PID,
 * one exec of the diagnostics script, the log tail, the report) against the same facts gathered by hand with
 * separate `kubectl exec` calls into that debug container, one command per fact as a user would type them, plus
 * `kubectl logs --tail`. `BENCH_RUNS` (default 10) runs per side; prints a Markdown table.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createClusterApi } from '../../src/cluster/client';
import { attachDebugContainer } from '../../src/debug/attachFlow';
import { collectDiagnostics } from '../../src/diagnostics/collect';
import type { DiagnosticsReport } from '../../src/diagnostics/report';
import { createNodeAppLike, withBenchCluster } from './benchCluster';
import { printTable, ratioLine, runBenchmark } from './stats';

const run = promisify(execFile);
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const NAMESPACE = 'demo';
const POD = 'bench-diagnostics';
/**
 * The diagnostics script samples CPU twice, at least one second apart (section "processes"), the second reading
 * after every other section: the interval overlaps the collection. The manual peer samples nothing.
 */
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
async function kubectl(kubectlCommand: readonly string[], args: readonly string[]): Promise<{ exitCode: number; stdout: string }> {
  try {
    const { stdout } = await run(kubectlCommand[0]!, [...kubectlCommand.slice(1), ...args], { maxBuffer: 16 * 1024 * 1024 });
    return { exitCode: 0, stdout };
  } catch (error) {
    const e = error as { code?: unknown; stderr?: string; stdout?: string };
    const remote = /command terminated with exit code (\d+)/.exec(e.stderr ?? '');
    if (remote) return { exitCode: Number(remote[1]), stdout: e.stdout ?? '' };
    throw error;
  }
}

async function manualPeer(kubectlCommand: readonly string[], commands: readonly { args: string[] }[]): Promise<number> {
  const started = performance.now();
  for (const command of commands) await kubectl(kubectlCommand, command.args);
  return performance.now() - started;
}

async function main(): Promise<void> {
  await withBenchCluster({ demo: true }, async ({ cluster, kubectl: kubectlPath, kubectlArgs }) => {
    const api = createClusterApi(cluster.kubeConfig());
    const withKubectl = kubectlPath !== undefined;
    const kubectlCommand = [kubectlPath ?? 'kubectl', ...kubectlArgs(), '-n', NAMESPACE];
    await createNodeAppLike(cluster, NAMESPACE, POD);
    // Tagged: an untagged image is pulled on every start (Always), which an offline real node cannot.
    const attached = await attachDebugContainer(api, { namespace: NAMESPACE, podName: POD, image: 'busybox:1.36', targetContainer: 'app' }, { skipPrivilegedConfirmation: true });
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
        const { exitCode } = await kubectl(kubectlCommand, command.args);
        if (exitCode !== 0) failing.push(`${command.label} (exit ${exitCode})`);
      }
    }

    const ourTimes: number[] = [];
    const theirTimes: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      ourTimes.push((await ours()).ms);
      if (withKubectl) theirTimes.push(await manualPeer(kubectlCommand, commands));
    }

    const sections = report.sections.filter((s) => s.status === 'ok').length;
    const notOk = report.sections.filter((s) => s.status !== 'ok').map((s) => `${s.id} (${s.status}${s.note ? `: ${s.note}` : ''})`);
    printTable(`diagnostics of ${NAMESPACE}/${POD} (like demo/node-app), debug container already running`, 'ms', [
      { label: `extension, collectDiagnostics (${report.sections.length} sections, ${sections} ok)`, values: ourTimes },
      ...(withKubectl ? [{ label: `manual: ${commands.length} kubectl calls (${commands.map((c) => c.label).join(', ')}), sequential`, values: theirTimes }] : []),
    ]);
    if (withKubectl) {
      console.log(ratioLine('extension / manual kubectl', ourTimes, theirTimes));
    }
    console.log(`\nThe report covers more than the manual peer: CPU use per process (two samples at least ${CPU_SAMPLE_MS} ms apart, overlapping the rest), `
      + 'sockets mapped to their processes, DNS lookups of the Kubernetes service names, per-mount free space through the '
      + 'target\'s root, cgroup limits, interfaces and routes, kernel, memory, capabilities, log files in the target\'s '
      + 'filesystem; the manual commands give raw text the user still has to read (hex addresses in /proc/net/tcp, '
      + `df of the debug container's own mounts, not the target's).${cluster.kind === 'loopback' ? ' The loopback cluster has no DNS server and no cgroup limits.'
        : cluster.kind === 'real' ? ' The real node gives pods no name server (no DNS).' : ''}`
      + (notOk.length > 0 ? ` Report sections not ok here: ${notOk.join(', ')}.` : '')
      + (failing.length > 0 ? ` Manual commands that exited non-zero here (the answer is "not there"): ${failing.join(', ')}.` : ''));
  });
}

runBenchmark(main);

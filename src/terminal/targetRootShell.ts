/**
 * "Shell in Target Root": a shell whose `/` is the target container's filesystem, with the debug image's tools
 * on PATH. Run in the debug container (which shares the target's PID namespace):
 *
 *   chroot /proc/<target>/root /proc/<keeper>/root/bin/busybox sh
 *
 * `<keeper>` is the `sh -c` that runs chroot as a child and waits: it stays in the debug image's root, so
 * `/proc/<keeper>/root` — reached through the target's own /proc, which is the same PID namespace — keeps the
 * debug image reachable after the chroot without any mount privilege. (`exec chroot` would not work: the
 * magic link follows the process's root, which the chroot changes.) Needs CAP_SYS_CHROOT (in the runtime's
 * default set, dropped by the restricted profile) and read access to the target (same uid or SYS_PTRACE); the
 * tools must be static (busybox is) because after the chroot the dynamic loader would come from the target.
 * When chroot is not permitted the shell falls back to the debug root with its working directory at
 * /proc/<target>/root, saying why.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { ClusterApi } from '../cluster/clusterApi';
import { execCapture } from '../debug/execCapture';
import { shellScript } from '../shell/shellScript';
import { ExecTerminal } from './execTerminal';
import { chooseTargetProcess, listProcessesCommand, parseProcessListing } from './targetProcess';
import targetRootShellScript from './targetRootShell.sh';
import type { TerminalTarget } from './terminalSession';

/** Exit code of the script when the target's filesystem cannot be read at all. */
export const TARGET_UNREADABLE_EXIT = 126;

const TARGET_ROOT_SHELL_SCRIPT = shellScript(targetRootShellScript);

/**
 * The exec argv of the target-root shell (targetRootShell.sh). `pid` is the target's main process (1 when it is
 * PID 1); both values reach the script as positional arguments, and are checked here first.
 */
export function buildTargetRootShellCommand(pid: number, label = 'target'): string[] {
  if (!Number.isInteger(pid) || pid < 1 || !/^[\w .-]*$/.test(label)) {
    throw new Error(`invalid target process ${pid} or label ${label}`);
  }
  return ['sh', '-c', TARGET_ROOT_SHELL_SCRIPT, 'target-root', String(pid), label];
}

export interface TargetRootShellInput {
  readonly namespace: string;
  readonly pod: V1Pod;
  /** The running debug container to exec in. */
  readonly debugContainer: string;
  /** The container whose filesystem becomes `/`. */
  readonly targetContainer: string;
  readonly image?: string;
  readonly profile?: string;
}

/**
 * Resolves the target process (a listing exec only when the pod shares its PID namespace) and returns an exec
 * terminal running the script; the UI opens it like any other terminal. Rejects with a one-line message when the
 * target cannot be identified.
 */
export async function createTargetRootShell(api: ClusterApi, input: TargetRootShellInput): Promise<ExecTerminal> {
  const podName = input.pod.metadata?.name ?? '';
  let pid = 1;
  if (input.pod.spec?.shareProcessNamespace === true) {
    const listing = await execCapture(api, input.namespace, podName, input.debugContainer, listProcessesCommand());
    const choice = chooseTargetProcess(parseProcessListing(listing.stdout), input.pod, input.targetContainer);
    if ('error' in choice) {
      throw new Error(`Shell in Target Root: ${choice.error}`);
    }
    pid = choice.pid;
  }
  const label = `container ${input.targetContainer}`; // a DNS-1123 label: safe inside the script's quotes
  const target: TerminalTarget = { namespace: input.namespace, podName, containerName: input.debugContainer, image: input.image, profile: input.profile, targetContainer: input.targetContainer };
  return new ExecTerminal(api, target, { commands: [buildTargetRootShellCommand(pid, label)], description: `root of ${input.targetContainer} (pid ${pid})` });
}

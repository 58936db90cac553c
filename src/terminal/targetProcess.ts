/**
 * Finding the target container's main process from inside a debug container that shares its PID namespace.
 * Without shareProcessNamespace that is PID 1; with it PID 1 is /pause and every container's processes are
 * visible, so each container is told apart by its mount namespace (one per container) and the target is the
 * top process of the mount namespace whose command matches the target's spec.
 */
import type { V1Pod } from '@kubernetes/client-node';

export interface ProcessEntry {
  readonly pid: number;
  readonly ppid: number;
  /** `mnt:[4026532…]`, or '' when not readable (another uid without SYS_PTRACE). */
  readonly mountNamespace: string;
  /** argv joined by spaces. */
  readonly cmdline: string;
}

/** Prints `pid<TAB>ppid<TAB>mnt<TAB>cmdline` per process, then `self<TAB>mnt` for the debug container. */
export const LIST_PROCESSES_SCRIPT = [
  'for d in /proc/[0-9]*; do',
  '  p=${d#/proc/}',
  '  [ "$p" = "$$" ] && continue',
  '  pp=$(sed -n "s/^PPid:[[:space:]]*//p" $d/status 2>/dev/null)',
  '  m=$(readlink $d/ns/mnt 2>/dev/null)',
  '  c=$(tr "\\000" " " < $d/cmdline 2>/dev/null)',
  '  printf "%s\\t%s\\t%s\\t%s\\n" "$p" "$pp" "$m" "$c"',
  'done',
  'printf "self\\t%s\\n" "$(readlink /proc/$$/ns/mnt)"',
].join('\n');

export interface ProcessListing {
  readonly processes: readonly ProcessEntry[];
  readonly selfMountNamespace: string;
}

export function parseProcessListing(text: string): ProcessListing {
  const processes: ProcessEntry[] = [];
  let selfMountNamespace = '';
  for (const line of text.split('\n')) {
    const fields = line.replace(/\r$/, '').split('\t');
    if (fields[0] === 'self') {
      selfMountNamespace = fields[1] ?? '';
    } else if (fields.length >= 4 && /^\d+$/.test(fields[0])) {
      processes.push({ pid: Number(fields[0]), ppid: Number(fields[1] || 0), mountNamespace: fields[2], cmdline: fields.slice(3).join('\t').trim() });
    }
  }
  return { processes, selfMountNamespace };
}

export type TargetProcessChoice = { readonly pid: number; readonly cmdline: string; readonly how: string } | { readonly error: string };

/** Picks the target's main process from a listing taken in the debug container. */
export function chooseTargetProcess(listing: ProcessListing, pod: V1Pod, targetContainer: string | undefined): TargetProcessChoice {
  const { processes, selfMountNamespace } = listing;
  const others = processes.filter((p) => p.mountNamespace !== selfMountNamespace || p.mountNamespace === '');
  if (pod.spec?.shareProcessNamespace !== true) {
    const first = processes.find((p) => p.pid === 1);
    if (first === undefined || (first.mountNamespace !== '' && first.mountNamespace === selfMountNamespace)) {
      return { error: 'PID 1 is the debug container itself: the container runtime ignored targetContainerName, so the target\'s processes are not visible; use a pod with shareProcessNamespace or another runtime' };
    }
    return { pid: 1, cmdline: first.cmdline, how: 'PID 1 of the target\'s PID namespace' };
  }
  const readable = others.filter((p) => p.mountNamespace !== '');
  const byNamespace = new Map(readable.map((p) => [p.pid, p.mountNamespace]));
  // A container's main process is the one whose parent is outside its mount namespace.
  const tops = readable
    .filter((p) => byNamespace.get(p.ppid) !== p.mountNamespace && !/(^|\/)pause(\s|$)/.test(p.cmdline))
    .sort((a, b) => a.pid - b.pid);
  if (tops.length === 0) {
    return { error: 'no process of the target is readable: the debug container needs the target\'s uid or SYS_PTRACE (profile general)' };
  }
  const containers = pod.spec?.containers ?? [];
  const commandOf = (name: string | undefined): string | undefined => {
    const c = containers.find((x) => x.name === name);
    const argv = [...(c?.command ?? []), ...(c?.args ?? [])];
    return argv.length > 0 ? argv.join(' ') : undefined;
  };
  const wanted = commandOf(targetContainer);
  if (wanted !== undefined) {
    const match = tops.find((p) => p.cmdline === wanted || p.cmdline.endsWith(wanted) || p.cmdline.includes(wanted));
    if (match) {
      return { pid: match.pid, cmdline: match.cmdline, how: `the process running the command of "${targetContainer}"` };
    }
  }
  // Otherwise rule out the other containers we can recognise by command; regular containers start before
  // ephemeral ones, so the lowest remaining pid is the best guess.
  const otherCommands = containers.filter((c) => c.name !== targetContainer).map((c) => commandOf(c.name)).filter((c): c is string => c !== undefined);
  const remaining = tops.filter((p) => !otherCommands.some((cmd) => p.cmdline.includes(cmd)));
  const chosen = (remaining.length > 0 ? remaining : tops)[0];
  return { pid: chosen.pid, cmdline: chosen.cmdline, how: `the oldest process not belonging to another container` };
}

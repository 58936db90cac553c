/**
 * Finding the target container's main process from inside a debug container that shares its PID namespace.
 * Without shareProcessNamespace that is PID 1; with it PID 1 is /pause and every container's processes are
 * visible, so each container is told apart by its mount namespace (one per container) and the target is the
 * top process of the mount namespace whose command matches the target's spec.
 */
import type { V1Pod } from '@kubernetes/client-node';

import { shellScript } from '../shell/shellScript';
import listProcessesScript from './listProcesses.sh';

export interface ProcessEntry {
  readonly pid: number;
  readonly ppid: number;
  /** `mnt:[4026532…]`, or '' when not readable (another uid without SYS_PTRACE). */
  readonly mountNamespace: string;
  /** argv joined by spaces. */
  readonly cmdline: string;
}

/** A process as listProcesses.sh reports it. */
export interface ProcessInfo extends ProcessEntry {
  /** Effective uid from /proc/<pid>/status; undefined when not readable. */
  readonly uid?: number;
  readonly comm: string;
  /** The /proc/<pid>/exe link ('' when not readable). */
  readonly exe: string;
  readonly argv: readonly string[];
  /** How the script recognised a Go binary, if it did (only when asked to look). */
  readonly goEvidence?: 'buildinfo' | 'runtime.main';
  /** The process runs in the debug container itself (same mount namespace as the listing shell). */
  readonly inDebugContainer: boolean;
}

export interface ProcessListing<P extends ProcessEntry = ProcessInfo> {
  readonly processes: readonly P[];
  readonly selfMountNamespace: string;
}

/** The one process listing (listProcesses.sh): every process's name, executable and argv hex-encoded. */
export const LIST_PROCESSES_SCRIPT = shellScript(listProcessesScript);

/** The exec argv that lists processes; with `detectGo`, Go binaries are recognised (one grep of each). */
export function listProcessesCommand(options: { readonly detectGo?: boolean } = {}): string[] {
  return ['sh', '-c', LIST_PROCESSES_SCRIPT, 'list-processes', ...(options.detectGo === true ? ['go'] : [])];
}

const MOUNT_NAMESPACE = /^mnt:\[\d+\]$/;
const NUMBER = /^\d+$/;

/**
 * Parses listProcesses.sh's output. Rows are `P`, four kernel-formatted fields, the Go mark and one hex field,
 * so no process can forge a row: a line that does not have exactly that shape is dropped.
 */
export function parseProcessListing(text: string): ProcessListing {
  const rows: Omit<ProcessInfo, 'inDebugContainer'>[] = [];
  let selfMountNamespace = '';
  for (const raw of text.split('\n')) {
    const fields = raw.replace(/\r$/, '').split('\t');
    if (fields[0] === 'self' && fields.length === 2 && MOUNT_NAMESPACE.test(fields[1]!)) {
      selfMountNamespace = fields[1]!;
      continue;
    }
    if (fields.length !== 7 || fields[0] !== 'P') continue;
    const [, pid, ppid, uid, mnt, go, hex] = fields as [string, string, string, string, string, string, string];
    if (!NUMBER.test(pid) || !(ppid === '' || NUMBER.test(ppid)) || !(uid === '' || NUMBER.test(uid))) continue;
    if (!(mnt === '' || MOUNT_NAMESPACE.test(mnt)) || !/^([0-9a-f]{2})*$/.test(hex)) continue;
    const parts = Buffer.from(hex, 'hex').toString('utf8').split('\0');
    const comm = (parts[0] ?? '').replace(/\n$/, '');
    const exe = parts[1] ?? '';
    const argv = parts.slice(2);
    // /proc/<pid>/cmdline ends each argument with a NUL: the empty string after the last one is not an argument.
    if (argv.length > 0 && argv[argv.length - 1] === '') argv.pop();
    // Kernel threads and zombies: no argv, no executable.
    if (argv.length === 0 && exe === '') continue;
    rows.push({
      pid: Number(pid),
      ppid: Number(ppid || 0),
      uid: uid === '' ? undefined : Number(uid),
      mountNamespace: mnt,
      comm,
      exe,
      goEvidence: go === 'buildinfo' || go === 'runtime.main' ? go : undefined,
      argv,
      cmdline: argv.join(' '),
    });
  }
  const processes = rows.map((r) => ({ ...r, inDebugContainer: selfMountNamespace !== '' && r.mountNamespace === selfMountNamespace }));
  return { processes, selfMountNamespace };
}

export type TargetProcessChoice = { readonly pid: number; readonly cmdline: string; readonly how: string } | { readonly error: string };

/** Picks the target's main process from a listing taken in the debug container. */
export function chooseTargetProcess(listing: ProcessListing<ProcessEntry>, pod: V1Pod, targetContainer: string | undefined): TargetProcessChoice {
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

/**
 * Process discovery from a debug container sharing the target's PID namespace: one `sh` script reads
 * `/proc/<pid>/{status,comm,cmdline,exe,ns/mnt}` for every process, and the runtime of each is told from
 * its executable (node, java, python) or, for Go, from the binary itself: the `\xff Go buildinf:` magic of
 * the `.go.buildinfo` section (Go ≥ 1.13), else a `runtime.main` symbol name. Heuristics, said as such.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { chooseTargetProcess } from '../terminal/targetProcess';
import { LaunchError } from './launchError';

export const RUNTIMES = ['node', 'java', 'python', 'go'] as const;
export type RuntimeKind = (typeof RUNTIMES)[number];

export function isRuntimeKind(value: unknown): value is RuntimeKind {
  return typeof value === 'string' && (RUNTIMES as readonly string[]).includes(value);
}

export interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  /** Effective uid from /proc/<pid>/status; undefined when not readable. */
  readonly uid?: number;
  /** `mnt:[…]`, '' when not readable (other uid without SYS_PTRACE). */
  readonly mountNamespace: string;
  readonly comm: string;
  /** The /proc/<pid>/exe link ('' when not readable). */
  readonly exe: string;
  readonly argv: readonly string[];
  /** argv joined by spaces. */
  readonly cmdline: string;
  /** How the script recognised a Go binary, if it did. */
  readonly goEvidence?: 'buildinfo' | 'runtime.main';
  /** The process runs in the debug container itself (same mount namespace as the listing shell). */
  readonly inDebugContainer: boolean;
}

export interface ProcessListing {
  readonly processes: readonly ProcessInfo[];
  readonly selfMountNamespace: string;
}

const FIELD = '\t';
const ARG = '\x1f';

/**
 * Prints `P<TAB>pid<TAB>ppid<TAB>uid<TAB>mnt<TAB>comm<TAB>exe<TAB>go<TAB>argv(\x1f-separated)` per process and
 * `self<TAB>mnt`. Go is checked (grep of the binary) only for processes outside the debug container whose
 * executable is not a known interpreter or shell, so a 100 MB node binary is never scanned.
 */
export const LIST_PROCESSES_SCRIPT = [
  'self=$(readlink /proc/$$/ns/mnt)',
  'for d in /proc/[0-9]*; do',
  '  p=${d#/proc/}',
  '  [ "$p" = "$$" ] && continue',
  '  [ -r $d/status ] || continue',
  '  pp=$(sed -n "s/^PPid:[[:space:]]*//p" $d/status 2>/dev/null)',
  '  u=$(sed -n "s/^Uid:[[:space:]]*[0-9]*[[:space:]]*\\([0-9]*\\).*/\\1/p" $d/status 2>/dev/null)',
  '  m=$(readlink $d/ns/mnt 2>/dev/null)',
  '  c=$(cat $d/comm 2>/dev/null)',
  '  e=$(readlink $d/exe 2>/dev/null)',
  '  a=$(tr "\\000" "\\037" < $d/cmdline 2>/dev/null)',
  '  [ -z "$a" ] && [ -z "$e" ] && continue',
  '  g=',
  '  if [ -n "$e" ] && [ "$m" != "$self" ]; then',
  '    case "${e##*/}" in',
  '      node|nodejs|java|python*|sh|bash|ash|dash|busybox|pause|sleep|dlv|gdb) ;;',
  '      *) if grep -q "Go buildinf:" $d/exe 2>/dev/null; then g=buildinfo; elif grep -q "runtime\\.main" $d/exe 2>/dev/null; then g=runtime.main; fi ;;',
  '    esac',
  '  fi',
  '  printf "P\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\n" "$p" "$pp" "$u" "$m" "$c" "$e" "$g" "$a"',
  'done',
  'printf "self\\t%s\\n" "$self"',
].join('\n');

export function parseProcessListing(text: string): ProcessListing {
  const rows: Omit<ProcessInfo, 'inDebugContainer'>[] = [];
  let selfMountNamespace = '';
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const fields = line.split(FIELD);
    if (fields[0] === 'self') {
      selfMountNamespace = fields[1] ?? '';
      continue;
    }
    if (fields[0] !== 'P' || fields.length < 9 || !/^\d+$/.test(fields[1] ?? '')) continue;
    const argv = fields.slice(8).join(FIELD).split(ARG).filter((a, i, all) => !(a === '' && i === all.length - 1));
    const go = fields[7];
    rows.push({
      pid: Number(fields[1]),
      ppid: Number(fields[2] || 0),
      uid: /^\d+$/.test(fields[3] ?? '') ? Number(fields[3]) : undefined,
      mountNamespace: fields[4] ?? '',
      comm: fields[5] ?? '',
      exe: fields[6] ?? '',
      goEvidence: go === 'buildinfo' || go === 'runtime.main' ? go : undefined,
      argv,
      cmdline: argv.join(' '),
    });
  }
  const processes = rows.map((r) => ({ ...r, inDebugContainer: selfMountNamespace !== '' && r.mountNamespace === selfMountNamespace }));
  return { processes, selfMountNamespace };
}

const baseName = (path: string): string => path.replace(/ \(deleted\)$/, '').split('/').pop() ?? '';

/** The runtime a process runs, judged from its executable (argv[0] when the exe link is not readable). */
export function detectRuntime(p: ProcessInfo): RuntimeKind | undefined {
  const names = [baseName(p.exe), baseName(p.argv[0] ?? ''), p.comm];
  if (names.some((n) => n === 'node' || n === 'nodejs')) return 'node';
  if (names.some((n) => n === 'java')) return 'java';
  if (names.some((n) => /^python[0-9.]*$/.test(n))) return 'python';
  if (p.goEvidence !== undefined) return 'go';
  return undefined;
}

/** `123 node /app/server.js`, for pickers and messages. */
export function describeProcess(p: ProcessInfo): string {
  const runtime = detectRuntime(p);
  return `PID ${p.pid}${runtime ? ` (${runtime})` : ''}: ${p.cmdline || p.comm || p.exe}`;
}

/** A PID, or a name pattern: `/regex/flags` or a plain substring of the command line (or comm). */
export type ProcessSelector = number | string;

export function matchesSelector(p: ProcessInfo, selector: string): boolean {
  const regex = /^\/(.+)\/([a-z]*)$/.exec(selector);
  if (regex) {
    let re: RegExp;
    try {
      re = new RegExp(regex[1]!, regex[2]);
    } catch {
      throw new LaunchError('invalid-configuration', `process pattern ${selector} is not a valid regular expression`);
    }
    return re.test(p.cmdline) || re.test(p.comm);
  }
  return p.cmdline.includes(selector) || p.comm === selector;
}

export interface ProcessChoiceInput {
  readonly listing: ProcessListing;
  readonly pod: V1Pod;
  readonly targetContainer?: string;
  /** Only processes of this runtime; any of the known runtimes when undefined. */
  readonly runtime?: RuntimeKind;
  readonly selector?: ProcessSelector;
}

export interface ProcessChoice {
  readonly process: ProcessInfo;
  readonly runtime: RuntimeKind;
  /** One line: why this one. */
  readonly how: string;
}

/**
 * Picks the process to debug. Outside the debug container, of the wanted runtime, matching the selector;
 * among several, those in the target container's mount namespace, then the top ones (whose parent is not
 * a process of the same runtime: not workers, not debugpy's adapter). Throws `no-process` or
 * `ambiguous-process` with the candidates.
 */
export function chooseProcess(input: ProcessChoiceInput): ProcessChoice {
  const { listing, runtime, selector } = input;
  const visible = listing.processes.filter((p) => !p.inDebugContainer && !/(^|\/)pause$/.test(p.exe || p.argv[0] || ''));
  const runtimeText = runtime ?? 'Node, Java, Python or Go';
  if (typeof selector === 'number') {
    const byPid = visible.find((p) => p.pid === selector);
    if (byPid === undefined) {
      throw new LaunchError('no-process', `no process with PID ${selector} is visible from the debug container (PIDs are those of the target's PID namespace)`, candidatesOf(visible));
    }
    const detected = detectRuntime(byPid);
    const chosenRuntime = runtime ?? detected;
    if (chosenRuntime === undefined) {
      throw new LaunchError('runtime-unknown', `cannot tell the runtime of PID ${selector} (${byPid.cmdline || byPid.comm}): set "runtime" to node, java, python or go`);
    }
    return { process: byPid, runtime: chosenRuntime, how: `PID ${selector} as asked` };
  }
  let candidates = visible.filter((p) => {
    const detected = detectRuntime(p);
    return runtime === undefined ? detected !== undefined : detected === runtime;
  });
  if (selector !== undefined) candidates = candidates.filter((p) => matchesSelector(p, selector));
  if (candidates.length === 0) {
    const what = selector !== undefined ? `${runtimeText} process matching "${selector}"` : `${runtimeText} process`;
    const unreadable = visible.filter((p) => p.exe === '' && p.mountNamespace === '').length;
    const hint = unreadable > 0 ? `; ${unreadable} process(es) are not readable: the debug container needs the target's uid or SYS_PTRACE` : '';
    throw new LaunchError('no-process', `no ${what} runs in the pod's shared PID namespace${hint}`, candidatesOf(visible));
  }
  if (candidates.length > 1) {
    // The target container's own processes first.
    const main = chooseTargetProcess({ processes: visible, selfMountNamespace: listing.selfMountNamespace }, input.pod, input.targetContainer);
    const mainNamespace = 'pid' in main ? visible.find((p) => p.pid === main.pid)?.mountNamespace : undefined;
    const inTarget = mainNamespace ? candidates.filter((p) => p.mountNamespace === mainNamespace) : [];
    if (inTarget.length > 0) candidates = inTarget;
  }
  if (candidates.length > 1) {
    const pids = new Map(candidates.map((p) => [p.pid, p]));
    const tops = candidates.filter((p) => {
      const parent = pids.get(p.ppid);
      return parent === undefined || detectRuntime(parent) !== detectRuntime(p);
    });
    if (tops.length > 0) candidates = tops;
  }
  if (candidates.length > 1) {
    throw new LaunchError('ambiguous-process',
      `${candidates.length} ${runtimeText} processes match: choose one by PID (${candidates.map((p) => p.pid).join(', ')}) or a narrower "process" pattern`,
      candidates);
  }
  const chosen = candidates[0]!;
  return { process: chosen, runtime: runtime ?? detectRuntime(chosen)!, how: selector !== undefined ? `the only process matching "${selector}"` : `the only ${detectRuntime(chosen)} process of the target` };
}

function candidatesOf(processes: readonly ProcessInfo[]): ProcessInfo[] {
  return processes.filter((p) => p.cmdline !== '').slice(0, 30);
}

/** Reads only these variables of a process's environment (never the rest: it may hold secrets). */
export function readEnvironmentScript(pid: number, names: readonly string[]): string {
  const pattern = names.map((n) => n.replace(/[^A-Za-z0-9_]/g, '')).join('|');
  return `tr '\\000' '\\n' < /proc/${pid}/environ 2>/dev/null | grep -E '^(${pattern})=' || true`;
}

export function parseEnvironment(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

/** Splits an options variable (JAVA_TOOL_OPTIONS, NODE_OPTIONS) like a shell would for simple quoting. */
export function splitOptions(value: string | undefined): string[] {
  if (!value) return [];
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const m of value.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}

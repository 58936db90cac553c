/**
 * Process discovery from a debug container sharing the target's PID namespace: the one process listing
 * (src/terminal/listProcesses.sh, with Go detection) reads `/proc/<pid>/{status,comm,cmdline,exe,ns/mnt}` for
 * every process, and the runtime of each is told from
 * its executable (node, java, python) or, for Go, from the binary itself: the `\xff Go buildinf:` magic of
 * the `.go.buildinfo` section (Go ≥ 1.13), else a `runtime.main` symbol name. Heuristics, said as such.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { chooseTargetProcess, type ProcessInfo, type ProcessListing } from '../terminal/targetProcess';
import { shellScript } from '../shell/shellScript';
import { LaunchError } from './launchError';
import readEnvironmentScript from './runtimes/readEnvironment.sh';
import type { Shell } from './runtimes/common';

const READ_ENVIRONMENT_SCRIPT = shellScript(readEnvironmentScript);

export const RUNTIMES = ['node', 'java', 'python', 'go'] as const;
export type RuntimeKind = (typeof RUNTIMES)[number];

export function isRuntimeKind(value: unknown): value is RuntimeKind {
  return typeof value === 'string' && (RUNTIMES as readonly string[]).includes(value);
}

export type { ProcessInfo, ProcessListing } from '../terminal/targetProcess';

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
export async function readEnvironment(shell: Shell, pid: number, names: readonly string[], signal?: AbortSignal): Promise<Record<string, string>> {
  return parseEnvironment((await shell(READ_ENVIRONMENT_SCRIPT, [String(pid), ...names], signal)).stdout);
}

/** readEnvironment.sh's output: one NAME=VALUE per line, a newline inside a value sent as \x01. */
export function parseEnvironment(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1).replace(/\x01/g, '\n');
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

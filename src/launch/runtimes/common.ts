/**
 * What every runtime recipe gets (a shell in the debug container, the chosen process) and gives back (the
 * port to forward and the language debugger's attach configuration), plus shared checks: listening sockets
 * from the pod's /proc/net/tcp{,6} and SYS_PTRACE from the debug container's own capabilities.
 */
import type { CapturedExec } from '../../debug/execCapture';
import type { ProfileChoice } from '../../debug/profiles';
import { shellScript } from '../../shell/shellScript';
import { LaunchError } from '../launchError';
import type { ProcessInfo, RuntimeKind } from '../processes';
import stopProcessScript from './stopProcess.sh';

const STOP_PROCESS_SCRIPT = shellScript(stopProcessScript);

/**
 * Runs `sh -c SCRIPT sh ARG…` in the debug container (which shares the pod's network and the target's PIDs).
 * Values — pids, ports, paths, anything read from the pod — go in `args`, never into the script's text.
 */
export type Shell = (script: string, args?: readonly string[], signal?: AbortSignal) => Promise<CapturedExec>;

export interface RuntimeContext {
  readonly shell: Shell;
  readonly process: ProcessInfo;
  readonly progress: (message: string) => void;
  readonly signal?: AbortSignal;
  /** How the debug container was made, for messages (`general`, …). */
  readonly profileLabel?: string;
  /** How long to wait for a debug port to listen. */
  readonly listenTimeoutMs?: number;
}

export interface RuntimeOptions {
  /** Remote debug port to use/open instead of the runtime's default or the one found in the process. */
  readonly port?: number;
  readonly remoteRoot?: string;
  /** The local copy of the sources (where the recipe may look to match the remote ones). */
  readonly localRoot?: string;
}

export interface PreparedRuntime {
  /** The pod port the debugger listens on (forwarded). */
  readonly remotePort: number;
  /** Where the program's sources are in the container (the process's cwd unless told). */
  readonly remoteRoot?: string;
  /** One line per thing done (signal sent, agent started, …). */
  readonly notes: readonly string[];
  /** Undo what prepare started when the session ends (e.g. stop a dlv server it started). */
  readonly cleanup?: () => Promise<void>;
}

export interface AttachTarget {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly localRoot?: string;
  readonly remoteRoot?: string;
  readonly pathMappings?: readonly { readonly localRoot: string; readonly remoteRoot: string }[];
}

export type DebugConfigurationLike = { type: string; request: string; name: string; [key: string]: unknown };

export interface RuntimeRecipe {
  readonly runtime: RuntimeKind;
  readonly label: string;
  /** Default debug image: has the tools the recipe runs. */
  readonly debugImage: string;
  /** Whether preparing needs ptrace (SYS_PTRACE in the debug container). */
  readonly needsPtrace: boolean;
  /** Profile asked for by default. */
  readonly profile: ProfileChoice;
  readonly defaultPort: number;
  /** The VS Code debugger that attaches, and its extension (undefined: built in). */
  readonly debugType: string;
  readonly extensionId: string;
  readonly extensionName: string;
  readonly builtIn: boolean;
  /**
   * The debug server speaks the Debug Adapter Protocol itself (debugpy's adapter, a headless dlv): without the
   * language's extension, VS Code can connect to it through the forward and send this recipe's configuration as
   * the `attach` arguments.
   */
  readonly speaksDap: boolean;
  prepare(context: RuntimeContext, options: RuntimeOptions): Promise<PreparedRuntime>;
  debugConfiguration(target: AttachTarget): DebugConfigurationLike;
}

const TCP_LISTEN = '0A';

export interface ListeningSocket {
  readonly address: string;
  readonly port: number;
  readonly inode: string;
}

/** Parses /proc/net/tcp and tcp6 text: the LISTEN sockets. */
export function parseListeningSockets(text: string): ListeningSocket[] {
  const found: ListeningSocket[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10 || !/^\d+:$/.test(fields[0] ?? '')) continue;
    const [address, portHex] = (fields[1] ?? '').split(':');
    if (fields[3] !== TCP_LISTEN || address === undefined || portHex === undefined) continue;
    found.push({ address: decodeAddress(address), port: parseInt(portHex, 16), inode: fields[9] ?? '' });
  }
  return found;
}

function decodeAddress(hex: string): string {
  if (hex.length === 8) {
    const bytes = Buffer.from(hex, 'hex');
    return [...bytes].reverse().join('.');
  }
  if (/^0+$/.test(hex)) return '::';
  if (hex === '00000000000000000000000001000000') return '::1';
  if (hex.startsWith('0000000000000000FFFF0000')) return decodeAddress(hex.slice(24));
  return hex;
}

export async function listeningSockets(shell: Shell, signal?: AbortSignal): Promise<ListeningSocket[]> {
  const result = await shell('cat /proc/net/tcp /proc/net/tcp6 2>/dev/null', [], signal);
  return parseListeningSockets(result.stdout);
}

export async function isListening(shell: Shell, port: number, signal?: AbortSignal): Promise<boolean> {
  return (await listeningSockets(shell, signal)).some((s) => s.port === port);
}

/**
 * Polls the pod's listening sockets until `port` listens; `check` may throw to stop early (e.g. the
 * debugger process died). Throws `not-listening` with `hint` after the timeout.
 */
export async function waitUntilListening(context: RuntimeContext, port: number, hint: string, check?: () => Promise<void>): Promise<void> {
  const timeoutMs = context.listenTimeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await isListening(context.shell, port, context.signal)) return;
    if (check) await check();
    if (context.signal?.aborted) throw new LaunchError('not-listening', 'cancelled');
    if (Date.now() > deadline) {
      throw new LaunchError('not-listening', `nothing listens on port ${port} in the pod after ${Math.round(timeoutMs / 1000)} s: ${hint}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const CAP_SYS_PTRACE = 19n;

/** Whether the debug container's shell holds CAP_SYS_PTRACE (CapEff of /proc/self/status). */
export async function hasPtraceCapability(shell: Shell, signal?: AbortSignal): Promise<boolean> {
  const result = await shell('sed -n "s/^CapEff:[[:space:]]*//p" /proc/self/status', [], signal);
  const hex = result.stdout.trim();
  if (!/^[0-9a-fA-F]+$/.test(hex)) return false;
  return ((BigInt(`0x${hex}`) >> CAP_SYS_PTRACE) & 1n) === 1n;
}

export async function requirePtrace(context: RuntimeContext, what: string): Promise<void> {
  if (await hasPtraceCapability(context.shell, context.signal)) return;
  throw new LaunchError('ptrace-denied',
    `${what} needs ptrace, but the debug container${context.profileLabel ? ` (profile ${context.profileLabel})` : ''} has no SYS_PTRACE: ` +
    'use profile "general" (allowed where Pod Security is "privileged"), or start the program with its debugger listening instead');
}

/** `/proc/<pid>/cwd` as the target sees it. */
export async function workingDirectory(context: RuntimeContext): Promise<string | undefined> {
  const result = await context.shell('readlink "/proc/$1/cwd"', [String(context.process.pid)], context.signal);
  const dir = result.stdout.trim();
  return dir.startsWith('/') ? dir : undefined;
}

/** Stops a debug server this session started (by pid, if it still runs that command) and waits until it is gone. */
export async function stopDebugServer(shell: Shell, pid: number, comm: string): Promise<void> {
  await shell(STOP_PROCESS_SCRIPT, [String(pid), comm]);
}

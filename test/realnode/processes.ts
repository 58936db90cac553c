/**
 * The real node's daemons: each started in its own process group (Ctrl-C reaches only the supervisor, which
 * stops them in order), its output in a log file, its pid recorded so that a later start can end it by that
 * pid if this run was killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Daemon {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  readonly exited: Promise<number | null>;
  /** The last lines of its log, for error messages. */
  tail(lines?: number): string;
}

export interface DaemonSpec {
  name: string;
  command: string;
  args: string[];
  /** Run inside this network namespace (a /run/netns path) with nsenter; everything else stays shared. */
  netns?: string;
  env?: NodeJS.ProcessEnv;
}

export function startDaemon(spec: DaemonSpec, logDir: string): Daemon {
  const logFile = join(logDir, `${spec.name}.log`);
  const fd = openSync(logFile, 'a');
  const [command, args] = spec.netns
    ? ['nsenter', [`--net=${spec.netns}`, '--', spec.command, ...spec.args]]
    : [spec.command, spec.args];
  let child: ChildProcess;
  try {
    child = spawn(command, args, { stdio: ['ignore', fd, fd], detached: true, env: spec.env ?? process.env });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) throw new Error(`could not start ${spec.name} (${spec.command}): is it installed?`);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null)));
    child.once('error', () => resolve(null));
  });
  return {
    name: spec.name,
    pid: child.pid,
    logFile,
    exited,
    tail: (lines = 15) => {
      try {
        return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return '';
      }
    },
  };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopDaemon(daemon: Daemon, graceMs = 5_000): Promise<void> {
  if (!isAlive(daemon.pid)) return;
  signal(daemon.pid, 'SIGTERM');
  const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
  if (await Promise.race([daemon.exited.then(() => 'exited' as const), timer]) === 'timeout') {
    signal(daemon.pid, 'SIGKILL');
    await daemon.exited;
  }
}

/** Ends a process of an earlier run by pid, checking first that it still runs the command we started. */
export async function stopStalePid(pid: number, expectedCommand: string, graceMs = 3_000): Promise<boolean> {
  if (!isAlive(pid) || !commandLine(pid).includes(expectedCommand)) return false;
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) signal(pid, 'SIGKILL');
  return true;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie still answers signal 0; it is gone for our purposes.
    return !/\)\s+Z\s/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns true; fails with `what` and the daemon's log tail when it exits or times out. */
export async function waitUntil(what: string, probe: () => Promise<boolean>, options: { timeoutMs: number; daemon?: Daemon }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let exitCode: number | null | undefined;
  void options.daemon?.exited.then((code) => { exitCode = code; });
  for (;;) {
    if (await probe().catch(() => false)) return;
    const log = options.daemon ? `\n--- last lines of ${options.daemon.logFile} ---\n${options.daemon.tail()}` : '';
    if (exitCode !== undefined) throw new Error(`${options.daemon?.name} exited (code ${exitCode}) before ${what}${log}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${options.timeoutMs / 1000} s waiting for ${what}${log}`);
    await sleep(250);
  }
}

/**
 * The Node side of the shim (shim.c): spawning it, reading its start-up protocol, and the capability
 * arithmetic the kubelet hands it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import type { ExitStatus } from '../contracts';

export interface ShimHandle {
  child: ChildProcess;
  /** Host pid of the container process (the shim's child). */
  readonly pid: Promise<number>;
  /** Resolves once execve succeeded (or "ok" for connect); rejects with the shim's error message. */
  readonly started: Promise<void>;
  readonly exited: Promise<ExitStatus>;
  stdin: Writable | null;
  stdout: Readable;
  stderr: Readable | null;
  /** fd 3: "COLS ROWS" lines resize the PTY. */
  control: Writable;
}

export interface ShimSpawnOptions {
  stdin: boolean;
  tty: boolean;
  cwd?: string;
}

export function spawnShim(shimPath: string, args: string[], options: ShimSpawnOptions): ShimHandle {
  const child = spawn(shimPath, args, {
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', options.tty ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    cwd: options.cwd,
  });
  const info = child.stdio[4] as Readable;
  const control = child.stdio[3] as Writable;
  control.on('error', () => {});
  child.stdin?.on('error', () => {}); // EPIPE when the container closed its stdin first
  let resolvePid!: (pid: number) => void;
  let rejectPid!: (e: Error) => void;
  const pid = new Promise<number>((resolve, reject) => { resolvePid = resolve; rejectPid = reject; });
  const started = new Promise<void>((resolve, reject) => {
    let text = '';
    let error: string | undefined;
    let ok = false;
    info.setEncoding('utf8');
    info.on('data', (chunk: string) => {
      text += chunk;
      let nl: number;
      while ((nl = text.indexOf('\n')) >= 0) {
        const line = text.slice(0, nl);
        text = text.slice(nl + 1);
        if (line.startsWith('pid ')) resolvePid(Number(line.slice(4)));
        else if (line.startsWith('error ')) error ??= line.slice(6);
        else if (line === 'ok') ok = true;
      }
    });
    info.on('error', () => {});
    info.on('close', () => {
      if (error !== undefined) reject(new Error(error));
      else if (ok || args[0] === 'run') resolve();
      else reject(new Error('shim exited before starting'));
      rejectPid(new Error(error ?? 'shim exited before reporting a pid'));
    });
  });
  pid.catch(() => {});
  started.catch(() => {});
  const exited = new Promise<ExitStatus>((resolve) => {
    child.on('error', () => resolve({ exitCode: 127 }));
    child.on('exit', (code, signal) => {
      resolve({ exitCode: code ?? 128 + (signal ? signalNumber(signal) : 9) });
    });
  });
  // Node discards the output of a child that exits before anyone reads it (child_process flushStdio);
  // a short exec can finish before its caller attaches, so take ownership of the streams at once.
  const own = (stream: Readable | null) => (stream ? stream.pipe(new PassThrough()) : null);
  return { child, pid, started, exited, stdin: child.stdin, stdout: own(child.stdout)!, stderr: own(child.stderr), control };
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGTERM: 15 };
export function signalNumber(signal: NodeJS.Signals): number {
  return SIGNALS[signal] ?? 9;
}

/** Linux capability numbers (include/uapi/linux/capability.h). */
export const CAPABILITIES: Record<string, number> = {
  CHOWN: 0, DAC_OVERRIDE: 1, DAC_READ_SEARCH: 2, FOWNER: 3, FSETID: 4, KILL: 5, SETGID: 6, SETUID: 7, SETPCAP: 8,
  LINUX_IMMUTABLE: 9, NET_BIND_SERVICE: 10, NET_BROADCAST: 11, NET_ADMIN: 12, NET_RAW: 13, IPC_LOCK: 14, IPC_OWNER: 15,
  SYS_MODULE: 16, SYS_RAWIO: 17, SYS_CHROOT: 18, SYS_PTRACE: 19, SYS_PACCT: 20, SYS_ADMIN: 21, SYS_BOOT: 22, SYS_NICE: 23,
  SYS_RESOURCE: 24, SYS_TIME: 25, SYS_TTY_CONFIG: 26, MKNOD: 27, LEASE: 28, AUDIT_WRITE: 29, AUDIT_CONTROL: 30, SETFCAP: 31,
  MAC_OVERRIDE: 32, MAC_ADMIN: 33, SYSLOG: 34, WAKE_ALARM: 35, BLOCK_SUSPEND: 36, AUDIT_READ: 37, PERFMON: 38, BPF: 39,
  CHECKPOINT_RESTORE: 40,
};

/** containerd's default set (oci.DefaultCapabilities / the CRI default spec). */
export const DEFAULT_CAPABILITIES = ['CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID',
  'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE'];

/** The container's capability set as a hex mask (or "all" for privileged): default + add − drop. */
export function capabilityMask(add: string[] = [], drop: string[] = [], privileged = false): string {
  if (privileged) return 'all';
  const norm = (c: string) => c.toUpperCase().replace(/^CAP_/, '');
  let set = new Set(DEFAULT_CAPABILITIES);
  const dropped = drop.map(norm);
  if (dropped.includes('ALL')) set = new Set();
  for (const c of dropped) set.delete(c);
  for (const c of add.map(norm)) {
    if (c === 'ALL') Object.keys(CAPABILITIES).forEach((k) => set.add(k));
    else set.add(c);
  }
  let mask = 0n;
  for (const c of set) if (CAPABILITIES[c] !== undefined) mask |= 1n << BigInt(CAPABILITIES[c]);
  return mask.toString(16);
}

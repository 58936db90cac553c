/**
 * A stand-in KubeletApi for the streaming tests: host processes via child_process (a python3 pty relay
 * for TTYs), host TCP for port-forward. Only what handleStreamUpgrade needs; not a model of a kubelet.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import { PassThrough, Writable, type Duplex, type Readable } from 'node:stream';
import { constants as osConstants } from 'node:os';
import {
  KubeletError, type AttachSession, type ExecProcess, type ExitStatus, type KubeletApi,
} from '../../../cluster/contracts';

/** Relays stdin/stdout to a pty; fd 3 carries "cols rows\n" resize lines; stdin EOF becomes ^D. */
const PTY_RELAY = `
import os, pty, sys, select, fcntl, termios, struct
pid, fd = pty.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[1], sys.argv[1:])
    except OSError as e:
        sys.stderr.write(str(e) + "\\n")
        os._exit(127)
fds = [0, fd, 3]
ctl = b''
while True:
    r, _, _ = select.select(fds, [], [])
    # Resize first: the server sends a resize before the input that depends on it.
    if 3 in r:
        data = os.read(3, 4096)
        if not data:
            fds.remove(3)
        ctl += data
        while b'\\n' in ctl:
            line, ctl = ctl.split(b'\\n', 1)
            cols, rows = [int(x) for x in line.split()]
            fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
    if 0 in r:
        data = os.read(0, 65536)
        if not data:
            fds.remove(0)
            os.write(fd, b'\\x04')
        else:
            os.write(fd, data)
    if fd in r:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b''
        if not data:
            break
        os.write(1, data)
_, status = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
`;

function exitStatus(child: ChildProcess): Promise<ExitStatus> {
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      const signo = signal ? (osConstants.signals as Record<string, number>)[signal] ?? 9 : 0;
      resolve({ exitCode: code ?? 128 + signo });
    });
  });
}

interface RunningContainer {
  child: ChildProcess;
  sessions: Set<PassThrough>;
  ended: Promise<ExitStatus>;
}

export class FakeKubelet implements KubeletApi {
  /** Every resize() call, in order, for assertions. */
  readonly resizes: Array<{ cols: number; rows: number }> = [];
  /** Bytes the server has read from exec'd processes' stdout (to observe backpressure). */
  stdoutBytesRead = 0;
  readonly children = new Set<ChildProcess>();
  private readonly containers = new Map<string, RunningContainer>();
  private readonly running = new Set<string>();

  /** Mark a container running; with `main`, start its main process (the one `attach` connects to). */
  startContainer(namespace: string, pod: string, container: string, main?: string[]): void {
    const key = `${namespace}/${pod}/${container}`;
    this.running.add(key);
    if (!main) return;
    const child = this.track(spawn(main[0], main.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] }));
    const sessions = new Set<PassThrough>();
    const ended = exitStatus(child);
    child.stdin?.on('error', () => undefined);
    const broadcast = (data: Buffer): void => { for (const s of sessions) s.write(data); };
    child.stdout?.on('data', broadcast);
    child.stderr?.on('data', broadcast);
    void ended.then(() => { for (const s of sessions) s.end(); sessions.clear(); });
    this.containers.set(key, { child, sessions, ended });
  }

  async exec(namespace: string, pod: string, container: string, command: string[],
    options: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }): Promise<ExecProcess> {
    this.requireRunning(namespace, pod, container);
    const child = options.tty
      ? spawn('python3', ['-c', PTY_RELAY, ...command], { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] })
      : spawn(command[0], command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.track(child);
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
    } catch {
      // The shape of containerd/runc's message for a missing binary.
      throw new KubeletError(500, `failed to exec in container: failed to start exec "0123456789ab": OCI runtime ` +
        `exec failed: exec failed: unable to start container process: exec: "${command[0]}": executable file ` +
        `not found in $PATH: unknown`);
    }
    const control = options.tty ? child.stdio[3] as Writable : null;
    control?.on('error', () => undefined);
    child.stdin?.on('error', () => undefined);
    const counted = new PassThrough({ highWaterMark: 16 * 1024 });
    child.stdout?.on('data', (d: Buffer) => { this.stdoutBytesRead += d.length; });
    child.stdout?.pipe(counted);
    if (options.tty) child.stderr?.resume();
    const exited = exitStatus(child);
    return {
      stdin: options.stdin ? child.stdin : null,
      stdout: counted,
      stderr: options.tty ? null : child.stderr,
      resize: (cols, rows) => {
        this.resizes.push({ cols, rows });
        control?.write(`${cols} ${rows}\n`);
      },
      kill: (signal = 'SIGKILL') => { child.kill(signal); },
      exited,
    };
  }

  async attach(namespace: string, pod: string, container: string,
    options: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }): Promise<AttachSession> {
    this.requireRunning(namespace, pod, container);
    const c = this.containers.get(`${namespace}/${pod}/${container}`);
    if (!c) throw new KubeletError(500, `container ${container} has no main process in this fake`);
    const out = new PassThrough();
    c.sessions.add(out);
    const stdin = new Writable({
      write: (chunk: Buffer, _e, cb) => {
        if (c.child.stdin && !c.child.stdin.destroyed) c.child.stdin.write(chunk, () => cb());
        else cb();
      },
    });
    return {
      stdin: options.stdin ? stdin : null,
      stdout: out as Readable,
      stderr: null,
      resize: (cols, rows) => { this.resizes.push({ cols, rows }); },
      detach: () => {
        c.sessions.delete(out);
        out.end();
      },
      ended: c.ended,
    };
  }

  portForward(_namespace: string, _pod: string, port: number): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        resolve(socket);
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        const cause = err.code === 'ECONNREFUSED' ? 'connect: connection refused' : err.message;
        reject(new Error(`failed to execute portforward in network namespace "/var/run/netns/cni-loopback": ` +
          `failed to connect to localhost:${port} inside namespace "0123456789ab", IPv4: dial tcp4 ` +
          `127.0.0.1:${port}: ${cause}`));
      });
    });
  }

  async logs(): Promise<Readable> {
    throw new KubeletError(500, 'logs are not part of the streaming fake');
  }

  /** Kill every process this fake started and wait for them to exit. */
  async dispose(): Promise<void> {
    const waits = [...this.children].map((child) => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }
    }));
    await Promise.all(waits);
  }

  private track(child: ChildProcess): ChildProcess {
    this.children.add(child);
    child.on('error', () => undefined);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  private requireRunning(namespace: string, pod: string, container: string): void {
    if (!this.running.has(`${namespace}/${pod}/${container}`)) {
      throw new KubeletError(404, `container not found ("${container}")`);
    }
  }
}

/**
 * Python: attach to a debugpy that already listens, or inject one with `python -m debugpy --listen 127.0.0.1:…
 * --pid` from a debug image that has debugpy and gdb, with SYS_PTRACE (injectDebugpy.sh). The target runs in
 * another mount namespace, so the code gdb makes it run must import debugpy from a path IT can see: debugpy is
 * copied into a fresh mktemp directory in the target's /tmp through /proc/<pid>/root and run from there by that
 * same /proc/<pid>/root/… path, which resolves to the same files in both namespaces (the debug container shares
 * the target's PID namespace, so /proc/<pid> names the same process on both sides). The session's end stops the
 * debugpy adapter it started. Attach with ms-python.debugpy (`type: debugpy`); without it, VS Code sends the same
 * configuration to debugpy's adapter as DAP `attach` arguments (`connect` says the adapter already runs).
 */
import { shellScript } from '../../shell/shellScript';
import { LaunchError } from '../launchError';
import { LIST_PROCESSES_SCRIPT, parseProcessListing, type ProcessInfo } from '../../terminal/targetProcess';
import { requirePtrace, stopDebugServer, waitUntilListening, isListening, workingDirectory, type AttachTarget, type RuntimeRecipe } from './common';
import injectDebugpyScript from './injectDebugpy.sh';

export const DEBUGPY_DEFAULT_PORT = 5678;
/** Prefix of the mktemp directories in the target's /tmp holding an injected debugpy. */
export const INJECTED_DEBUGPY_DIR = '/tmp/.ephemeral-debug-debugpy.';

/** The port of a debugpy started by the program itself: `python -m debugpy --listen [host:]port …`. */
export function debugpyListenPort(argv: readonly string[]): number | undefined {
  const i = argv.indexOf('debugpy');
  if (i < 0 || argv[i - 1] !== '-m') return undefined;
  for (let j = i + 1; j < argv.length; j++) {
    const arg = argv[j]!;
    const value = arg === '--listen' ? argv[j + 1] : arg.startsWith('--listen=') ? arg.slice('--listen='.length) : undefined;
    if (value !== undefined) {
      const port = Number(value.slice(value.lastIndexOf(':') + 1));
      return Number.isInteger(port) ? port : undefined;
    }
  }
  return undefined;
}

const INJECT_DEBUGPY_SCRIPT = shellScript(injectDebugpyScript);

/**
 * The debugpy adapter that `debugpy.listen` started in the target: a child of the target's process running
 * `…/debugpy/adapter … --port <port>`. It is what listens; stopping it closes the port.
 */
export function findDebugpyAdapter(processes: readonly ProcessInfo[], targetPid: number, port: number): ProcessInfo | undefined {
  return processes.find((p) => p.ppid === targetPid && p.argv.some((a) => /(^|\/)debugpy\/adapter\/?$/.test(a)) && p.argv.includes(String(port)));
}

export const pythonRecipe: RuntimeRecipe = {
  runtime: 'python',
  label: 'Python',
  debugImage: 'python:3.12',
  needsPtrace: true,
  profile: 'general',
  defaultPort: DEBUGPY_DEFAULT_PORT,
  debugType: 'debugpy',
  extensionId: 'ms-python.debugpy',
  extensionName: 'Python Debugger',
  builtIn: false,
  speaksDap: true,

  async prepare(context, options) {
    const { shell, process: target, signal } = context;
    const own = debugpyListenPort(target.argv);
    const port = options.port ?? own ?? DEBUGPY_DEFAULT_PORT;
    const notes: string[] = [];
    let cleanup: (() => Promise<void>) | undefined;
    if (await isListening(shell, port, signal)) {
      notes.push(own !== undefined ? `the program's own debugpy listens on port ${port}` : `a debug server already listens on port ${port} (debugpy injected earlier)`);
    } else {
      await requirePtrace(context, 'Injecting debugpy into a running Python process');
      context.progress(`injecting debugpy into python PID ${target.pid}…`);
      const injected = await shell(INJECT_DEBUGPY_SCRIPT, [String(target.pid), String(port), 'python3'], signal);
      const output = `${injected.stdout}\n${injected.stderr}`.trim();
      if (injected.exitCode !== 0) {
        if (/ptrace: Operation not permitted/i.test(output)) {
          throw new LaunchError('ptrace-denied', `gdb could not attach to PID ${target.pid}: ptrace was denied (the debug container needs SYS_PTRACE, profile "general")`, [], output);
        }
        if (/No module named .?debugpy|not found/i.test(output)) {
          throw new LaunchError('inject-failed', 'the debug image has no debugpy (or no gdb): use a Python image with both, e.g. one with `pip install debugpy` and gdb', [], output);
        }
        throw new LaunchError('inject-failed', `injecting debugpy into PID ${target.pid} failed: ${lastLine(output)}`, [], output);
      }
      const dir = /^debugpy-dir \/proc\/\d+\/root(\/.*)$/m.exec(injected.stdout)?.[1] ?? `${INJECTED_DEBUGPY_DIR}*`;
      notes.push(`injected debugpy into PID ${target.pid} (from ${dir} in its /tmp)`);
      await waitUntilListening(context, port,
        `debugpy was injected into PID ${target.pid} but does not listen (is the process's main thread stuck in C code, or is it not CPython 3.7+? ` +
        'A process takes debugpy once: if an earlier session injected it, restart the process to debug it again)');
      const listed = await shell(LIST_PROCESSES_SCRIPT, [], signal);
      const adapter = findDebugpyAdapter(parseProcessListing(listed.stdout).processes, target.pid, port);
      if (adapter !== undefined) {
        notes.push(`debugpy's adapter (PID ${adapter.pid}) listens on 127.0.0.1:${port}; it stops when the session ends`);
        cleanup = () => stopDebugServer(shell, adapter.pid, adapter.comm);
      } else {
        notes.push(`debugpy's adapter process was not found: it keeps listening on 127.0.0.1:${port} after the session`);
      }
    }
    const remoteRoot = options.remoteRoot ?? (await workingDirectory(context));
    return { remotePort: port, remoteRoot, notes, cleanup };
  },

  debugConfiguration(target: AttachTarget) {
    const pathMappings = target.pathMappings ?? (target.localRoot !== undefined && target.remoteRoot !== undefined
      ? [{ localRoot: target.localRoot, remoteRoot: target.remoteRoot }]
      : []);
    return {
      type: 'debugpy',
      request: 'attach',
      name: target.name,
      connect: { host: target.host, port: target.port },
      pathMappings,
      justMyCode: true,
    };
  },
};

function lastLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).pop() ?? 'no output';
}

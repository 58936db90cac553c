/**
 * Python: attach to a debugpy that already listens, or inject one with `python -m debugpy --listen … --pid`
 * from a debug image that has debugpy and gdb, with SYS_PTRACE. The target runs in another mount namespace,
 * so the code gdb makes it run must import debugpy from a path IT can see: debugpy is copied into the
 * target's /tmp through /proc/<pid>/root and run from there by that same /proc/<pid>/root/… path, which
 * resolves to the same files in both namespaces (the debug container shares the target's PID namespace, so
 * /proc/<pid> names the same process on both sides). Attach with ms-python.debugpy (`type: debugpy`).
 */
import { LaunchError } from '../launchError';
import { requirePtrace, shellQuote, waitUntilListening, isListening, workingDirectory, type AttachTarget, type RuntimeRecipe } from './common';

export const DEBUGPY_DEFAULT_PORT = 5678;
/** Folder under the target's /tmp holding the injected debugpy (one per debugpy version). */
export const INJECTED_DEBUGPY_DIR = '/tmp/.ephemeral-debug-debugpy';
/** Packages debugpy's pydevd needs that some distributions install outside debugpy (checked, copied when found). */
const UNBUNDLED_MODULES = ['bytecode'];

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

/** The sh script run in the debug container: copy debugpy into the target, then inject it. */
export function injectionScript(pid: number, port: number, python = 'python3'): string {
  const py = shellQuote(python);
  return [
    'set -e',
    `pid=${pid}`,
    `src=$(${py} -c 'import debugpy, os; print(os.path.dirname(os.path.abspath(debugpy.__file__)))')`,
    `ver=$(${py} -c 'import debugpy; print(debugpy.__version__)' | tr -c 'A-Za-z0-9.\\n' _)`,
    `dst=/proc/$pid/root${INJECTED_DEBUGPY_DIR}-$ver`,
    'if [ ! -f "$dst/debugpy/__main__.py" ]; then',
    '  rm -rf "$dst.part"; mkdir -p "$dst.part"',
    // -L: distributions (Debian) unbundle the vendored pydevd as symlinks the target could not follow.
    '  cp -rL "$src" "$dst.part/debugpy"',
    // Modules the vendored pydevd imports that distributions unbundle (Debian: bytecode): beside debugpy,
    // a folder the injected code puts on sys.path.
    `  for m in ${UNBUNDLED_MODULES.join(' ')}; do`,
    `    p=$(${py} -c "import $m, os; print(os.path.dirname(os.path.abspath($m.__file__)))" 2>/dev/null) || continue`,
    '    case "$p" in "$src"*) ;; *) cp -rL "$p" "$dst.part/$m" ;; esac',
    '  done',
    '  chmod -R a+rX "$dst.part"',
    '  rm -rf "$dst"; mv "$dst.part" "$dst"',
    'fi',
    // debugpy runs `gdb --pid`; gdb reads the target's binaries as target:/… by entering its mount
    // namespace, which needs CAP_SYS_ADMIN. A gdb wrapper first on PATH points its sysroot at
    // /proc/<pid>/root instead (readable with SYS_PTRACE).
    'real=$(command -v gdb) || { echo "gdb: not found" >&2; exit 127; }',
    'bin=$(mktemp -d /tmp/ephemeral-debug-gdb.XXXXXX)',
    'printf \'#!/bin/sh\\nexec %s -iex "set sysroot /proc/%s/root" "$@"\\n\' "$real" "$pid" > "$bin/gdb"',
    'chmod +x "$bin/gdb"',
    'cd /',
    'status=0',
    `PATH="$bin:$PATH" ${py} "$dst/debugpy" --listen 0.0.0.0:${port} --pid $pid || status=$?`,
    'rm -rf "$bin"',
    'exit $status',
  ].join('\n');
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

  async prepare(context, options) {
    const { shell, process: target, signal } = context;
    const own = debugpyListenPort(target.argv);
    const port = options.port ?? own ?? DEBUGPY_DEFAULT_PORT;
    const notes: string[] = [];
    if (await isListening(shell, port, signal)) {
      notes.push(own !== undefined ? `the program's own debugpy listens on port ${port}` : `a debug server already listens on port ${port} (debugpy injected earlier)`);
    } else {
      await requirePtrace(context, 'Injecting debugpy into a running Python process');
      context.progress(`injecting debugpy into python PID ${target.pid}…`);
      const injected = await shell(injectionScript(target.pid, port), signal);
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
      notes.push(`injected debugpy into PID ${target.pid} (from ${INJECTED_DEBUGPY_DIR}-* in its /tmp)`);
      await waitUntilListening(context, port,
        `debugpy was injected into PID ${target.pid} but does not listen (is the process's main thread stuck in C code, or is it not CPython 3.7+?)`);
    }
    const remoteRoot = options.remoteRoot ?? (await workingDirectory(context));
    return { remotePort: port, remoteRoot, notes };
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

/**
 * Go: `dlv attach <pid> --headless --listen :2345 --accept-multiclient --api-version 2 --continue` started in
 * the background of the delve debug image (SYS_PTRACE needed), so the program keeps running until the
 * editor sets breakpoints. Attach with golang.go (`type: go`, `mode: remote`); the session's end stops that
 * dlv, which detaches and leaves the program running.
 */
import { LaunchError } from '../launchError';
import { isListening, requirePtrace, waitUntilListening, workingDirectory, type AttachTarget, type RuntimeRecipe } from './common';

export const DLV_DEFAULT_PORT = 2345;

export function dlvScript(pid: number, port: number, log: string): string {
  return [
    `command -v dlv >/dev/null || { echo "dlv: not found" >&2; exit 127; }`,
    `run() { dlv attach ${pid} --headless --listen :${port} --accept-multiclient --api-version 2 --continue >${log} 2>&1 </dev/null; }`,
    // Its own session, so the end of this exec's shell does not take it down.
    'if command -v setsid >/dev/null; then setsid dlv attach ' + `${pid} --headless --listen :${port} --accept-multiclient --api-version 2 --continue >${log} 2>&1 </dev/null &`,
    'else run & fi',
    'echo $!',
  ].join('\n');
}

export const goRecipe: RuntimeRecipe = {
  runtime: 'go',
  label: 'Go',
  debugImage: 'ghcr.io/go-delve/delve:v1.20',
  needsPtrace: true,
  profile: 'general',
  defaultPort: DLV_DEFAULT_PORT,
  debugType: 'go',
  extensionId: 'golang.go',
  extensionName: 'Go',
  builtIn: false,

  async prepare(context, options) {
    const { shell, process: target, signal } = context;
    const port = options.port ?? DLV_DEFAULT_PORT;
    const notes: string[] = [];
    let cleanup: (() => Promise<void>) | undefined;
    if (await isListening(shell, port, signal)) {
      notes.push(`a debug server already listens on port ${port} (a dlv started earlier; it accepts several clients)`);
    } else {
      await requirePtrace(context, 'dlv attach');
      context.progress(`starting dlv attach ${target.pid}…`);
      const log = `/tmp/ephemeral-debug-dlv-${target.pid}.log`;
      const started = await shell(dlvScript(target.pid, port, log), signal);
      const dlvPid = Number(started.stdout.trim().split('\n').pop());
      if (started.exitCode !== 0 || !Number.isInteger(dlvPid)) {
        throw new LaunchError('inject-failed', `cannot start dlv in the debug container: ${(started.stderr || started.stdout).trim()} (use the ghcr.io/go-delve/delve image)`, [], started.stderr);
      }
      const dlvGone = async (): Promise<void> => {
        const alive = await shell(`kill -0 ${dlvPid} 2>/dev/null && echo alive; cat ${log} 2>/dev/null`, signal);
        if (!alive.stdout.startsWith('alive')) {
          const output = alive.stdout.trim();
          if (/operation not permitted|permission denied/i.test(output)) {
            throw new LaunchError('ptrace-denied', `dlv could not attach to PID ${target.pid}: ptrace was denied`, [], output);
          }
          throw new LaunchError('inject-failed', `dlv attach ${target.pid} ended: ${output.split('\n').filter(Boolean).pop() ?? 'no output'}`, [], output);
        }
      };
      await waitUntilListening(context, port, `dlv attach ${target.pid} did not start listening`, dlvGone);
      notes.push(`started dlv (PID ${dlvPid} in the debug container) attached to PID ${target.pid}`);
      cleanup = async () => {
        // SIGTERM makes a headless dlv detach from a process it attached to, leaving it running.
        await shell(`kill ${dlvPid} 2>/dev/null; true`);
      };
    }
    const remoteRoot = options.remoteRoot ?? (await workingDirectory(context));
    return { remotePort: port, remoteRoot, notes, cleanup };
  },

  debugConfiguration(target: AttachTarget) {
    return {
      type: 'go',
      request: 'attach',
      mode: 'remote',
      name: target.name,
      host: target.host,
      port: target.port,
      ...(target.localRoot !== undefined && target.remoteRoot !== undefined
        ? { substitutePath: [{ from: target.localRoot, to: target.remoteRoot }] }
        : {}),
    };
  },
};

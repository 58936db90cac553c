/**
 * Go: `dlv attach <pid> --headless --listen 127.0.0.1:2345 --accept-multiclient --api-version 2 --continue`
 * started in the background of the delve debug image (dlv.sh; SYS_PTRACE needed), so the program keeps running
 * until the editor sets breakpoints. Attach with golang.go (`type: go`, `mode: remote`); without it, VS Code speaks
 * DAP to the same headless dlv (it answers DAP and JSON-RPC on one port) with this configuration as the `attach`
 * arguments (`mode: remote`, `substitutePath` local → remote). Without a remoteRoot, the binary's file table names
 * the build folder (goSources.ts). The session's end stops that dlv, which detaches and leaves the program running.
 */
import { shellScript } from '../../shell/shellScript';
import { LaunchError } from '../launchError';
import { isListening, requirePtrace, stopDebugServer, waitUntilListening, workingDirectory, type AttachTarget, type RuntimeContext, type RuntimeRecipe } from './common';
import { binarySources, goBuildRoot, localGoFiles } from './goSources';
import dlvAliveScript from './dlvAlive.sh';
import dlvScript from './dlv.sh';

export const DLV_DEFAULT_PORT = 2345;

const DLV_SCRIPT = shellScript(dlvScript);
const DLV_ALIVE_SCRIPT = shellScript(dlvAliveScript);

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
  speaksDap: true,

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
      const started = await shell(DLV_SCRIPT, [String(target.pid), String(port), log], signal);
      const dlvPid = Number(started.stdout.trim().split('\n').pop());
      if (started.exitCode !== 0 || !Number.isInteger(dlvPid)) {
        throw new LaunchError('inject-failed', `cannot start dlv in the debug container: ${(started.stderr || started.stdout).trim()} (use the ghcr.io/go-delve/delve image)`, [], started.stderr);
      }
      const dlvGone = async (): Promise<void> => {
        const alive = await shell(DLV_ALIVE_SCRIPT, [String(dlvPid), log], signal);
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
      // SIGTERM makes a headless dlv detach from a process it attached to, leaving it running.
      cleanup = () => stopDebugServer(shell, dlvPid, 'dlv');
    }
    const remoteRoot = options.remoteRoot ?? (await buildFolder(context, options.localRoot, notes)) ?? (await workingDirectory(context));
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

/** The folder the binary was built in (dlv knows the sources by it), matched against the local copy; a failure is a note. */
async function buildFolder(context: RuntimeContext, localRoot: string | undefined, notes: string[]): Promise<string | undefined> {
  try {
    const root = goBuildRoot(await binarySources(context.shell, context.process.pid, context.signal), localRoot !== undefined ? await localGoFiles(localRoot) : []);
    if (root !== undefined) notes.push(`remoteRoot ${root}: the folder the binary was built in (set remoteRoot to choose another)`);
    return root;
  } catch (error) {
    notes.push(`could not read the source names in PID ${context.process.pid}'s binary (${error instanceof Error ? error.message : String(error)}): remoteRoot is its working directory; set remoteRoot if breakpoints do not bind`);
    return undefined;
  }
}

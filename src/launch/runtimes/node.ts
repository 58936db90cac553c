/**
 * Node: open the inspector of a running process with SIGUSR1, sent from the debug container (shared PID
 * namespace: works on distroless, any PID), on the port from its arguments or NODE_OPTIONS (9229 by
 * default), wait until it listens in the pod, and attach js-debug (`type: node`, built into VS Code).
 */
import { homedir } from 'node:os';
import { LaunchError } from '../launchError';
import { readEnvironment, splitOptions } from '../processes';
import { isListening, waitUntilListening, workingDirectory, type AttachTarget, type RuntimeRecipe } from './common';

export const NODE_DEFAULT_INSPECTOR_PORT = 9229;

export interface InspectorSettings {
  readonly port: number;
  /** The process was started with --inspect* (the inspector may already listen). */
  readonly startedWithInspector: boolean;
  readonly sigusr1Disabled: boolean;
}

/** The inspector port a process would use: `--inspect[-brk|-wait][=[host:]port]`, `--inspect-port=[host:]port`. */
export function inspectorSettings(argv: readonly string[], nodeOptions: string | undefined): InspectorSettings {
  // Node reads NODE_OPTIONS first, then the command line (which wins); only options before the script count.
  const args = [...splitOptions(nodeOptions), ...nodeArgs(argv)];
  let port = NODE_DEFAULT_INSPECTOR_PORT;
  let startedWithInspector = false;
  let sigusr1Disabled = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const m = /^--(inspect(?:-brk|-wait)?|inspect-port|debug-port)(?:=(.*))?$/.exec(arg);
    if (m) {
      if (m[1] !== 'inspect-port' && m[1] !== 'debug-port') startedWithInspector = true;
      let value = m[2];
      if (value === undefined && (m[1] === 'inspect-port' || m[1] === 'debug-port')) value = args[++i];
      const parsed = value === undefined ? undefined : portOf(value);
      if (parsed !== undefined) port = parsed;
    }
    if (arg === '--disable-sigusr1') sigusr1Disabled = true;
  }
  return { port, startedWithInspector, sigusr1Disabled };
}

/** Node's own options: those between the executable and the script (or -e). */
function nodeArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (const arg of argv.slice(1)) {
    if (!arg.startsWith('-')) break;
    out.push(arg);
    if (arg === '-e' || arg === '--eval' || arg === '-r' || arg === '--require') break;
  }
  return out;
}

function portOf(value: string): number | undefined {
  const port = Number(value.includes(':') ? value.slice(value.lastIndexOf(':') + 1) : value);
  return Number.isInteger(port) && port >= 0 && port <= 65535 ? port : undefined;
}

export const nodeRecipe: RuntimeRecipe = {
  runtime: 'node',
  label: 'Node.js',
  debugImage: 'busybox:1.36',
  needsPtrace: false,
  profile: 'auto',
  defaultPort: NODE_DEFAULT_INSPECTOR_PORT,
  debugType: 'node',
  extensionId: 'ms-vscode.js-debug',
  extensionName: 'JavaScript Debugger (built in)',
  builtIn: true,
  speaksDap: false,

  async prepare(context, options) {
    const { shell, process: target, signal } = context;
    const env = await readEnvironment(shell, target.pid, ['NODE_OPTIONS'], signal);
    const settings = inspectorSettings(target.argv, env.NODE_OPTIONS);
    const port = options.port ?? settings.port;
    if (port === 0) {
      throw new LaunchError('unsupported', `PID ${target.pid} asks for a random inspector port (port 0): set "port" to the port it listens on`);
    }
    const notes: string[] = [];
    if (await isListening(shell, port, signal)) {
      notes.push(`the inspector already listens on port ${port}`);
    } else {
      if (settings.sigusr1Disabled) {
        throw new LaunchError('unsupported', `PID ${target.pid} runs with --disable-sigusr1: its inspector cannot be opened from outside; restart it with --inspect=127.0.0.1:${port} (the port-forward connects to 127.0.0.1 in the pod)`);
      }
      context.progress(`sending SIGUSR1 to node PID ${target.pid}…`);
      const killed = await shell('kill -USR1 "$1"', [String(target.pid)], signal);
      if (killed.exitCode !== 0) {
        throw new LaunchError('not-listening', `cannot signal PID ${target.pid}: ${(killed.stderr || killed.stdout).trim() || `kill exited ${killed.exitCode}`}` +
          ' (the debug container needs the target\'s uid or root with CAP_KILL)', [], killed.stderr);
      }
      notes.push(`sent SIGUSR1 to PID ${target.pid}`);
      await waitUntilListening(context, port,
        `Node PID ${target.pid} did not open its inspector after SIGUSR1 (a SIGUSR1 handler of its own, or another inspector port: set "port")`);
    }
    const remoteRoot = options.remoteRoot ?? (await workingDirectory(context));
    return { remotePort: port, remoteRoot, notes };
  },

  debugConfiguration(target: AttachTarget) {
    return {
      type: 'node',
      request: 'attach',
      name: target.name,
      address: target.host,
      port: target.port,
      // Without a local copy, the container's paths stand for themselves (localRoot = remoteRoot): js-debug would
      // otherwise map them onto the workspace folder, and breakpoints set in the target's own files
      // (k8s-target:, see targetSources.ts) would not match the scripts it loaded.
      // (js-debug also checks that cwd, which defaults to localRoot, exists here: the home folder does.)
      ...(target.localRoot !== undefined ? { localRoot: target.localRoot } : target.remoteRoot !== undefined ? { localRoot: target.remoteRoot, cwd: homedir() } : {}),
      ...(target.remoteRoot !== undefined ? { remoteRoot: target.remoteRoot } : {}),
      skipFiles: ['<node_internals>/**'],
    };
  },
};

/**
 * Java: JDWP cannot be loaded into a running JVM, so the agent must be on its command line or in
 * JAVA_TOOL_OPTIONS / JDK_JAVA_OPTIONS / _JAVA_OPTIONS (read from /proc/<pid>/environ). With `onjcmd=y` the
 * agent waits for `jcmd <pid> VM.start_java_debugging`, run from the JDK debug image. Attach with
 * vscjava.vscode-java-debug (`type: java`).
 */
import { shellScript } from '../../shell/shellScript';
import { LaunchError } from '../launchError';
import { readEnvironment, splitOptions } from '../processes';
import { isListening, waitUntilListening, workingDirectory, type AttachTarget, type RuntimeRecipe } from './common';
import startJavaDebuggingScript from './startJavaDebugging.sh';

export const JAVA_DEFAULT_JDWP_PORT = 5005;
const JAVA_ENV = ['JAVA_TOOL_OPTIONS', 'JDK_JAVA_OPTIONS', '_JAVA_OPTIONS'];
/** Listening on 127.0.0.1 only: the port-forward connects there, and nothing else that reaches the pod's IP can. */
export const JDWP_OPTION_HINT = '-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=127.0.0.1:5005';

export interface JdwpAgent {
  /** Where the option came from: `command line` or the variable's name. */
  readonly source: string;
  readonly options: Readonly<Record<string, string>>;
  readonly transport?: string;
  readonly server: boolean;
  readonly onjcmd: boolean;
  readonly host?: string;
  readonly port?: number;
}

/** Finds `-agentlib:jdwp=…` or `-Xrunjdwp:…` in the command line (before the main class) and the option variables. */
export function findJdwpAgent(argv: readonly string[], env: Readonly<Record<string, string>>): JdwpAgent | undefined {
  const sources: [string, string[]][] = [
    ...JAVA_ENV.map((name): [string, string[]] => [name, splitOptions(env[name])]),
    ['command line', jvmArgs(argv)],
  ];
  let found: JdwpAgent | undefined;
  for (const [source, args] of sources) {
    for (const arg of args) {
      const m = /^(?:-agentlib:jdwp=|-Xrunjdwp:)(.*)$/.exec(arg);
      if (m) found = parseJdwp(source, m[1] ?? ''); // the last one wins, as in the JVM
    }
  }
  return found;
}

function jvmArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-')) break;
    out.push(arg);
    if (arg === '-cp' || arg === '-classpath' || arg === '--class-path' || arg === '-p' || arg === '--module-path') i++;
    if (arg === '-jar' || arg === '-m' || arg === '--module') break;
  }
  return out;
}

export function parseJdwp(source: string, text: string): JdwpAgent {
  const options: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    if (eq > 0) options[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  let host: string | undefined;
  let port: number | undefined;
  const address = options.address;
  if (address !== undefined) {
    const colon = address.lastIndexOf(':');
    host = colon >= 0 ? address.slice(0, colon) : undefined;
    const value = Number(colon >= 0 ? address.slice(colon + 1) : address);
    port = Number.isInteger(value) ? value : undefined;
  }
  return {
    source,
    options,
    transport: options.transport,
    server: options.server === 'y',
    onjcmd: options.onjcmd === 'y',
    host,
    port,
  };
}

/** Starts JDWP in a JVM that has `onjcmd=y` (startJavaDebugging.sh: what jcmd does, through /proc/<pid>/root). */
const START_JAVA_DEBUGGING_SCRIPT = shellScript(startJavaDebuggingScript);

export const javaRecipe: RuntimeRecipe = {
  runtime: 'java',
  label: 'Java',
  debugImage: 'eclipse-temurin:17',
  needsPtrace: false,
  profile: 'auto',
  defaultPort: JAVA_DEFAULT_JDWP_PORT,
  debugType: 'java',
  extensionId: 'vscjava.vscode-java-debug',
  extensionName: 'Debugger for Java',
  builtIn: false,
  speaksDap: false,

  async prepare(context, options) {
    const { shell, process: target, signal } = context;
    const env = await readEnvironment(shell, target.pid, JAVA_ENV, signal);
    const agent = findJdwpAgent(target.argv, env);
    if (agent === undefined) {
      throw new LaunchError('no-debug-agent',
        `the JVM (PID ${target.pid}) runs without a JDWP agent, and a running JVM cannot load one: restart it with ` +
        `JAVA_TOOL_OPTIONS="${JDWP_OPTION_HINT}" (add ",onjcmd=y" to start listening only when asked, with jcmd)`);
    }
    if (agent.transport !== undefined && agent.transport !== 'dt_socket') {
      throw new LaunchError('unsupported', `the JVM's JDWP agent uses transport ${agent.transport} (from ${agent.source}): only dt_socket can be forwarded`);
    }
    if (!agent.server) {
      throw new LaunchError('unsupported', `the JVM's JDWP agent (from ${agent.source}) has server=n: it connects out to a debugger instead of listening; use server=y`);
    }
    const port = options.port ?? agent.port;
    if (port === undefined || port === 0) {
      throw new LaunchError('unsupported', `the JVM's JDWP agent (from ${agent.source}) has no fixed address, so it listens on a random port: set "port", or use address=127.0.0.1:${JAVA_DEFAULT_JDWP_PORT}`);
    }
    const notes: string[] = [`JDWP agent from ${agent.source}: address ${agent.options.address ?? '?'}`];
    if (agent.host !== undefined && !['*', '0.0.0.0', '::', 'localhost', '127.0.0.1', ''].includes(agent.host)) {
      notes.push(`JDWP listens on ${agent.host} only; port-forwarding connects to 127.0.0.1 in the pod and may be refused: use address=127.0.0.1:${port}`);
    }
    if (!(await isListening(shell, port, signal))) {
      if (agent.onjcmd) {
        context.progress(`starting JDWP in PID ${target.pid} with jcmd…`);
        const started = await shell(START_JAVA_DEBUGGING_SCRIPT, [String(target.pid)], signal);
        if (started.exitCode !== 0 || /exception|error|not found/i.test(started.stdout + started.stderr)) {
          const output = (started.stdout + started.stderr).trim();
          throw new LaunchError('not-listening',
            `starting JDWP in PID ${target.pid} (jcmd VM.start_java_debugging) failed: ${output.split('\n').pop() ?? `exit ${started.exitCode}`} ` +
            '(the debug container must run as the JVM\'s user or root and have java 16+: use the JDK debug image)', [], output);
        }
        notes.push(`started JDWP (jcmd VM.start_java_debugging): ${started.stdout.trim().split('\n').pop() ?? ''}`);
      }
      await waitUntilListening(context, port, agent.onjcmd ? 'jcmd reported success but JDWP is not listening' : 'the JVM\'s JDWP agent is not listening (is address right?)');
    }
    const remoteRoot = options.remoteRoot ?? (await workingDirectory(context));
    return { remotePort: port, remoteRoot, notes };
  },

  debugConfiguration(target: AttachTarget) {
    return { type: 'java', request: 'attach', name: target.name, hostName: target.host, port: target.port };
  },
};


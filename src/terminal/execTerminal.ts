/**
 * "Open Shell": a new shell exec'd in a running debug container, alongside the attached one. Debug images put
 * their shell in different places, so the candidates are tried in order until one starts.
 */
import type { V1Status } from '@kubernetes/client-node';
import type { ClusterApi, StreamConnection } from '../cluster/clusterApi';
import { formatBanner } from './attachTerminal';
import { TerminalSession, type TerminalEnd, type TerminalStreams, type TerminalTarget } from './terminalSession';

/** `sh` on PATH, then the usual absolute places, then busybox's applet. */
export const SHELL_CANDIDATES: readonly (readonly string[])[] = [['sh'], ['/bin/sh'], ['/busybox/sh'], ['busybox', 'sh']];

const startFailure = /executable file not found|no such file or directory|unable to start container process|not found in \$PATH/i;

/** Whether an exec ended because the command could not be started (so the next candidate is worth a try). */
export function isCommandNotFound(status: V1Status | undefined, error?: unknown): boolean {
  const text = status?.message ?? (error instanceof Error ? error.message : '');
  return startFailure.test(text) && status?.reason !== 'NonZeroExitCode';
}

export interface ExecTerminalOptions {
  /** Commands tried in order; default SHELL_CANDIDATES. */
  readonly commands?: readonly (readonly string[])[];
  /** Shown in the banner, e.g. "root of app". */
  readonly description?: string;
}

export class ExecTerminal extends TerminalSession {
  private readonly commands: readonly (readonly string[])[];
  private startedCommand: readonly string[] | undefined;

  constructor(
    api: ClusterApi,
    target: TerminalTarget,
    private readonly options: ExecTerminalOptions = {},
  ) {
    super(api, target);
    this.commands = options.commands ?? SHELL_CANDIDATES;
  }

  banner(): string {
    return formatBanner('Shell in', this.target, this.options.description);
  }

  /** The command that started, once open. */
  get command(): readonly string[] | undefined {
    return this.startedCommand;
  }

  protected async connect(newStreams: () => TerminalStreams): Promise<StreamConnection> {
    let lastError: unknown;
    for (const command of this.commands) {
      const { output, stdin } = newStreams();
      let connection: StreamConnection;
      try {
        connection = await this.api.exec(this.target.namespace, this.target.podName, this.target.containerName, command, { stdout: output, stdin, tty: true });
      } catch (error) {
        if (!isCommandNotFound(undefined, error)) {
          throw error;
        }
        lastError = error;
        continue;
      }
      // A command that cannot start ends at once with a Failure Status; anything else is the running shell.
      const early = await Promise.race([connection.closed, new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), 300))]);
      if (early !== 'running' && isCommandNotFound(early)) {
        lastError = new Error(early?.message ?? 'command not found');
        continue;
      }
      this.startedCommand = command;
      return early === 'running' ? connection : { close: () => connection.close(), closed: Promise.resolve(early) };
    }
    const tried = this.commands.map((c) => c.join(' ')).join(', ');
    throw new Error(`no shell in container ${this.target.containerName} (tried ${tried}): use a debug image with a shell${lastError instanceof Error ? ` (${lastError.message})` : ''}`);
  }

  protected override async describeEnd(status: V1Status | undefined, error: unknown, closedByUser: boolean): Promise<TerminalEnd> {
    const end = await super.describeEnd(status, error, closedByUser);
    // The debug container outlives an exec'd shell; "Reattach" here means opening another shell.
    return end.kind === 'exited' ? { ...end, message: `Shell exited with code ${end.exitCode ?? '?'}` } : end;
  }
}

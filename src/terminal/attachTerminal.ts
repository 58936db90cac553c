/**
 * The attach terminal: a TTY attached to the debug container's main process (what `kubectl debug -it` gives).
 * Closing it leaves the container running, so it can be reattached; its shell ends with `exit` or Ctrl-D.
 */
import type { ClusterApi, StreamConnection } from '../cluster/clusterApi';
import { TerminalSession, type TerminalStreams, type TerminalTarget } from './terminalSession';
import type { TerminalOutput } from './terminalOutput';

/**
 * What kubectl (1.34+) says when attaching: the container's main process writes what it echoes to its log, so
 * everything typed (passwords too) and printed stays there while the pod exists (`kubectl logs`).
 */
export const ATTACH_LOG_NOTICE =
  '\x1b[33mEverything typed and printed in this session stays in the container\'s log (kubectl logs), passwords and other secrets included, until the pod is deleted.\x1b[0m';

export class AttachTerminal extends TerminalSession {
  constructor(api: ClusterApi, target: TerminalTarget) {
    super(api, target);
  }

  banner(): string {
    const reach = this.target.reach !== undefined ? `\r\n\x1b[2mIt ${this.target.reach}.\x1b[0m` : '';
    return `${formatBanner('Attached to', this.target)}${reach}\r\n${ATTACH_LOG_NOTICE}`;
  }

  protected connect(newStreams: () => TerminalStreams): Promise<StreamConnection> {
    const { output, stdin } = newStreams();
    return this.api.attach(this.target.namespace, this.target.podName, this.target.containerName, { stdout: output, stdin, tty: true });
  }

  /**
   * The shell printed its prompt before we attached. Like kubectl, change the size and change it back: the
   * SIGWINCH makes line editors redraw the prompt.
   */
  protected override afterOpen(output: TerminalOutput): void {
    const { columns, rows } = output;
    output.setDimensions(columns + 1, rows + 1);
    output.setDimensions(columns, rows);
  }
}

/** `Attached to demo/node-app · container debugger-x · image busybox:1.36 · profile general · target app` (dimmed). */
export function formatBanner(verb: string, target: TerminalTarget, extra?: string): string {
  const parts = [
    `${verb} ${target.namespace}/${target.podName}`,
    `container ${target.containerName}`,
    target.image ? `image ${target.image}` : undefined,
    target.profile ? `profile ${target.profile}` : undefined,
    target.targetContainer ? `target ${target.targetContainer}` : undefined,
    extra,
  ].filter((part): part is string => part !== undefined);
  return `\x1b[2m${parts.join(' · ')}\x1b[0m`;
}

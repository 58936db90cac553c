/**
 * Pseudoterminals over the vscode-free terminal sessions (src/terminal): keystrokes (Ctrl-C, Ctrl-D included)
 * go to the stream unchanged, VS Code's size to the remote TTY, and closing the terminal closes the socket.
 * When the stream ends the terminal says why and, while the container runs, Enter reattaches in place.
 * Also the "Show Logs" terminal, which follows a container's log until closed or Ctrl-C.
 */
import { Writable } from 'node:stream';
import * as vscode from 'vscode';
import type { ClusterApi, Logger } from '../cluster/clusterApi';
import type { TerminalEnd, TerminalSession } from '../terminal/terminalSession';
import type { TerminalRecorder } from './debugSessions';

const dim = (text: string): string => `\x1b[2m${text}\x1b[0m`;
const ENTER = '\r';

/** A terminal over TerminalSessions; `connect` makes a new one for the first open and each reattach. */
class SessionPseudoterminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;

  private session: TerminalSession | undefined;
  private subscriptions: { dispose(): void }[] = [];
  private dimensions: vscode.TerminalDimensions = { columns: 80, rows: 24 };
  private lastEnd: TerminalEnd | undefined;
  private closed = false;
  private recorder: TerminalRecorder | undefined;

  constructor(
    private readonly connect: () => Promise<TerminalSession>,
    private readonly logger: Logger,
    private readonly reattachLabel: string,
    private readonly recording?: () => Promise<TerminalRecorder | undefined>,
    private readonly onClosed?: () => void,
  ) {}

  open(initialDimensions: vscode.TerminalDimensions | undefined): void {
    if (initialDimensions !== undefined) {
      this.dimensions = initialDimensions;
    }
    void this.begin();
  }

  /** Starts the recording (when enabled) before the first byte, so the cast has the whole session. */
  private async begin(): Promise<void> {
    this.recorder = await this.recording?.();
    if (this.recorder !== undefined) {
      this.recorder.resize(this.dimensions.columns, this.dimensions.rows);
      this.writeEmitter.fire(this.recorder.banner);
    }
    await this.start();
  }

  /** Everything shown goes through here, so a recording sees exactly what the user saw. */
  private emit(text: string): void {
    this.recorder?.output(text);
    this.writeEmitter.fire(text);
  }

  private async start(): Promise<void> {
    this.lastEnd = undefined;
    let session: TerminalSession;
    try {
      session = await this.connect();
    } catch (error) {
      this.ended({ kind: 'failed-to-open', message: error instanceof Error ? error.message : String(error), canReattach: false });
      return;
    }
    if (this.closed) {
      session.close();
      return;
    }
    this.session = session;
    this.subscriptions = [
      session.onOutput((text) => this.emit(text)),
      session.onEnd((end) => this.ended(end)),
    ];
    await session.open(this.dimensions.columns, this.dimensions.rows);
  }

  private ended(end: TerminalEnd): void {
    this.subscriptions.forEach((s) => s.dispose());
    this.subscriptions = [];
    this.session = undefined;
    this.lastEnd = end;
    this.logger.info(`terminal ended (${end.kind}): ${end.message}`);
    if (this.closed) {
      return;
    }
    const color = end.kind === 'exited' && end.exitCode === 0 ? '' : end.kind === 'closed-by-user' ? '' : '\x1b[33m';
    this.emit(`\r\n${color}${end.message}\x1b[0m\r\n`);
    this.emit(dim(end.canReattach ? `Press Enter to ${this.reattachLabel}, any other key to close this terminal.` : 'Press any key to close this terminal.') + '\r\n');
  }

  handleInput(data: string): void {
    if (this.session !== undefined) {
      this.recorder?.input(data);
      this.session.input(data);
      return;
    }
    if (this.lastEnd === undefined) {
      return; // still connecting
    }
    if (this.lastEnd.canReattach && data === ENTER) {
      this.emit('\r\n');
      void this.start();
    } else {
      this.closeEmitter.fire();
    }
  }

  setDimensions(dimensions: vscode.TerminalDimensions): void {
    this.dimensions = dimensions;
    this.recorder?.resize(dimensions.columns, dimensions.rows);
    this.session?.resize(dimensions.columns, dimensions.rows);
  }

  close(): void {
    this.closed = true;
    this.session?.close();
    this.subscriptions.forEach((s) => s.dispose());
    this.writeEmitter.dispose();
    this.closeEmitter.dispose();
    const recorder = this.recorder;
    this.recorder = undefined;
    void recorder?.close().catch((error: unknown) => this.logger.warn(`terminal recording: ${error instanceof Error ? error.message : String(error)}`));
    this.onClosed?.();
  }
}

export interface SessionTerminalOptions {
  readonly name: string;
  readonly icon: string;
  /** Called for the first connection and for each reattach from the terminal. */
  readonly connect: () => Promise<TerminalSession>;
  /** What Enter does after the end: `reattach`, `open another shell`. */
  readonly reattachLabel: string;
  /** Records the terminal (asciinema) when it resolves to a recorder; called once, before the first connection. */
  readonly recording?: () => Promise<TerminalRecorder | undefined>;
  /** After the terminal closed (e.g. to end the journaled session). */
  readonly onClosed?: () => void;
}

export class Terminals implements vscode.Disposable {
  private readonly terminals = new Set<vscode.Terminal>();
  private readonly subscription: vscode.Disposable;

  constructor(private readonly logger: Logger) {
    this.subscription = vscode.window.onDidCloseTerminal((terminal) => this.terminals.delete(terminal));
  }

  openSession(options: SessionTerminalOptions): vscode.Terminal {
    const pty = new SessionPseudoterminal(options.connect, this.logger, options.reattachLabel, options.recording, options.onClosed);
    return this.show(vscode.window.createTerminal({ name: options.name, pty, iconPath: new vscode.ThemeIcon(options.icon), isTransient: true }));
  }

  /** Follows a container's log (the last 1000 lines first) until the terminal is closed or Ctrl-C. */
  openLogs(api: ClusterApi, namespace: string, pod: string, container: string): vscode.Terminal {
    const pty = new LogPseudoterminal(api, namespace, pod, container, this.logger);
    return this.show(vscode.window.createTerminal({ name: `Logs: ${pod}/${container}`, pty, iconPath: new vscode.ThemeIcon('output'), isTransient: true }));
  }

  private show(terminal: vscode.Terminal): vscode.Terminal {
    this.terminals.add(terminal);
    terminal.show();
    return terminal;
  }

  dispose(): void {
    this.subscription.dispose();
    this.terminals.forEach((t) => t.dispose());
    this.terminals.clear();
  }
}

const CTRL_C = '\x03';

class LogPseudoterminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private readonly abort = new AbortController();
  private following = false;

  constructor(
    private readonly api: ClusterApi,
    private readonly namespace: string,
    private readonly pod: string,
    private readonly container: string,
    private readonly logger: Logger,
  ) {}

  open(): void {
    this.writeEmitter.fire(dim(`Logs of ${this.namespace}/${this.pod} · container ${this.container} · following (Ctrl-C stops)`) + '\r\n');
    const write = (text: string): void => this.writeEmitter.fire(text.replace(/\r?\n/g, '\r\n'));
    const out = new Writable({
      decodeStrings: false,
      write(chunk: Buffer | string, _encoding, callback): void {
        write(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
        callback();
      },
    });
    this.following = true;
    this.api.streamLog(this.namespace, this.pod, this.container, { follow: true, tailLines: 1000 }, out, this.abort.signal).then(
      () => this.stopped(this.abort.signal.aborted ? 'Stopped following.' : 'The log stream ended (the container stopped or the connection closed).'),
      (error: unknown) => this.stopped(this.abort.signal.aborted ? 'Stopped following.' : `\x1b[33m${error instanceof Error ? error.message : String(error)}\x1b[0m`),
    );
  }

  private stopped(message: string): void {
    if (!this.following) {
      return;
    }
    this.following = false;
    this.logger.debug(`logs of ${this.namespace}/${this.pod}/${this.container}: ${message}`);
    this.writeEmitter.fire(`\r\n${message}\r\n${dim('Press any key to close this terminal.')}\r\n`);
  }

  handleInput(data: string): void {
    if (this.following) {
      if (data === CTRL_C) {
        this.abort.abort();
      }
      return;
    }
    this.closeEmitter.fire();
  }

  close(): void {
    this.following = false;
    this.abort.abort();
    this.writeEmitter.dispose();
    this.closeEmitter.dispose();
  }
}

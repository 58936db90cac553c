/** A read-only terminal that shows a playbook's steps as they run; Ctrl-C cancels, any key closes it when done. */
import * as vscode from 'vscode';

const CTRL_C = '\x03';

export class PlaybookTerminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<void>();
  private readonly interrupts: (() => void)[] = [];
  private readonly pending: string[] = [];
  private opened = false;
  private finished = false;
  private readonly terminal: vscode.Terminal;

  constructor(name: string) {
    const pty: vscode.Pseudoterminal = {
      onDidWrite: this.writeEmitter.event,
      onDidClose: this.closeEmitter.event,
      open: () => {
        this.opened = true;
        this.pending.splice(0).forEach((text) => this.writeEmitter.fire(text));
      },
      close: () => this.interrupts.forEach((f) => f()),
      handleInput: (data) => {
        if (this.finished) this.closeEmitter.fire();
        else if (data === CTRL_C) this.interrupts.forEach((f) => f());
      },
    };
    this.terminal = vscode.window.createTerminal({ name, pty, iconPath: new vscode.ThemeIcon('notebook'), isTransient: true });
  }

  show(): void {
    this.terminal.show();
  }

  onInterrupt(listener: () => void): void {
    this.interrupts.push(listener);
  }

  /** Output as it comes (newlines made terminal line ends). */
  write(text: string): void {
    const converted = text.replace(/\r?\n/g, '\r\n');
    if (this.opened) this.writeEmitter.fire(converted);
    else this.pending.push(converted);
  }

  line(text: string): void {
    this.write(`${text}\n`);
  }

  done(): void {
    this.finished = true;
    this.line('\x1b[2mPress any key to close this terminal.\x1b[0m');
  }
}

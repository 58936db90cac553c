// Wiring only: each concern lives in its own module and is registered here.
import * as vscode from 'vscode';
import { ClusterTreeProvider } from './ui/clusterTree';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Kubernetes Ephemeral Debug', { log: true });
  context.subscriptions.push(log);

  const tree = new ClusterTreeProvider();
  context.subscriptions.push(
    vscode.window.registerTreeDataProvider('ephemeralDebug.explorer', tree),
    vscode.commands.registerCommand('ephemeralDebug.showLog', () => log.show()),
  );
  log.info(`activated (extension host Node ${process.version})`);
}

export function deactivate(): void {
  // Disposables registered on the context are released by VS Code.
}

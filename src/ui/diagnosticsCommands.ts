import type * as vscode from 'vscode';
import type { FeatureDependencies } from './featureDependencies';

export function registerDiagnosticsCommands(_deps: FeatureDependencies): vscode.Disposable[] {
  return [];
}

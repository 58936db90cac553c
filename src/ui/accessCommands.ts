import type * as vscode from 'vscode';
import type { FeatureDependencies } from './featureDependencies';

export function registerAccessCommands(_deps: FeatureDependencies): vscode.Disposable[] {
  return [];
}

/**
 * Errors as one-line notifications with "Show Details", which opens what the cluster said (the server's Status,
 * or the kubelet's container status and the pod's events; see pure/errorText.ts) in a read-only virtual document.
 */
import * as vscode from 'vscode';
import type { Logger } from '../cluster/clusterApi';
import { isCancellation, presentError } from './pure/errorText';

export const DETAILS_SCHEME = 'ephemeral-debug-details';
const SHOW_DETAILS = 'Show Details';
const maxKeptDocuments = 50;

export class ErrorPresenter implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly documents = new Map<string, string>();
  private counter = 0;
  private readonly registration: vscode.Disposable;

  constructor(private readonly logger: Logger) {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(DETAILS_SCHEME, this);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.documents.get(uri.path) ?? '// These details are no longer available: run the command again.\n';
  }

  /**
   * Shows `error` unless it is a cancellation; `prefix` says what failed (e.g. `Attach to demo/web`). Returns the
   * extra action the user picked, if any.
   */
  async show(error: unknown, prefix?: string, ...actions: string[]): Promise<string | undefined> {
    if (isCancellation(error)) {
      this.logger.debug(`${prefix ?? 'operation'} cancelled`);
      return undefined;
    }
    const { message, details, detailsLanguage } = presentError(error, prefix);
    this.logger.error(message);
    const buttons = details !== undefined ? [...actions, SHOW_DETAILS] : actions;
    const picked = await vscode.window.showErrorMessage(message, ...buttons);
    if (picked === SHOW_DETAILS && details !== undefined) {
      await this.openDetails(details, prefix ?? 'Error', detailsLanguage);
      return undefined;
    }
    return picked;
  }

  /** `language` names the document's extension, so it opens highlighted; 'text' for free text. */
  async openDetails(content: string, title: string, language: 'json' | 'yaml' | 'text' = 'text'): Promise<void> {
    const extension = language === 'text' ? 'txt' : language;
    const name = `${title.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') || 'Status'}-${++this.counter}.${extension}`;
    const path = `/${name}`;
    this.documents.set(path, content.endsWith('\n') ? content : `${content}\n`);
    while (this.documents.size > maxKeptDocuments) {
      this.documents.delete(this.documents.keys().next().value as string);
    }
    const document = await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: DETAILS_SCHEME, path }));
    await vscode.window.showTextDocument(document, { preview: true });
  }

  dispose(): void {
    this.registration.dispose();
    this.documents.clear();
  }
}

/** Shows Markdown reports: the rendered preview when the built-in Markdown extension offers it, else the text. */
import * as vscode from 'vscode';
import type { Logger } from '../cluster/clusterApi';

export const REPORT_SCHEME = 'ephemeral-debug-report';
const MAX_KEPT_REPORTS = 20;

/**
 * Read-only in-memory reports (Check My Access): unlike untitled documents they are never dirty, so closing
 * the window or starting a debug session (which saves dirty editors) never asks to save them.
 */
export class ReportDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly reports = new Map<string, string>();
  private counter = 0;
  private readonly registration: vscode.Disposable;

  constructor(private readonly logger: Logger) {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, this);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.reports.get(uri.path) ?? '# This report is no longer available\n\nRun the command again.\n';
  }

  /** Opens `markdown` as `<name>-<n>.md` in the preview (or as text without the Markdown extension). */
  async show(markdown: string, name: string): Promise<vscode.Uri> {
    const path = `/${name.replace(/[^\w.-]+/g, '-')}-${++this.counter}.md`;
    this.reports.set(path, markdown);
    while (this.reports.size > MAX_KEPT_REPORTS) this.reports.delete(this.reports.keys().next().value as string);
    const uri = vscode.Uri.from({ scheme: REPORT_SCHEME, path });
    await showPreview(uri, this.logger);
    return uri;
  }

  dispose(): void {
    this.registration.dispose();
    this.reports.clear();
  }
}

async function showPreview(uri: vscode.Uri, logger: Logger): Promise<void> {
  try {
    await vscode.commands.executeCommand('markdown.showPreview', uri);
  } catch (error) {
    // The Markdown extension may be disabled; the text is still the report.
    logger.debug(`markdown.showPreview unavailable (${error instanceof Error ? error.message : String(error)}); opening the text`);
    await vscode.window.showTextDocument(uri, { preview: true });
  }
}

/**
 * A diagnostics report: the preview of the saved file at `path`; without one (the journal is unavailable) an
 * untitled Markdown document, shown so it can be saved, with its preview beside it.
 */
export async function showMarkdownReport(markdown: string, path: string | undefined, logger: Logger): Promise<void> {
  if (path !== undefined) {
    await showPreview(vscode.Uri.file(path), logger);
    return;
  }
  const document = await vscode.workspace.openTextDocument({ language: 'markdown', content: markdown });
  await vscode.window.showTextDocument(document, { preview: false });
  try {
    await vscode.commands.executeCommand('markdown.showPreviewToSide', document.uri);
  } catch (error) {
    logger.debug(`markdown.showPreviewToSide unavailable: ${error instanceof Error ? error.message : String(error)}`);
  }
}

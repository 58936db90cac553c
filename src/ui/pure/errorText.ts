/**
 * One-line messages and "Show Details" content for errors from any layer (ClusterError, DebugSpecError,
 * DebugFlowError, anything else). vscode-free. Show Details shows what the cluster said, as it said it: the
 * API server's Status when the API refused, the kubelet's container status and the pod's events when a
 * container did not start; only errors without either fall back to our own account of them.
 */
import { stringify as toYaml } from 'yaml';

export interface ErrorPresentation {
  /** One line: what failed and what to do. */
  readonly message: string;
  /** "Show Details": the server's Status or the cluster's report (YAML), else our structured detail (JSON); undefined when there is none. */
  readonly details?: string;
  /** The language of `details`. */
  readonly detailsLanguage?: 'yaml' | 'json';
}

const firstLine = (text: string): string => text.split(/\r?\n/).find((line) => line.trim() !== '')?.trim() ?? text.trim();

const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;

/** The Status of the error or of the errors it wraps (`cause`), nearest first. */
function findStatus(error: unknown, depth = 0): unknown {
  const record = asRecord(error);
  if (record === undefined || depth > 5) {
    return undefined;
  }
  if (asRecord(record.status) !== undefined) {
    return record.status;
  }
  return record.cause !== error ? findStatus(record.cause, depth + 1) : undefined;
}

/** A ClusterReport (src/debug/clusterReport.ts) on the error or a wrapped cause. */
function findReport(error: unknown, depth = 0): { source: string; content: Record<string, unknown> } | undefined {
  const record = asRecord(error);
  if (record === undefined || depth > 5) {
    return undefined;
  }
  const report = asRecord(record.clusterReport);
  if (report !== undefined && typeof report.source === 'string' && asRecord(report.content) !== undefined) {
    return { source: report.source, content: report.content as Record<string, unknown> };
  }
  return record.cause !== error ? findReport(record.cause, depth + 1) : undefined;
}

const asComments = (lines: readonly string[]): string => lines.flatMap((l) => l.split(/\r?\n/)).map((l) => `# ${l}`).join('\n');

/** `prefix` says what was being done, e.g. `Attach to demo/web`. */
export function presentError(error: unknown, prefix?: string): ErrorPresentation {
  const record = asRecord(error);
  const text = error instanceof Error ? error.message || error.name : typeof error === 'string' ? error : String(error);
  const line = firstLine(text) || 'unknown error';
  const message = prefix !== undefined && !line.startsWith(prefix) ? `${prefix}: ${line}` : line;

  const status = findStatus(error);
  const detailLines = Array.isArray(record?.details) ? (record.details as unknown[]).filter((d): d is string => typeof d === 'string') : [];
  const code = record?.code;
  const reason = record?.reason;
  const fullText = text.includes('\n') ? text : undefined;
  const report = findReport(error);
  if (report !== undefined) {
    return { message, details: `${asComments([report.source])}\n${toYaml(report.content, { lineWidth: 0 })}`, detailsLanguage: 'yaml' };
  }
  const statusRecord = asRecord(status);
  if (statusRecord !== undefined) {
    // Lines we computed (e.g. Pod Security violations re-checked locally) follow as comments: not the server's.
    const http = typeof statusRecord.code === 'number' ? ` (HTTP ${statusRecord.code})` : '';
    const ours = detailLines.length > 0 ? `${asComments(['Found by the extension:', ...detailLines])}\n` : '';
    return { message, details: `# The API server's Status${http}\n${toYaml(statusRecord, { lineWidth: 0 })}${ours}`, detailsLanguage: 'yaml' };
  }
  if (detailLines.length === 0 && fullText === undefined && code === undefined) {
    return { message };
  }
  const details = {
    message: line,
    ...(error instanceof Error ? { error: error.name } : {}),
    ...(code !== undefined ? { code } : {}),
    ...(typeof reason === 'string' ? { reason } : {}),
    ...(fullText !== undefined ? { text: fullText.split(/\r?\n/) } : {}),
    ...(detailLines.length > 0 ? { details: detailLines } : {}),
  };
  return { message, details: JSON.stringify(details, undefined, 2), detailsLanguage: 'json' };
}

/** Cancellation by the user (AbortSignal, Cancel button, a declined confirmation): nothing to show. */
export function isCancellation(error: unknown): boolean {
  const record = asRecord(error);
  return record !== undefined && (record.name === 'AbortError' || record.code === 'ABORT_ERR' || (record.name === 'DebugFlowError' && record.code === 'cancelled'));
}

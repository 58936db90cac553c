/**
 * One-line messages and "Show Details" content for errors from any layer (ClusterError, DebugSpecError,
 * DebugFlowError, anything else). vscode-free.
 */

export interface ErrorPresentation {
  /** One line: what failed and what to do. */
  readonly message: string;
  /** JSON for "Show Details": the server's Status and other structured detail; undefined when there is none. */
  readonly details?: string;
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
  if (status === undefined && detailLines.length === 0 && fullText === undefined && code === undefined) {
    return { message };
  }
  const details = {
    message: line,
    ...(error instanceof Error ? { error: error.name } : {}),
    ...(code !== undefined ? { code } : {}),
    ...(typeof reason === 'string' ? { reason } : {}),
    ...(fullText !== undefined ? { text: fullText.split(/\r?\n/) } : {}),
    ...(detailLines.length > 0 ? { details: detailLines } : {}),
    ...(status !== undefined ? { status } : {}),
  };
  return { message, details: JSON.stringify(details, undefined, 2) };
}

/** Cancellation by the user (AbortSignal, Cancel button, a declined confirmation): nothing to show. */
export function isCancellation(error: unknown): boolean {
  const record = asRecord(error);
  return record !== undefined && (record.name === 'AbortError' || record.code === 'ABORT_ERR' || (record.name === 'DebugFlowError' && record.code === 'cancelled'));
}

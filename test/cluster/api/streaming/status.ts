/**
 * metav1.Status values as the streaming endpoints produce them, and the pre-upgrade HTTP error response.
 * Field order follows Go's struct order (metadata, status, message, reason, details, code) so the JSON
 * is byte-for-byte what a real cluster sends on the error channel.
 */
import * as http from 'node:http';
import type { Duplex } from 'node:stream';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface Status {
  kind?: 'Status';
  apiVersion?: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { name?: string; kind?: string; causes?: StatusCause[] };
  code?: number;
}

export function successStatus(): Status {
  return { metadata: {}, status: 'Success' };
}

/** What the kubelet writes when an exec'd command exits non-zero (cri/streaming/remotecommand/exec.go). */
export function nonZeroExitStatus(command: string[], exitCode: number): Status {
  return {
    metadata: {},
    status: 'Failure',
    // Go formats the command slice with %v: [sh -c exit 3].
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

/** apierrors.NewInternalError(err): note the cause carries the bare message, the message the prefix. */
export function internalErrorStatus(message: string): Status {
  return {
    metadata: {},
    status: 'Failure',
    message: `Internal error occurred: ${message}`,
    reason: 'InternalError',
    details: { causes: [{ message }] },
    code: 500,
  };
}

export function reasonForCode(code: number): string {
  switch (code) {
    case 400: return 'BadRequest';
    case 401: return 'Unauthorized';
    case 403: return 'Forbidden';
    case 404: return 'NotFound';
    case 409: return 'Conflict';
    case 422: return 'Invalid';
    case 429: return 'TooManyRequests';
    case 503: return 'ServiceUnavailable';
    default: return code >= 500 ? 'InternalError' : 'BadRequest';
  }
}

/** A Status as the API server returns it in an HTTP body (with kind/apiVersion, which clients decode). */
export function httpStatus(code: number, message: string, reason = reasonForCode(code)): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

/**
 * Answer an upgrade request with a plain HTTP error carrying a Status, then close the socket.
 * A Status body matters: client-go decodes it (kubectl prints "Error from server (Reason): message").
 */
export function rejectUpgrade(socket: Duplex, status: Status): void {
  if (socket.destroyed) return;
  const code = status.code ?? 500;
  const body = JSON.stringify(status);
  const head = [
    `HTTP/1.1 ${code} ${http.STATUS_CODES[code] ?? 'Error'}`,
    'Content-Type: application/json',
    'Cache-Control: no-cache, private',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  socket.on('error', () => socket.destroy());
  // Read (and drop) anything the client still sends, so its FIN is seen and the socket really closes.
  socket.resume();
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  // A client that never closes its side must not pin the socket forever.
  const timer = setTimeout(() => socket.destroy(), 5000);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

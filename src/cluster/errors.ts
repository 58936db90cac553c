/**
 * Turns whatever client-node, undici, ws or an exec credential plugin threw into a ClusterError with a
 * one-line message that says what failed, why, and what to do. The server's Status is kept for details.
 */
import type { V1Status } from '@kubernetes/client-node';
import { ClusterError } from './clusterApi';

/** What a call was doing, so a message can name it (`you cannot patch pods/ephemeralcontainers in …`). */
export interface CallDescription {
  verb: string;
  /** `pods`, `pods/ephemeralcontainers`, `namespaces`, … */
  resource: string;
  namespace?: string;
  name?: string;
  /** The API server URL, for network messages. */
  server: string;
  contextName: string;
  /** The exec credential plugin command of the context's user, if any. */
  execCommand?: string;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH',
  'ENETUNREACH', 'EPIPE', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT']);
const CERTIFICATE_CODE = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|ERR_SSL/;

export function toClusterError(error: unknown, call: CallDescription): ClusterError {
  if (error instanceof ClusterError) return error;
  const http = httpFailure(error);
  if (http) return fromStatus(http.code, http.status, call, error);
  const network = networkCode(error);
  if (network) {
    const why = CERTIFICATE_CODE.test(network)
      ? `the server certificate is not trusted (${network}); check certificate-authority in the kubeconfig`
      : network;
    return new ClusterError(`cannot reach the API server at ${call.server}: ${why}; check the context's server and your network`,
      0, network, undefined, error);
  }
  if (call.execCommand && isExecPluginFailure(error)) {
    const detail = firstLine(errorMessage(error)) || 'it exited with an error';
    return new ClusterError(`the exec credential plugin "${call.execCommand}" of context "${call.contextName}" failed: ${detail}; `
      + 'check that it is installed and on PATH, then log in again with it', 0, 'ExecPluginFailed', undefined, error);
  }
  return new ClusterError(`${describe(call)} failed: ${firstLine(errorMessage(error)) || 'unknown error'}`, 0, 'Unknown', undefined, error);
}

/** The ClusterError for an HTTP failure (also the Status of a watch ERROR event or of an exec channel 3). */
export function fromStatus(code: number, status: V1Status | undefined, call: CallDescription, cause?: unknown): ClusterError {
  const serverMessage = status?.message ? firstLine(status.message) : '';
  const reason = status?.reason ?? defaultReason(code);
  const where = call.namespace ? ` in namespace ${call.namespace}` : '';
  const make = (message: string) => new ClusterError(message, code, reason, status, cause);
  switch (true) {
    case code === 401:
      return make(`the API server at ${call.server} rejected the credentials of context "${call.contextName}" (401 Unauthorized): `
        + (call.execCommand ? `log in again with the exec plugin "${call.execCommand}"` : 'log in again or refresh the token in your kubeconfig'));
    case code === 403:
      return make(`forbidden: you cannot ${call.verb} ${call.resource}${where}: ask for RBAC ${call.verb} on ${call.resource}`
        + (serverMessage ? ` (${serverMessage})` : ''));
    case code === 404 && isSubresourceMissing(status, call):
      return make('ephemeral containers are disabled for this cluster (Kubernetes < 1.25 or the feature gate is off): '
        + 'use copy-to debugging instead');
    case code === 404:
      return make(serverMessage ? `${serverMessage}${where}` : `${call.resource}${call.name ? ` "${call.name}"` : ''} not found${where}`);
    case code === 409:
      return make(`conflict: ${serverMessage || `${call.resource} changed meanwhile`}; refresh and try again`);
    case code === 410:
      return make(`the resource version is too old (410 Gone)${serverMessage ? `: ${serverMessage}` : ''}; list again`);
    case code === 422:
      return make(`${call.resource}${call.name ? ` "${call.name}"` : ''} was rejected as invalid: ${invalidCauses(status) || serverMessage}`);
    case code === 429:
      return make(`the API server is throttling requests (429)${serverMessage ? `: ${serverMessage}` : ''}; try again shortly`);
    case code >= 500:
      return make(`the API server failed to ${call.verb} ${call.resource}${where} (${code} ${reason})`
        + `${serverMessage ? `: ${serverMessage}` : ''}; try again, and check the cluster's health if it persists`);
    default:
      return make(`${describe(call)} failed (${code} ${reason})${serverMessage ? `: ${serverMessage}` : ''}`);
  }
}

function describe(call: CallDescription): string {
  return `${call.verb} ${call.resource}${call.name ? ` "${call.name}"` : ''}${call.namespace ? ` in namespace ${call.namespace}` : ''}`;
}

/** A 404 with reason NotFound and no details.name: the subresource itself does not exist (kubectl's test). */
function isSubresourceMissing(status: V1Status | undefined, call: CallDescription): boolean {
  return call.resource === 'pods/ephemeralcontainers' && status?.reason === 'NotFound' && !status.details?.name;
}

function invalidCauses(status: V1Status | undefined): string {
  const causes = status?.details?.causes ?? [];
  return causes.map((c) => (c.field && !(c.message ?? '').startsWith(c.field) ? `${c.field}: ${c.message}` : c.message ?? '')).filter(Boolean).join('; ');
}

function defaultReason(code: number): string {
  const reasons: Record<number, string> = { 400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 409: 'Conflict',
    410: 'Gone', 422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout' };
  return reasons[code] ?? `HTTP${code}`;
}

/** client-node's ApiException (`code`, `body` = Status text or object) or Watch's `statusCode` error. */
function httpFailure(error: unknown): { code: number; status?: V1Status } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { code?: unknown; statusCode?: unknown; body?: unknown };
  const code = typeof e.code === 'number' ? e.code : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  if (code === undefined || code < 100) return undefined;
  return { code, status: parseStatus(e.body) };
}

export function parseStatus(body: unknown): V1Status | undefined {
  let value = body;
  if (Buffer.isBuffer(value)) value = value.toString('utf8');
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'Status') return value as V1Status;
  return undefined;
}

/** The errno-like code of a network failure, looking through fetch's `cause` chain and AggregateErrors. */
export function networkCode(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 4) return undefined;
  const e = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && (NETWORK_CODES.has(e.code) || CERTIFICATE_CODE.test(e.code))) return e.code;
  if (Array.isArray(e.errors)) for (const inner of e.errors) {
    const code = networkCode(inner, depth + 1);
    if (code) return code;
  }
  return networkCode(e.cause, depth + 1);
}

/** Spawn failures (ENOENT/EACCES from `spawn`) and the plain Errors ExecAuth makes from a plugin's stderr. */
function isExecPluginFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const syscall = (error as { syscall?: unknown }).syscall;
  if (typeof syscall === 'string' && syscall.startsWith('spawn')) return true;
  // ExecAuth rejects with `new Error(stderr)` or a JSON SyntaxError; neither carries an HTTP code.
  return (error as { code?: unknown }).code === undefined;
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'message' in error) return String((error as { message: unknown }).message);
  return String(error);
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.trim() ?? '';
}

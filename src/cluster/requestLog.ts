/**
 * One debug line per API call: `GET /api/v1/namespaces/demo/pods 200 12ms`. Only method, path (no query,
 * which could carry selectors users consider private), status and duration are logged: never headers
 * (tokens), bodies (env values) or TLS material.
 */
import {
  IsomorphicFetchHttpLibrary,
  wrapHttpLibrary,
  type HttpLibrary,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';
import type { Logger } from './clusterApi';
import { networkCode } from './errors';

export function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url.split('?')[0] ?? url;
  }
}

/** `200`, or the network code (`ECONNREFUSED`), or `error` when nothing better is known. */
export function outcomeOf(result: { status?: number; error?: unknown }): string {
  if (result.status !== undefined) return String(result.status);
  const code = networkCode(result.error);
  if (code) return code;
  const statusCode = (result.error as { code?: unknown; statusCode?: unknown } | undefined);
  const numeric = typeof statusCode?.code === 'number' ? statusCode.code : statusCode?.statusCode;
  return typeof numeric === 'number' ? String(numeric) : 'error';
}

export function logCall(logger: Logger | undefined, method: string, url: string, outcome: string, startedAt: number, suffix = ''): void {
  if (logger === undefined) return;
  shutdownSafeLogger(logger).debug(`${method} ${pathOf(url)} ${outcome} ${Math.round(performance.now() - startedAt)}ms${suffix}`);
}

/**
 * A logger that drops lines its target refuses: a watch, request or socket that ends while the window shuts
 * down finds VS Code's log channel closed ("Channel has been closed"); the line has nowhere to go, and the
 * call's own outcome must not turn into an error because of it.
 */
export function shutdownSafeLogger(logger: Logger): Logger {
  const safe = (write: (message: string) => void) => (message: string): void => {
    try {
      write(message);
    } catch {
      // closed
    }
  };
  return { debug: safe((m) => logger.debug(m)), info: safe((m) => logger.info(m)), warn: safe((m) => logger.warn(m)), error: safe((m) => logger.error(m)) };
}

/** client-node's own fetch library with a line logged per response or failure. */
export function loggingHttpLibrary(logger: Logger | undefined): HttpLibrary {
  const inner = new IsomorphicFetchHttpLibrary();
  return wrapHttpLibrary({
    async send(request: RequestContext): Promise<ResponseContext> {
      const startedAt = performance.now();
      try {
        const response = await inner.send(request).toPromise();
        logCall(logger, request.getHttpMethod(), request.getUrl(), String(response.httpStatusCode), startedAt);
        return response;
      } catch (error) {
        logCall(logger, request.getHttpMethod(), request.getUrl(), outcomeOf({ error }), startedAt);
        throw error;
      }
    },
  });
}

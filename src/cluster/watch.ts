/**
 * client-node's Watch as a WatchHandle: ERROR events (410 Gone among them) and HTTP failures reject `done`
 * with a ClusterError; client-node 2.0.1's 30-s idle abort (TimeoutError), server-side ends and dropped
 * connections resolve it, because for the caller they all mean "resume from the last resourceVersion".
 */
import { Watch, type KubeConfig, type V1Status } from '@kubernetes/client-node';
import type { Logger, WatchEventType, WatchHandle, WatchOptions } from './clusterApi';
import { fromStatus, toClusterError, type CallDescription } from './errors';
import { logCall, outcomeOf } from './requestLog';

export async function startWatch<T>(
  kubeConfig: KubeConfig,
  logger: Logger | undefined,
  path: string,
  options: WatchOptions,
  call: CallDescription,
  onEvent: (type: WatchEventType, object: T) => void,
): Promise<WatchHandle> {
  const query: Record<string, string | boolean> = {};
  if (options.labelSelector) query.labelSelector = options.labelSelector;
  if (options.fieldSelector) query.fieldSelector = options.fieldSelector;
  if (options.resourceVersion) query.resourceVersion = options.resourceVersion;
  if (options.allowWatchBookmarks) query.allowWatchBookmarks = true;

  const startedAt = performance.now();
  const server = kubeConfig.getCurrentCluster()?.server ?? '';
  let stopped = false;
  let connected = false;
  let events = 0;
  let settle!: (error?: unknown) => void;
  const done = new Promise<void>((resolve, reject) => {
    settle = (error?: unknown) => (error === undefined ? resolve() : reject(error));
  });
  done.catch(() => undefined); // the caller may not be listening yet; it still sees the rejection

  let controller: AbortController | undefined;
  let failure: unknown;
  let ended = false;
  const finish = (error: unknown) => {
    if (ended) return; // an ERROR event already settled and logged it
    // Once connected, any end (idle abort, server timeout, dropped connection) is a normal end to resume
    // from; if the server is really gone, the resume fails to connect and reports that.
    const normalEnd = stopped || error == null || isIdleTimeout(error) || connected;
    logCall(logger, 'GET', server + path, normalEnd ? '200' : outcomeOf({ error }), startedAt,
      ` (watch, ${events} events${stopped ? ', stopped' : ''})`);
    if (!normalEnd) failure = toClusterError(error, call);
    settle(failure);
  };

  try {
    controller = await new Watch(kubeConfig).watch(path, query, (type: string, object: unknown) => {
      if (stopped) return;
      if (type === 'ERROR') {
        const status = object as V1Status;
        stopped = true;
        ended = true;
        controller?.abort();
        logCall(logger, 'GET', server + path, String(status.code ?? 'error'), startedAt, ` (watch ERROR event, ${events} events)`);
        settle(fromStatus(status.code ?? 500, status, call));
        return;
      }
      events += 1;
      onEvent(type as WatchEventType, object as T);
    }, (error: unknown) => finish(error));
  } catch (error) {
    // applySecurityAuthentication (exec plugin, token file) failed before any request.
    finish(error);
  }
  connected = true;

  // client-node calls `done` before `watch()` returns when the request itself failed: report that by
  // rejecting here rather than returning a handle that is already dead.
  if (failure !== undefined) throw failure;

  return {
    stop: () => {
      if (stopped) return;
      stopped = true;
      controller?.abort();
      settle();
    },
    done,
  };
}

function isIdleTimeout(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'TimeoutError';
}

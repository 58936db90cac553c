/**
 * Watch streams: newline-delimited JSON events, resume from a resourceVersion within the store's window,
 * 410 Expired as an ERROR event when it is older, selector transitions as ADDED/DELETED (as the watch cache
 * does), periodic BOOKMARKs on request, and timeoutSeconds.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { status } from './status';
import type { ClusterStore, Obj, Resource, StoreEvent } from './store';

export interface WatchRequest {
  resource: Resource;
  kind: string;
  /** Namespace and selector filtering. */
  matches: (obj: Obj) => boolean;
  resourceVersion: string | null;
  allowWatchBookmarks: boolean;
  sendInitialEvents: boolean | undefined;
  timeoutSeconds: number | undefined;
  bookmarkIntervalMs: number;
}

export function serveWatch(req: IncomingMessage, res: ServerResponse, store: ClusterStore, w: WatchRequest,
  active: Set<() => void>, onEnd: () => void): void {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  const send = (type: string, object: unknown) => {
    if (!res.writableEnded) res.write(`${JSON.stringify({ type, object })}\n`);
  };
  const bookmark = (annotations?: Record<string, string>) => send('BOOKMARK', {
    kind: w.kind, apiVersion: 'v1', metadata: { resourceVersion: String(store.currentRv()), ...(annotations ? { annotations } : {}) },
  });

  let unsubscribe = () => {};
  const timers: NodeJS.Timeout[] = [];
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    unsubscribe();
    timers.forEach((t) => clearTimeout(t));
    active.delete(close);
    if (!res.writableEnded) res.end();
    onEnd();
  };
  active.add(close);
  req.on('close', close);
  res.on('close', close);

  const deliver = (e: StoreEvent) => {
    if (e.resource !== w.resource) return;
    const now = w.matches(e.object);
    const before = e.prev !== undefined && e.type === 'MODIFIED' ? w.matches(e.prev) : now;
    if (e.type === 'MODIFIED' && now !== before) send(now ? 'ADDED' : 'DELETED', e.object);
    else if (now) send(e.type, e.object);
  };

  const rv = w.resourceVersion;
  const fromState = !rv || rv === '0';
  if (fromState) {
    // No resourceVersion (or "0"): synthetic ADDED events for the current state, then changes.
    for (const obj of store.snapshot(w.resource)!) if (w.matches(obj)) send('ADDED', obj);
    if (w.sendInitialEvents && w.allowWatchBookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
  } else {
    const n = Number(rv);
    const events = Number.isInteger(n) && n >= 0 ? store.eventsSince(n, w.resource) : undefined;
    if (!Number.isInteger(n) || n < 0) {
      send('ERROR', status(400, 'BadRequest', `invalid resource version: ${rv}`));
      close();
      return;
    }
    if (!events) {
      send('ERROR', status(410, 'Expired', `too old resource version: ${rv} (${store.currentRv()})`));
      close();
      return;
    }
    events.forEach(deliver);
  }
  unsubscribe = store.subscribe(deliver);

  if (w.allowWatchBookmarks) {
    const tick = () => {
      bookmark();
      timers[0] = setTimeout(tick, w.bookmarkIntervalMs);
    };
    timers[0] = setTimeout(tick, w.bookmarkIntervalMs);
  }
  if (w.timeoutSeconds !== undefined && w.timeoutSeconds > 0) timers[1] = setTimeout(close, w.timeoutSeconds * 1000);
}

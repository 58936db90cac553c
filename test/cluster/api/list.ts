/** List and watch shared by pods and namespaces: selectors, limit/continue, resourceVersion semantics. */
import { boolParam, intParam, type RequestContext, sendJson } from './context';
import { parseFieldSelector, parseLabelSelector } from './selectors';
import { badRequest, gone } from './status';
import { clone, type Obj, type Resource } from './store';
import { toTable, wantsTable } from './table';
import { serveWatch } from './watch';

export interface ListSpec {
  resource: Resource;
  kind: string;
  /** Of the list (default v1). */
  apiVersion?: string;
  namespace?: string;
  fields: Record<string, (o: Obj) => string>;
}

interface ContinueToken { v: string; rv: number; start: string }

function decodeContinue(token: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as ContinueToken;
    if (t.v === 'meta.k8s.io/v1' && Number.isInteger(t.rv) && typeof t.start === 'string') return t;
  } catch { /* fall through to the error */ }
  throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}

function matcher(ctx: RequestContext, spec: ListSpec): (o: Obj) => boolean {
  const labels = parseLabelSelector(ctx.url.searchParams.get('labelSelector'));
  const fields = parseFieldSelector(ctx.url.searchParams.get('fieldSelector'), spec.fields);
  return (o) => (!spec.namespace || o.metadata?.namespace === spec.namespace) && labels(o.metadata?.labels ?? {}) && fields(o);
}

export function serveList(ctx: RequestContext, spec: ListSpec): void {
  const { url, store } = ctx;
  const matches = matcher(ctx, spec);
  if (boolParam(url, 'watch')) {
    const sendInitial = url.searchParams.get('sendInitialEvents');
    const open = { resource: spec.resource, namespace: spec.namespace, user: ctx.user.username };
    ctx.watches.add(open);
    serveWatch(ctx.req, ctx.res, store, {
      resource: spec.resource, kind: spec.kind, matches,
      resourceVersion: url.searchParams.get('resourceVersion'),
      allowWatchBookmarks: boolParam(url, 'allowWatchBookmarks'),
      sendInitialEvents: sendInitial === null ? undefined : sendInitial === 'true',
      timeoutSeconds: intParam(url, 'timeoutSeconds'),
      bookmarkIntervalMs: ctx.settings.bookmarkIntervalMs,
    }, ctx.streams, () => ctx.watches.delete(open));
    return;
  }
  const limit = intParam(url, 'limit') ?? 0;
  const cont = url.searchParams.get('continue');
  const rvParam = url.searchParams.get('resourceVersion');
  let rv = store.currentRv();
  let start = '';
  if (cont) {
    const t = decodeContinue(cont);
    rv = t.rv;
    start = t.start;
  } else if (rvParam && rvParam !== '0' && url.searchParams.get('resourceVersionMatch') === 'Exact') {
    rv = Number(rvParam);
    if (!Number.isInteger(rv)) throw badRequest(`invalid resource version: ${rvParam}`);
  }
  // Only the namespace's keys after the continue token are read, as etcd's range read; only the page is copied.
  const prefix = spec.namespace ? `${spec.namespace}/` : '';
  const candidates = store.snapshotEntries(spec.resource, rv, (key) => key > start && key.startsWith(prefix));
  if (!candidates) {
    throw gone(cont
      ? 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.'
      : `too old resource version: ${rv} (${store.currentRv()})`);
  }
  const items: Obj[] = [];
  let next: string | undefined;
  let remaining = 0;
  for (const [key, o] of candidates) {
    if (!matches(o)) continue;
    if (limit > 0 && items.length >= limit) {
      remaining++;
      continue;
    }
    items.push(clone(o));
    if (limit > 0 && items.length === limit) next = key;
  }
  const metadata: Obj = { resourceVersion: String(rv) };
  if (next !== undefined && remaining > 0) {
    metadata.continue = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: next })).toString('base64');
    const selecting = url.searchParams.get('labelSelector') || url.searchParams.get('fieldSelector');
    if (!selecting) metadata.remainingItemCount = remaining;
  }
  if (wantsTable(ctx.req.headers.accept)) {
    const table = toTable(spec.kind, items, String(rv), url.searchParams.get('includeObject'));
    sendJson(ctx.res, 200, { ...table, metadata: { ...table.metadata, ...metadata } });
    return;
  }
  // Items in a list carry no kind/apiVersion, as from the real server.
  for (const o of items) { delete o.kind; delete o.apiVersion; }
  sendJson(ctx.res, 200, { kind: `${spec.kind}List`, apiVersion: spec.apiVersion ?? 'v1', metadata, items });
}

/** A single object, or its one-row Table for kubectl. */
export function sendObject(ctx: RequestContext, kind: 'Pod' | 'Namespace' | 'Node', obj: Obj, code = 200): void {
  if (wantsTable(ctx.req.headers.accept)) {
    sendJson(ctx.res, code, toTable(kind, [obj], obj.metadata.resourceVersion, ctx.url.searchParams.get('includeObject')));
  } else sendJson(ctx.res, code, obj);
}

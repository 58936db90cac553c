/**
 * The loopback API server: HTTPS on 127.0.0.1 with its own CA, bearer-token users, RBAC, and the core/v1
 * pods and namespaces API that @kubernetes/client-node and kubectl use. This file does lifecycle and routing.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { V1Namespace, V1Pod } from '@kubernetes/client-node';
import { NODE_NAME, type KubeletApi, type PodStore } from '../contracts';
import { TokenAuthenticator, type UserName } from './auth';
import { boolParam, type OpenWatch, readBody, readObject, type RequestContext, sendJson, type ServerSettings } from './context';
import { coreResources, coreVersions, EVENTS_GROUP, eventsGroupDoc, eventsGroupResources, GROUP_NAMES, type GroupName, groupDoc, groupList, groupResources, VERSION } from './discovery';
import { EventLog } from './events';
import { buildKubeconfig, writeFileAtomic } from './kubeconfig';
import { sendObject, serveList } from './list';
import * as pods from './pods';
import { authorizeNonResource, authorizeResource, forbiddenMessage, forbiddenPathMessage, type ResourceAttributes } from './rbac';
import { reviewHandler } from './reviews';
import { NAMESPACE_FIELDS, POD_FIELDS, WORKLOAD_FIELDS } from './selectors';
import { NODE_FIELDS } from './nodes';
import { ApiError, forbidden, methodNotAllowed, noSuchResource, notFound, status, unauthorized } from './status';
import { ClusterStore, type Obj } from './store';
import { generateServerTls } from './tls';
import { applyPatch } from './patch';
import { handleUpgrade } from './upgrade';
import { validateNamespaceCreate } from './validation';
import { WorkloadControllers } from './controllers';
import { createWorkload, deleteWorkload, getWorkload, replaceWorkload, workloadType } from './workloads';

export interface ApiServerOptions {
  kubelet?: KubeletApi;
  /** false: the pods/ephemeralcontainers subresource answers 404, as on clusters without the feature. */
  ephemeralContainersEnabled?: boolean;
  /** How many events are kept for watch resume and paginated lists; older resourceVersions get 410 Gone. */
  watchWindow?: number;
  /** Interval between BOOKMARK events on watches that allow them (default 5000 ms). */
  bookmarkIntervalMs?: number;
  log?: (line: string) => void;
  /** Called with the RBAC attributes of every authenticated resource request (an audit hook for tests). */
  onAuthorized?: (record: AuthorizationRecord) => void;
}

export interface AuthorizationRecord {
  readonly user: string;
  readonly attributes: ResourceAttributes;
  readonly allowed: boolean;
}

/** PATCH of a namespace: its labels and annotations (Pod Security levels among them); nothing else changes here. */
async function patchNamespace(ctx: RequestContext, name: string): Promise<void> {
  const body = await readBody(ctx.req);
  const old = ctx.store.getNamespace(name);
  if (!old) throw notFound('namespaces', name);
  const patched = applyPatch(ctx.req.headers['content-type'], old as Obj, body) as V1Namespace;
  const { labels, annotations } = patched.metadata ?? {};
  const fixed = (n: V1Namespace) => JSON.stringify({ ...n, metadata: { ...n.metadata, labels: undefined, annotations: undefined } });
  if (fixed(patched) !== fixed(old)) {
    throw new ApiError(status(422, 'Invalid', `Namespace "${name}" is invalid: the loopback cluster changes only metadata.labels and metadata.annotations of a namespace`));
  }
  for (const [key, value] of Object.entries({ ...labels, ...annotations })) {
    if (typeof value !== 'string') throw new ApiError(status(422, 'Invalid', `Namespace "${name}" is invalid: metadata: the value of ${key} must be a string`));
  }
  sendJson(ctx.res, 200, ctx.store.updateNamespaceMetadata(name, labels, annotations));
}

/** The admin view of the store: PodStore for the kubelet plus seeding helpers. */
export type AdminStore = PodStore & Pick<ClusterStore,
  'createNamespace' | 'getNamespace' | 'listNamespaces' | 'deleteNamespace' | 'updateNamespaceMetadata' | 'createPod' | 'deletePod' | 'replacePod'
  | 'currentRv' | 'compact' | 'getNode' | 'setNodeReady'>;

/** Public paths any caller may read without credentials (system:public-info-viewer). */
const PUBLIC = new Set(['/version', '/version/', '/healthz', '/readyz', '/livez']);

/** A routed request: the RBAC attributes to check (absent for non-resource paths) and what to do. */
interface Route {
  attrs?: ResourceAttributes;
  run(ctx: RequestContext): void | Promise<void>;
}

export class ApiServer {
  readonly store: AdminStore;
  private readonly clusterStore: ClusterStore;
  private readonly auth = new TokenAuthenticator();
  private readonly settings: ServerSettings;
  private readonly log: (line: string) => void;
  private readonly onAuthorized?: (record: AuthorizationRecord) => void;
  private server?: Server;
  private controllers?: WorkloadControllers;
  private caCert = '';
  private url = '';
  private readonly sockets = new Set<Socket>();
  private readonly streams = new Set<() => void>();
  private readonly watches = new Set<OpenWatch>();
  /** Events clients created (events.k8s.io/v1), listed through both API groups. */
  readonly events: EventLog;

  constructor(options: ApiServerOptions = {}) {
    this.clusterStore = new ClusterStore(options.watchWindow ?? 1000);
    this.clusterStore.gracefulDeletion = !!options.kubelet;
    this.store = this.clusterStore;
    this.events = new EventLog(() => this.clusterStore.currentRv());
    this.settings = {
      kubelet: options.kubelet,
      ephemeralContainersEnabled: options.ephemeralContainersEnabled ?? true,
      bookmarkIntervalMs: options.bookmarkIntervalMs ?? 5000,
    };
    this.log = options.log ?? (() => {});
    this.onAuthorized = options.onAuthorized;
  }

  /**
   * Wires the kubelet in after construction (it needs `store` first). From then on pod deletion is
   * graceful (the kubelet calls removePod) and logs/exec/attach/port-forward reach it.
   */
  attachKubelet(kubelet: KubeletApi): void {
    this.settings.kubelet = kubelet;
    this.clusterStore.gracefulDeletion = true;
    this.clusterStore.setNodeReady(NODE_NAME, true);
  }

  /** The list+watch requests open now: what a test asserts a client ended (or never opened). */
  openWatches(): OpenWatch[] {
    return [...this.watches];
  }

  /** The bearer token of each user (for tests that build their own clients). */
  get tokens(): Readonly<Record<UserName, string>> {
    return this.auth.tokens;
  }

  async start(port = 0): Promise<{ url: string; port: number }> {
    if (this.server) throw new Error('already started');
    this.controllers = new WorkloadControllers(this.clusterStore, this.log);
    const tls = await generateServerTls();
    this.caCert = tls.caCert;
    const server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => void this.handle(req, res));
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      const started = Date.now();
      handleUpgrade(req, socket, head, {
        auth: this.auth, store: this.clusterStore, kubelet: this.settings.kubelet,
        onAuthorized: (user, attributes, allowed) => this.onAuthorized?.({ user, attributes, allowed }),
        log: (code) => this.log(`${req.method} ${pathOnly(req.url)} ${code} ${Date.now() - started}ms (upgrade)`),
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    const actual = (server.address() as { port: number }).port;
    this.url = `https://127.0.0.1:${actual}`;
    return { url: this.url, port: actual };
  }

  kubeconfigYaml(): string {
    if (!this.url) throw new Error('start() the server first');
    return buildKubeconfig(this.url, this.caCert, this.auth.tokens);
  }

  async writeKubeconfig(path: string): Promise<void> {
    await writeFileAtomic(path, this.kubeconfigYaml());
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.controllers?.stop();
    this.controllers = undefined;
    for (const close of [...this.streams]) close();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    server.closeAllConnections();
    await closed;
  }

  // ---- request pipeline ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    res.on('finish', () => this.log(`${req.method} ${pathOnly(req.url)} ${res.statusCode} ${Date.now() - started}ms`));
    try {
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      const user = this.auth.authenticate(req);
      if (user === null || (user === undefined && !PUBLIC.has(url.pathname))) throw unauthorized();
      const route = this.route(req.method ?? 'GET', url);
      if (user) {
        if (route.attrs) {
          const allowed = authorizeResource(user, route.attrs).allowed;
          this.onAuthorized?.({ user: user.username, attributes: route.attrs, allowed });
          if (!allowed) {
            throw forbidden(forbiddenMessage(user, route.attrs), {
              ...(route.attrs.name ? { name: route.attrs.name } : {}), ...(route.attrs.group ? { group: route.attrs.group } : {}),
              kind: route.attrs.resource,
            });
          }
        } else {
          const verb = (req.method ?? 'GET').toLowerCase();
          if (!authorizeNonResource(user, { verb, path: url.pathname }).allowed) {
            throw forbidden(forbiddenPathMessage(user, { verb, path: url.pathname }));
          }
        }
      }
      const ctx: RequestContext = {
        req, res, url, user: user ?? { username: 'system:anonymous', uid: '', groups: ['system:unauthenticated'] },
        store: this.clusterStore, settings: this.settings, streams: this.streams, watches: this.watches,
      };
      await route.run(ctx);
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(status(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`));
      if (!(e instanceof ApiError)) this.log(`internal error: ${(e as Error).stack ?? String(e)}`);
      if (res.headersSent) res.destroy();
      else sendJson(res, err.code, err.status, err.headers);
    }
  }

  private route(method: string, url: URL): Route {
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const ok = (body: unknown): Route => ({ run: (ctx) => sendJson(ctx.res, 200, body) });
    const text = (body: string): Route => ({ run: (ctx) => { ctx.res.writeHead(200, { 'Content-Type': 'text/plain' }); ctx.res.end(body); } });
    const readOnly = (r: Route): Route => (method === 'GET' ? r : { run: () => { throw methodNotAllowed('GET'); } });

    const path = url.pathname.replace(/\/$/, '') || '/';
    if (path === '/version') return readOnly(ok(VERSION));
    if (path === '/healthz' || path === '/readyz' || path === '/livez') return readOnly(text('ok'));
    if (path === '/api') return readOnly(ok(coreVersions()));
    if (path === '/api/v1') return readOnly(ok(coreResources(this.settings.ephemeralContainersEnabled)));
    if (path === '/apis') return readOnly(ok(groupList()));
    if (parts[0] === 'apis' && parts[1] === EVENTS_GROUP) return this.eventsRoute(method, url, parts.slice(2));
    if (parts[0] === 'apis' && GROUP_NAMES.includes(parts[1] as GroupName)) {
      const group = parts[1] as GroupName;
      if (parts.length === 2) return readOnly(ok(groupDoc(group)));
      if (parts[2] !== 'v1') return { run: () => { throw noSuchResource(); } };
      if (parts.length === 3) return readOnly(ok(groupResources(group)));
      if (group === 'apps' || group === 'batch') return this.workloadRoute(method, url, group, parts.slice(3));
      if (parts.length === 4) {
        const handler = reviewHandler(group, parts[3]);
        if (method !== 'POST') return { run: () => { throw methodNotAllowed('POST'); } };
        return { attrs: { verb: 'create', group, resource: parts[3] }, run: handler };
      }
    }
    if (parts[0] === 'api' && parts[1] === 'v1') return this.coreRoute(method, url, parts.slice(2));
    return { run: () => { throw noSuchResource(); } };
  }

  /** /apis/events.k8s.io/v1/...: create and list Events (kubectl and the core/v1 list see the same objects). */
  private eventsRoute(method: string, url: URL, p: string[]): Route {
    const attrs = (verb: string, namespace?: string): ResourceAttributes => ({ verb, group: EVENTS_GROUP, resource: 'events', namespace });
    if (p.length === 0) return method === 'GET' ? { run: (ctx) => sendJson(ctx.res, 200, eventsGroupDoc()) } : { run: () => { throw methodNotAllowed('GET'); } };
    if (p[0] !== 'v1') return { run: () => { throw noSuchResource(); } };
    if (p.length === 1) return method === 'GET' ? { run: (ctx) => sendJson(ctx.res, 200, eventsGroupResources()) } : { run: () => { throw methodNotAllowed('GET'); } };
    const fieldSelector = url.searchParams.get('fieldSelector');
    if (p.length === 2 && p[1] === 'events' && method === 'GET') {
      return { attrs: attrs('list'), run: (ctx) => sendJson(ctx.res, 200, this.events.list(undefined, fieldSelector, ctx.store.currentRv())) };
    }
    if (p.length !== 4 || p[1] !== 'namespaces' || p[3] !== 'events') return { run: () => { throw noSuchResource(); } };
    const ns = p[2];
    if (method === 'GET') return { attrs: attrs('list', ns), run: (ctx) => sendJson(ctx.res, 200, this.events.list(ns, fieldSelector, ctx.store.currentRv())) };
    if (method === 'POST') {
      return {
        attrs: attrs('create', ns),
        run: async (ctx) => {
          if (!ctx.store.getNamespace(ns)) throw notFound('namespaces', ns);
          sendJson(ctx.res, 201, this.events.create(ns, await readObject(ctx.req)));
        },
      };
    }
    return { run: () => { throw methodNotAllowed('GET, POST'); } };
  }

  /** /apis/{apps,batch}/v1/...: list and watch (cluster-wide or in a namespace), create, get, delete, replace (apps). */
  private workloadRoute(method: string, url: URL, group: 'apps' | 'batch', p: string[]): Route {
    const nf = (): Route => ({ run: () => { throw noSuchResource(); } });
    const notAllowed = (allow: string): Route => ({ run: () => { throw methodNotAllowed(allow); } });
    const listVerb = boolParam(url, 'watch') ? 'watch' : 'list';
    const namespaced = p[0] === 'namespaces' && p.length >= 3;
    const type = workloadType(group, namespaced ? p[2] : p[0]);
    if (!type || (!namespaced && p.length !== 1) || p.length > 4) return nf();
    const attrs = (verb: string, namespace?: string, name?: string): ResourceAttributes => ({ verb, group, resource: type.resource, namespace, name });
    const list = (namespace?: string) => (ctx: RequestContext) =>
      serveList(ctx, { resource: type.resource, kind: type.kind, apiVersion: `${group}/v1`, namespace, fields: WORKLOAD_FIELDS });
    if (!namespaced) return method === 'GET' ? { attrs: attrs(listVerb), run: list() } : notAllowed('GET');
    const ns = p[1];
    if (p.length === 3) {
      if (method === 'GET') return { attrs: attrs(listVerb, ns), run: list(ns) };
      if (method === 'POST') return { attrs: attrs('create', ns), run: (ctx) => createWorkload(ctx, type, ns) };
      return notAllowed('GET, POST');
    }
    const name = p[3];
    if (method === 'GET' && boolParam(url, 'watch')) {
      url.searchParams.set('fieldSelector', `metadata.name=${name}`);
      return { attrs: attrs('watch', ns, name), run: list(ns) };
    }
    if (method === 'GET') return { attrs: attrs('get', ns, name), run: (ctx) => getWorkload(ctx, type, ns, name) };
    if (method === 'DELETE') return { attrs: attrs('delete', ns, name), run: (ctx) => deleteWorkload(ctx, type, ns, name) };
    // A Job's template and selector are immutable: no PUT for it here.
    if (method === 'PUT' && group === 'apps') return { attrs: attrs('update', ns, name), run: (ctx) => replaceWorkload(ctx, type, ns, name) };
    return notAllowed(group === 'apps' ? 'GET, DELETE, PUT' : 'GET, DELETE');
  }

  /** /api/v1/... : namespaces, pods (and subresources), events; `watch/` prefixed legacy paths too. */
  private coreRoute(method: string, url: URL, p: string[]): Route {
    let watchPath = false;
    if (p[0] === 'watch') {
      watchPath = true;
      p = p.slice(1);
      url.searchParams.set('watch', 'true');
    }
    const nf = (): Route => ({ run: () => { throw noSuchResource(); } });
    const isWatch = watchPath || boolParam(url, 'watch');
    const listVerb = isWatch ? 'watch' : 'list';
    const attrs = (verb: string, resource: string, namespace?: string, name?: string, subresource?: string): ResourceAttributes =>
      ({ verb, group: '', resource, namespace, name, subresource });
    const notAllowed = (allow: string): Route => ({ run: () => { throw methodNotAllowed(allow); } });

    // Cluster-wide lists.
    if (p.length === 1 && p[0] === 'pods') {
      if (method !== 'GET') return notAllowed('GET');
      return { attrs: attrs(listVerb, 'pods'), run: (ctx) => serveList(ctx, { resource: 'pods', kind: 'Pod', fields: POD_FIELDS }) };
    }
    if (p.length === 1 && p[0] === 'events') {
      if (method !== 'GET') return notAllowed('GET');
      return { attrs: attrs(listVerb, 'events'), run: (ctx) => sendJson(ctx.res, 200, this.events.listCore(undefined, url.searchParams.get('fieldSelector'), ctx.store.currentRv())) };
    }
    // Nodes (cluster-scoped, read-only here): the one loopback node.
    if (p[0] === 'nodes' && p.length <= 2) {
      if (method !== 'GET') return notAllowed('GET');
      if (p.length === 1) return { attrs: attrs(listVerb, 'nodes'), run: (ctx) => serveList(ctx, { resource: 'nodes', kind: 'Node', fields: NODE_FIELDS }) };
      const node = p[1];
      if (isWatch) {
        url.searchParams.set('fieldSelector', `metadata.name=${node}`);
        return { attrs: attrs('watch', 'nodes', undefined, node), run: (ctx) => serveList(ctx, { resource: 'nodes', kind: 'Node', fields: NODE_FIELDS }) };
      }
      return {
        attrs: attrs('get', 'nodes', undefined, node),
        run: (ctx) => {
          const obj = ctx.store.getNode(node);
          if (!obj) throw notFound('nodes', node);
          sendObject(ctx, 'Node', obj as Obj);
        },
      };
    }
    if (p[0] !== 'namespaces') return nf();
    if (p.length === 1) {
      if (method === 'GET') return { attrs: attrs(listVerb, 'namespaces'), run: (ctx) => serveList(ctx, { resource: 'namespaces', kind: 'Namespace', fields: NAMESPACE_FIELDS }) };
      if (method === 'POST') {
        return {
          attrs: attrs('create', 'namespaces'),
          run: async (ctx) => {
            const body = await readObject(ctx.req);
            validateNamespaceCreate(body);
            sendJson(ctx.res, 201, ctx.store.createNamespace(body as V1Namespace));
          },
        };
      }
      return notAllowed('GET, POST');
    }
    const ns = p[1];
    if (p.length === 2) {
      if (method === 'GET') {
        if (isWatch) {
          url.searchParams.set('fieldSelector', `metadata.name=${ns}`);
          return { attrs: attrs('watch', 'namespaces', undefined, ns), run: (ctx) => serveList(ctx, { resource: 'namespaces', kind: 'Namespace', fields: NAMESPACE_FIELDS }) };
        }
        return {
          attrs: attrs('get', 'namespaces', undefined, ns),
          run: (ctx) => {
            const obj = ctx.store.getNamespace(ns);
            if (!obj) throw notFound('namespaces', ns);
            sendObject(ctx, 'Namespace', obj as Obj);
          },
        };
      }
      if (method === 'DELETE') return { attrs: attrs('delete', 'namespaces', undefined, ns), run: (ctx) => sendJson(ctx.res, 200, ctx.store.deleteNamespace(ns)) };
      if (method === 'PATCH') return { attrs: attrs('patch', 'namespaces', undefined, ns), run: (ctx) => patchNamespace(ctx, ns) };
      return notAllowed('GET, DELETE, PATCH');
    }
    const resource = p[2];
    const name = p[3];
    const ensureNs = (ctx: RequestContext) => {
      if (!ctx.store.getNamespace(ns)) throw notFound('namespaces', ns);
    };
    if (resource === 'events') {
      if (p.length === 3 && method === 'GET') return { attrs: attrs(listVerb, 'events', ns), run: (ctx) => sendJson(ctx.res, 200, this.events.listCore(ns, url.searchParams.get('fieldSelector'), ctx.store.currentRv())) };
      if (p.length === 4 && method === 'GET') return { attrs: attrs('get', 'events', ns, name), run: () => { throw notFound('events', name); } };
      return p.length <= 4 ? notAllowed('GET') : nf();
    }
    if (resource !== 'pods') return nf();
    if (p.length === 3) {
      if (method === 'GET') return { attrs: attrs(listVerb, 'pods', ns), run: (ctx) => serveList(ctx, { resource: 'pods', kind: 'Pod', namespace: ns, fields: POD_FIELDS }) };
      if (method === 'POST') return { attrs: attrs('create', 'pods', ns), run: (ctx) => pods.createPod(ctx, ns) };
      return notAllowed('GET, POST');
    }
    if (p.length === 4) {
      if (method === 'GET' && isWatch) {
        url.searchParams.set('fieldSelector', `metadata.name=${name}`);
        return { attrs: attrs('watch', 'pods', ns, name), run: (ctx) => serveList(ctx, { resource: 'pods', kind: 'Pod', namespace: ns, fields: POD_FIELDS }) };
      }
      if (method === 'GET') return { attrs: attrs('get', 'pods', ns, name), run: (ctx) => pods.getPod(ctx, ns, name) };
      if (method === 'DELETE') return { attrs: attrs('delete', 'pods', ns, name), run: (ctx) => { ensureNs(ctx); return pods.deletePod(ctx, ns, name); } };
      if (method === 'PATCH') return { attrs: attrs('patch', 'pods', ns, name), run: (ctx) => pods.patchPodMetadata(ctx, ns, name) };
      return notAllowed('GET, DELETE, PATCH');
    }
    if (p.length !== 5) return nf();
    const sub = p[4];
    if (sub === 'ephemeralcontainers') {
      // Disabled: the subresource is absent, so every method (and RBAC) is moot: 404 like an unknown path.
      if (!this.settings.ephemeralContainersEnabled) return nf();
      if (method === 'GET') return { attrs: attrs('get', 'pods', ns, name, sub), run: (ctx) => pods.getEphemeral(ctx, ns, name) };
      if (method === 'PATCH') return { attrs: attrs('patch', 'pods', ns, name, sub), run: (ctx) => pods.patchEphemeral(ctx, ns, name) };
      if (method === 'PUT') return { attrs: attrs('update', 'pods', ns, name, sub), run: (ctx) => pods.putEphemeral(ctx, ns, name) };
      return notAllowed('GET, PATCH, PUT');
    }
    if (sub === 'log') {
      if (method !== 'GET') return notAllowed('GET');
      return { attrs: attrs('get', 'pods', ns, name, 'log'), run: (ctx) => pods.podLogs(ctx, ns, name) };
    }
    if (sub === 'exec' || sub === 'attach' || sub === 'portforward') {
      // Without an Upgrade header there is no stream to serve: the real server answers 400 too.
      return {
        attrs: attrs(method === 'GET' ? 'get' : 'create', 'pods', ns, name, sub),
        run: () => { throw new ApiError(status(400, 'BadRequest', 'Upgrade request required')); },
      };
    }
    return nf();
  }
}

/** Logged paths never include the query (it may carry anything a client chose to put there). */
function pathOnly(url: string | undefined): string {
  return (url ?? '/').split('?')[0];
}

export type { V1Pod };

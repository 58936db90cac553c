/**
 * WebSocket (and SPDY) upgrades for exec/attach/portforward: authentication, authorization and the pod lookup
 * happen here; the protocol itself is streaming.ts's handleStreamUpgrade. Authorization is a 1.35+ API server's:
 * the HTTP method's verb (a WebSocket GET → `get`, a SPDY POST → `create`) in the authorization filter, then
 * `create` as well (KEP-4006, AuthorizePodWebsocketUpgradeCreatePermission), so a Role needs both.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { KubeletApi } from '../contracts';
import type { TokenAuthenticator } from './auth';
import { authorizeResource, forbiddenMessage, type ResourceAttributes } from './rbac';
import { ApiError, badRequest, forbidden, noSuchResource, notFound, status, type Status, unauthorized } from './status';
import type { ClusterStore } from './store';
import { handleStreamUpgrade, type StreamSubresource } from './streaming';

function reject(socket: Duplex, s: Status): void {
  const text = JSON.stringify(s);
  const reason = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 501: 'Not Implemented' }[s.code] ?? 'Error';
  socket.end(`HTTP/1.1 ${s.code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
}

const PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach|portforward)$/;

export function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, deps: {
  auth: TokenAuthenticator; store: ClusterStore; kubelet?: KubeletApi; log: (code: number) => void;
  onAuthorized?: (user: string, attributes: ResourceAttributes, allowed: boolean) => void;
}): void {
  socket.on('error', () => socket.destroy());
  try {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const m = PATH.exec(url.pathname);
    if (!m) throw noSuchResource();
    const [namespace, name, sub] = [decodeURIComponent(m[1]), decodeURIComponent(m[2]), m[3] as StreamSubresource];
    const user = deps.auth.authenticate(req);
    if (!user) throw unauthorized();
    for (const verb of new Set([req.method === 'POST' ? 'create' : 'get', 'create'])) {
      const attrs = { verb, group: '', resource: 'pods', subresource: sub, namespace, name };
      const allowed = authorizeResource(user, attrs).allowed;
      deps.onAuthorized?.(user.username, attrs, allowed);
      if (!allowed) throw forbidden(forbiddenMessage(user, attrs), { name, kind: 'pods' });
    }
    const pod = deps.store.getPod(namespace, name);
    if (!pod) throw notFound('pods', name);
    // No kubelet, no containers: nothing runs that could be streamed.
    if (!deps.kubelet) throw badRequest(`pod ${name} is not running: no kubelet is attached to this cluster`);
    deps.log(101);
    handleStreamUpgrade(req, socket, head, { namespace, pod, subresource: sub, query: url.searchParams }, deps.kubelet);
  } catch (e) {
    const s = e instanceof ApiError ? e.status : status(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`);
    deps.log(s.code);
    if (!socket.destroyed) reject(socket, s);
  }
}

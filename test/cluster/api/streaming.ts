/**
 * Server side of exec, attach and port-forward over WebSocket, for the loopback API server.
 *
 * The API server calls handleStreamUpgrade from its 'upgrade' event once the request is authenticated,
 * authorized and the pod found. Everything that can be refused is refused before the upgrade with a JSON
 * metav1.Status. kubectl 1.32 retries any refused WebSocket exec/attach upgrade over SPDY (not implemented
 * here), so SPDY requests get the same validation and, after a kubelet refusal, the same Status; clients see
 * the real reason either way. port-forward is also served over SPDY/3.1, plain or tunnelled in a WebSocket
 * (streaming/spdy-portforward.ts), since kubectl port-forward speaks nothing else. What the kubelet refuses with a 4xx KubeletError is refused before the upgrade;
 * any other kubelet failure is reported after the upgrade on the error channel, as a real kubelet does
 * (e.g. a missing binary).
 */
import type * as http from 'node:http';
import type * as stream from 'node:stream';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { WebSocketServer, type WebSocket } from 'ws';
import { KubeletError, type KubeletApi } from '../contracts';
import {
  ChannelConnection, negotiate, offeredProtocols, PORT_FORWARD_PROTOCOLS, REMOTE_COMMAND_PROTOCOLS,
  type ChannelProtocol,
} from './streaming/channels';
import { parsePorts, servePortForward } from './streaming/portforward';
import {
  errorMessage, failAfterUpgrade, queryBool, serveAttach, serveExec, type RemoteCommandOptions,
} from './streaming/remotecommand';
import { serveSpdyPortForward } from './streaming/spdy-portforward';
import { httpStatus, rejectUpgrade, type Status } from './streaming/status';

export type StreamSubresource = 'exec' | 'attach' | 'portforward';

export interface StreamTarget {
  namespace: string;
  pod: V1Pod;
  subresource: StreamSubresource;
  query: URLSearchParams;
}

// One ws server per subprotocol, each answering with that protocol (ws omits the header for "").
// noServer: the API server owns the HTTP server; no compression, as Kubernetes does not negotiate it.
const servers = new Map<string, WebSocketServer>();
function serverFor(protocol: ChannelProtocol): WebSocketServer {
  let server = servers.get(protocol.name);
  if (!server) {
    server = new WebSocketServer({
      noServer: true, perMessageDeflate: false, clientTracking: false,
      handleProtocols: () => protocol.name || false,
    });
    servers.set(protocol.name, server);
  }
  return server;
}

export function handleStreamUpgrade(req: http.IncomingMessage, socket: stream.Duplex, head: Buffer,
  target: StreamTarget, kubelet: KubeletApi): void {
  // Until ws takes over, a reset by the client must not become an uncaught 'error'.
  const onEarlyError = (): void => { socket.destroy(); };
  socket.on('error', onEarlyError);
  serve(req, socket, head, target, kubelet, onEarlyError).catch((err: unknown) => {
    rejectUpgrade(socket, httpStatus(500, errorMessage(err)));
  });
}

async function serve(req: http.IncomingMessage, socket: stream.Duplex, head: Buffer, target: StreamTarget,
  kubelet: KubeletApi, onEarlyError: () => void): Promise<void> {
  const podName = target.pod.metadata?.name ?? '';
  const offered = offeredProtocols(req.headers['sec-websocket-protocol']);
  const isWebSocket = String(req.headers.upgrade ?? '').toLowerCase() === 'websocket';
  const key = refusalKey(req, target);

  // SPDY port-forward (tunnelled or not) names its ports per stream, not in the query: no `ports` check.
  const spdyPortForward = target.subresource === 'portforward' &&
    (!isWebSocket || offered.some((p) => p.startsWith('SPDY/3.1+')));
  // Validation first, for WebSocket and SPDY alike, so both report the same Status.
  const ports = target.subresource === 'portforward' && !spdyPortForward ? parsePorts(target.query) : [];
  const opts = target.subresource === 'portforward' ? undefined : remoteCommandOptions(target);
  const invalid = typeof ports === 'string' ? ports : typeof opts === 'string' ? opts : undefined;
  if (invalid !== undefined) {
    rejectUpgrade(socket, httpStatus(400, invalid));
    return;
  }

  if (spdyPortForward) {
    serveSpdyPortForward(req, socket, head,
      { namespace: target.namespace, podName, podId: target.pod.metadata?.uid ?? podName }, kubelet, onEarlyError);
    return;
  }

  if (!isWebSocket) {
    // kubectl falls back to SPDY after *any* refused WebSocket upgrade, so the SPDY retry repeats the
    // refusal it follows (e.g. the kubelet's "container not found"); otherwise SPDY is not implemented.
    rejectUpgrade(socket, takeRefusal(key) ?? httpStatus(400, SPDY_NOT_IMPLEMENTED));
    return;
  }

  if (target.subresource === 'portforward') {
    const protocol = negotiateOrReject(socket, offered, PORT_FORWARD_PROTOCOLS);
    if (!protocol || typeof ports === 'string') return;
    accept(req, socket, head, protocol, onEarlyError, (conn) => {
      servePortForward(conn, kubelet, target.namespace, podName, target.pod.metadata?.uid ?? podName, ports);
    }, () => undefined);
    return;
  }
  if (!opts || typeof opts === 'string') return;
  const protocol = negotiateOrReject(socket, offered, REMOTE_COMMAND_PROTOCOLS);
  if (!protocol) return;

  const streamOpts = { stdin: opts.stdin, stdout: opts.stdout, stderr: opts.stderr, tty: opts.tty };
  if (target.subresource === 'exec') {
    let proc;
    try {
      proc = await kubelet.exec(target.namespace, podName, opts.container, opts.command, streamOpts);
    } catch (err) {
      refuseOrReport(req, socket, head, protocol, onEarlyError, err, 'error executing command in container', key);
      return;
    }
    const started = proc;
    // If the client gave up while the process was starting, stop it: nobody will ever see it.
    accept(req, socket, head, protocol, onEarlyError, (conn) => serveExec(conn, started, opts), () => started.kill());
  } else {
    let session;
    try {
      session = await kubelet.attach(target.namespace, podName, opts.container, streamOpts);
    } catch (err) {
      refuseOrReport(req, socket, head, protocol, onEarlyError, err, 'error attaching to container', key);
      return;
    }
    const attached = session;
    accept(req, socket, head, protocol, onEarlyError, (conn) => serveAttach(conn, attached, opts),
      () => attached.detach());
  }
}

const SPDY_NOT_IMPLEMENTED = 'the loopback cluster implements exec and attach over WebSockets only ' +
  '(v5.channel.k8s.io, v4.channel.k8s.io); SPDY is implemented for port-forward only';

/** Recent kubelet refusals of WebSocket upgrades, so kubectl's SPDY retry of the same URL gets the same answer. */
const recentRefusals = new Map<string, { status: Status; expires: number }>();
const REFUSAL_MEMORY_MS = 30_000;

function refusalKey(req: http.IncomingMessage, target: StreamTarget): string {
  return `${req.socket.remoteAddress ?? ''} ${target.namespace}/${target.pod.metadata?.name ?? ''}/` +
    `${target.subresource}?${target.query.toString()}`;
}

function rememberRefusal(key: string, status: Status): void {
  const now = Date.now();
  for (const [k, v] of recentRefusals) if (v.expires < now) recentRefusals.delete(k);
  recentRefusals.set(key, { status, expires: now + REFUSAL_MEMORY_MS });
}

function takeRefusal(key: string): Status | undefined {
  const hit = recentRefusals.get(key);
  recentRefusals.delete(key);
  return hit && hit.expires >= Date.now() ? hit.status : undefined;
}

/** The exec/attach query, validated as the API server and the kubelet do; a string is a 400 message. */
function remoteCommandOptions(target: StreamTarget): RemoteCommandOptions | string {
  const { query, pod } = target;
  const podName = pod.metadata?.name ?? '';
  const container = resolveContainer(pod, query.get('container') ?? '');
  if (container.error) return container.error;
  if (!pod.spec?.nodeName) return `pod ${podName} does not have a host assigned`;
  const command = query.getAll('command');
  if (target.subresource === 'exec' && command.length === 0) {
    return 'you must specify at least one command for the container';
  }
  const tty = queryBool(query, 'tty');
  const stdin = queryBool(query, 'stdin');
  const stdout = queryBool(query, 'stdout');
  // The kubelet ignores stderr with a TTY (it is part of the terminal).
  const stderr = queryBool(query, 'stderr') && !tty;
  if (!stdin && !stdout && !queryBool(query, 'stderr')) {
    return 'you must specify at least 1 of stdin, stdout, stderr';
  }
  return { container: container.name, command, stdin, stdout, stderr, tty };
}

/**
 * The API server's rule (pkg/registry/core/pod strategy streamLocation): the only container by default;
 * otherwise the name is required. The kubectl.kubernetes.io/default-container annotation is a kubectl
 * (client-side) convention, so it is deliberately not honoured here.
 */
export function resolveContainer(pod: V1Pod, requested: string): { name: string; error?: string } {
  const podName = pod.metadata?.name ?? '';
  const names = (list: V1Container[] | undefined): string[] => (list ?? []).map((c) => c.name);
  const containers = names(pod.spec?.containers);
  const init = names(pod.spec?.initContainers);
  if (requested === '') {
    if (containers.length === 1) return { name: containers[0] };
    if (containers.length === 0) return { name: '', error: `a container name must be specified for pod ${podName}` };
    let error = `a container name must be specified for pod ${podName}, choose one of: [${containers.join(' ')}]`;
    if (init.length > 0) error += ` or one of the init containers: [${init.join(' ')}]`;
    return { name: '', error };
  }
  const all = [...containers, ...init, ...(pod.spec?.ephemeralContainers ?? []).map((c) => c.name)];
  if (!all.includes(requested)) return { name: '', error: `container ${requested} is not valid for pod ${podName}` };
  return { name: requested };
}

function negotiateOrReject(socket: stream.Duplex, offered: string[],
  supported: ChannelProtocol[]): ChannelProtocol | undefined {
  const protocol = negotiate(offered, supported);
  if (protocol) return protocol;
  const names = supported.map((p) => p.name).filter((n) => n !== '');
  const tunnel = offered.some((p) => p.startsWith('SPDY/3.1+'));
  rejectUpgrade(socket, httpStatus(400, tunnel
    ? SPDY_NOT_IMPLEMENTED
    : `requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${names.join(' ')}]`));
  return undefined;
}

/**
 * A 4xx from the kubelet (container not running, pod gone…) is refused before the upgrade; anything else
 * is what the runtime said when starting the process, reported on the error channel after the upgrade.
 */
function refuseOrReport(req: http.IncomingMessage, socket: stream.Duplex, head: Buffer,
  protocol: ChannelProtocol, onEarlyError: () => void, err: unknown, prefix: string, key: string): void {
  if (err instanceof KubeletError && err.code < 500) {
    const status = httpStatus(err.code, err.message, err.reason);
    rememberRefusal(key, status);
    rejectUpgrade(socket, status);
    return;
  }
  accept(req, socket, head, protocol, onEarlyError,
    (conn) => failAfterUpgrade(conn, `${prefix}: ${errorMessage(err)}`), () => undefined);
}

/** Complete the WebSocket handshake with the negotiated subprotocol, or clean up if it cannot happen. */
function accept(req: http.IncomingMessage, socket: stream.Duplex, head: Buffer, protocol: ChannelProtocol,
  onEarlyError: () => void, onOpen: (conn: ChannelConnection) => void, onAbandoned: () => void): void {
  if (socket.destroyed || !socket.readable || !socket.writable) {
    socket.destroy();
    onAbandoned();
    return;
  }
  let opened = false;
  // handleUpgrade completes synchronously (no verifyClient), so `opened` is settled when it returns.
  serverFor(protocol).handleUpgrade(req, socket, head, (ws: WebSocket) => {
    opened = true;
    socket.off('error', onEarlyError);
    onOpen(new ChannelConnection(ws, protocol));
  });
  // ws refused the handshake itself (bad key/version) or the socket died: it already answered or closed.
  if (!opened) onAbandoned();
}

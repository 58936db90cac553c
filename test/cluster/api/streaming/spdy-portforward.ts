/**
 * port-forward over SPDY/3.1, the only transport kubectl 1.32 uses for it (kubelet
 * cri/streaming/portforward/httpstream.go): per forwarded connection the client opens an `error` stream and
 * then a `data` stream, both carrying `streamtype`, `port` and `requestid` headers. Once both are there the
 * server dials the pod port and relays the data stream; a failure is written as text on the error stream;
 * both streams are closed (FIN) when the pod side ends.
 *
 * Two ways in, one protocol:
 * - plain SPDY: `Upgrade: SPDY/3.1`, `X-Stream-Protocol-Version: portforward.k8s.io`, answered with 101
 *   and SPDY frames on the raw socket (KUBECTL_PORT_FORWARD_WEBSOCKETS=false);
 * - the PortForwardWebsockets tunnel (kubectl's default): a WebSocket with subprotocol
 *   `SPDY/3.1+portforward.k8s.io` whose binary messages carry the same byte stream. The API server answers
 *   with `SPDY/3.1+` + the protocol the kubelet chose (apiserver util/proxy/streamtunnel.go).
 */
import type * as http from 'node:http';
import type * as stream from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { KubeletApi } from '../../contracts';
import { offeredProtocols } from './channels';
import { PodWriteGate, forwardingError } from './podWriteGate';
import {
  SpdySession, socketTransport, webSocketTransport, type SpdySessionHandler, type SpdyStream, type SpdyTransport,
} from './spdy-session';
import { httpStatus, rejectUpgrade } from './status';

export const PORT_FORWARD_SPDY_PROTOCOL = 'portforward.k8s.io';
export const SPDY_TUNNEL_PREFIX = 'SPDY/3.1+';

/** The kubelet's wait for the second stream of a pair (DefaultStreamCreationTimeout). */
const STREAM_CREATION_TIMEOUT_MS = 30_000;

export interface SpdyPortForwardTarget {
  namespace: string;
  podName: string;
  /** What the kubelet prints as the pod in its error messages (as in the WebSocket variant). */
  podId: string;
}

export function serveSpdyPortForward(req: http.IncomingMessage, socket: stream.Duplex, head: Buffer,
  target: SpdyPortForwardTarget, kubelet: KubeletApi, onEarlyError: () => void): void {
  if (String(req.headers.upgrade ?? '').toLowerCase() === 'websocket') {
    serveTunnel(req, socket, head, target, kubelet, onEarlyError);
  } else {
    servePlain(req, socket, head, target, kubelet, onEarlyError);
  }
}

/** httpstream.Handshake's refusal when the client's protocols do not include ours. */
function negotiationFailure(offered: string[]): string {
  return `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], ` +
    `server accepts [${PORT_FORWARD_SPDY_PROTOCOL}]`;
}

function servePlain(req: http.IncomingMessage, socket: stream.Duplex, head: Buffer, target: SpdyPortForwardTarget,
  kubelet: KubeletApi, onEarlyError: () => void): void {
  const connection = String(req.headers.connection ?? '').toLowerCase();
  const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
  if (!connection.includes('upgrade') || !upgrade.includes('spdy/3.1')) {
    rejectUpgrade(socket, httpStatus(400, 'unable to upgrade: missing upgrade headers in request'));
    return;
  }
  const offered = offeredProtocols(req.headers['x-stream-protocol-version']);
  if (offered.length === 0) {
    rejectUpgrade(socket, httpStatus(400, 'unable to upgrade: X-Stream-Protocol-Version is required'));
    return;
  }
  if (!offered.includes(PORT_FORWARD_SPDY_PROTOCOL)) {
    rejectUpgrade(socket, httpStatus(403, negotiationFailure(offered)));
    return;
  }
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  socket.off('error', onEarlyError);
  // Many small control frames: do not let Nagle hold them back.
  (socket as Partial<{ setNoDelay(v: boolean): void }>).setNoDelay?.(true);
  socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n' +
    `X-Stream-Protocol-Version: ${PORT_FORWARD_SPDY_PROTOCOL}\r\n\r\n`);
  startSession(socketTransport(socket, head), target, kubelet);
}

/** WebSocket requests being upgraded as tunnels (the 'headers' hook adds their subprotocol). */
const tunnelRequests = new WeakSet<http.IncomingMessage>();
let tunnelServer: WebSocketServer | undefined;

/**
 * ws refuses subprotocols containing '/' (not an RFC 7230 token), so the tunnel's is taken off the request
 * before ws sees it and put back on the response here. No compression: Kubernetes does not negotiate it.
 */
function tunnelWebSocketServer(): WebSocketServer {
  if (!tunnelServer) {
    tunnelServer = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });
    tunnelServer.on('headers', (headers: string[], req: http.IncomingMessage) => {
      if (tunnelRequests.has(req)) headers.push(`Sec-WebSocket-Protocol: ${SPDY_TUNNEL_PREFIX}${PORT_FORWARD_SPDY_PROTOCOL}`);
    });
  }
  return tunnelServer;
}

function serveTunnel(req: http.IncomingMessage, socket: stream.Duplex, head: Buffer, target: SpdyPortForwardTarget,
  kubelet: KubeletApi, onEarlyError: () => void): void {
  // Like the API server: keep the offers with the tunnelling prefix and a Kubernetes suffix, minus the prefix.
  const tunnelled = offeredProtocols(req.headers['sec-websocket-protocol'])
    .filter((p) => p.startsWith(SPDY_TUNNEL_PREFIX) && p.endsWith('.k8s.io'))
    .map((p) => p.slice(SPDY_TUNNEL_PREFIX.length));
  if (tunnelled.length === 0) {
    rejectUpgrade(socket, httpStatus(400, 'unable to upgrade: no tunneling spdy protocols provided'));
    return;
  }
  if (!tunnelled.includes(PORT_FORWARD_SPDY_PROTOCOL)) {
    rejectUpgrade(socket, httpStatus(403, negotiationFailure(tunnelled)));
    return;
  }
  if (socket.destroyed || !socket.readable || !socket.writable) {
    socket.destroy();
    return;
  }
  delete req.headers['sec-websocket-protocol'];
  tunnelRequests.add(req);
  tunnelWebSocketServer().handleUpgrade(req, socket, head, (ws: WebSocket) => {
    socket.off('error', onEarlyError);
    startSession(webSocketTransport(ws), target, kubelet);
  });
}

function startSession(transport: SpdyTransport, target: SpdyPortForwardTarget, kubelet: KubeletApi): void {
  const handler = new PortForwardHandler(target, kubelet);
  const session = new SpdySession(transport, handler);
  handler.session = session;
  session.start();
}

class StreamPair {
  error: SpdyStream | undefined;
  data: SpdyStream | undefined;
  timer: NodeJS.Timeout | undefined;
  constructor(readonly requestId: string) {}
}

/** The kubelet's httpStreamHandler: pairs streams by request id and runs one Forward per pair. */
class PortForwardHandler implements SpdySessionHandler {
  session!: SpdySession;
  private readonly pairs = new Map<string, StreamPair>();
  private readonly forwards = new Set<Forward>();

  constructor(private readonly target: SpdyPortForwardTarget, private readonly kubelet: KubeletApi) {}

  /** httpStreamReceived's checks; a refused stream is reset (the kubelet only logs the reason). */
  validate(s: SpdyStream): string | undefined {
    const port = s.header('port');
    if (port === '') return '"port" header is required';
    if (!/^\d+$/.test(port) || Number(port) > 0xffff) {
      return `unable to parse "${port}" as a port: strconv.ParseUint: parsing "${port}": ` +
        (/^\d+$/.test(port) ? 'value out of range' : 'invalid syntax');
    }
    if (Number(port) < 1) return `port "${port}" must be > 0`;
    const type = s.header('streamtype');
    if (type === '') return '"streamType" header is required';
    if (type !== 'error' && type !== 'data') return `invalid stream type "${type}"`;
    return undefined;
  }

  accepted(s: SpdyStream): void {
    const type = s.header('streamtype');
    // Old clients send no request id; the kubelet then pairs stream ids n (error) and n+2 (data).
    const requestId = s.header('requestid') || String(type === 'error' ? s.id : s.id - 2);
    let pair = this.pairs.get(requestId);
    if (!pair) {
      const created = new StreamPair(requestId);
      created.timer = setTimeout(() => this.timedOut(created), STREAM_CREATION_TIMEOUT_MS);
      created.timer.unref();
      this.pairs.set(requestId, created);
      pair = created;
    }
    if ((type === 'error' && pair.error) || (type === 'data' && pair.data)) {
      pair.error?.write(Buffer.from(`error processing stream for request ${requestId}: ${type} stream already assigned`));
      s.reset();
      return;
    }
    if (type === 'error') pair.error = s;
    else pair.data = s;
    if (!pair.error || !pair.data) return;
    clearTimeout(pair.timer);
    this.pairs.delete(requestId);
    const forward = new Forward(this.session, pair.data, pair.error, Number(pair.data.header('port')),
      this.target.podId, () => {
        this.forwards.delete(forward);
        this.closeIfIdle();
      });
    this.forwards.add(forward);
    forward.start(() => this.kubelet.portForward(this.target.namespace, this.target.podName, forward.port));
  }

  private timedOut(pair: StreamPair): void {
    this.pairs.delete(pair.requestId);
    pair.error?.write(Buffer.from(`(request=${pair.requestId}) timed out waiting for streams`));
    pair.error?.end();
    pair.data?.reset();
    this.closeIfIdle();
  }

  goAway(): void {
    this.closeIfIdle();
  }

  /** After the client's GOAWAY, the connection ends with its last forward (spdystream's shutdown). */
  private closeIfIdle(): void {
    if (this.session.hasGoneAway && this.forwards.size === 0) this.session.close();
  }

  closed(): void {
    for (const pair of this.pairs.values()) clearTimeout(pair.timer);
    this.pairs.clear();
    // Streams were reset by the session; each forward drops its pod connection through that.
  }
}

/** One forwarded connection: the data stream relayed to a pod port, failures on the error stream. */
class Forward {
  private target: stream.Duplex | undefined;
  private readonly toPod: PodWriteGate;
  private clientEnded = false;
  private finished = false;

  constructor(
    private readonly session: SpdySession,
    private readonly data: SpdyStream,
    private readonly error: SpdyStream,
    readonly port: number,
    private readonly podId: string,
    private readonly onDone: () => void,
  ) {
    this.toPod = new PodWriteGate(session);
  }

  start(connect: () => Promise<stream.Duplex>): void {
    this.error.attach({ data: () => undefined, end: () => undefined, reset: () => undefined });
    this.data.attach({
      data: (chunk) => this.fromClient(chunk),
      end: () => this.clientEnd(),
      // The client resets the data stream when it is done with it, or when its local side failed; either
      // way it then waits for the error stream to end.
      reset: () => this.finish(),
    });
    if (this.finished) return;
    connect().then((t) => this.connected(t), (err: unknown) => this.fail(err));
  }

  private fromClient(chunk: Buffer): void {
    if (this.finished) return;
    this.toPod.write(chunk);
  }

  /** The client half-closed: so does the pod connection, once what is pending has been written. */
  private clientEnd(): void {
    this.clientEnded = true;
    this.target?.end();
  }

  private connected(target: stream.Duplex): void {
    if (this.finished) {
      target.destroy();
      return;
    }
    this.target = target;
    target.on('error', (err) => this.fail(err));
    this.toPod.connected(target);
    if (this.clientEnded) target.end();
    target.on('data', (chunk: Buffer) => {
      if (!this.data.write(chunk)) {
        target.pause();
        this.session.whenDrained(() => target.resume());
      }
    });
    // The pod side ended: what it sent is queued before the FINs, then the kubelet closes both streams.
    target.on('end', () => this.finish());
    target.on('close', () => this.finish());
  }

  private fail(err: unknown): void {
    if (this.finished) return;
    this.error.write(forwardingError(this.port, this.podId, err));
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.data.end();
    this.error.end();
    this.toPod.discard();
    this.target?.destroy();
    this.onDone();
  }
}

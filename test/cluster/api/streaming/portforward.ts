/**
 * port-forward over WebSocket (kubelet cri/streaming/portforward/websocket.go): for the i-th requested
 * port, channel 2i carries data and 2i+1 errors; each channel starts with the port as uint16 LE. The
 * connection closes once every port's forwarding has ended, in either direction.
 */
import type { Duplex } from 'node:stream';
import type { KubeletApi } from '../../contracts';
import type { ChannelConnection } from './channels';
import { PodWriteGate, forwardingError } from './podWriteGate';

/** Parses `ports` like the kubelet (repeatable, comma-separated); returns an error message when invalid. */
export function parsePorts(query: URLSearchParams): number[] | string {
  const values = query.getAll('ports');
  if (values.length === 0) return 'query parameter "port" is required';
  const ports: number[] = [];
  for (const value of values) {
    if (value.length === 0) return 'query parameter "port" cannot be empty';
    for (const p of value.split(',')) {
      if (!/^\d+$/.test(p) || Number(p) > 0xffff) {
        return `unable to parse "${value}" as a port: strconv.ParseUint: parsing "${p}": ${/^\d+$/.test(p) ? 'value out of range' : 'invalid syntax'}`;
      }
      if (Number(p) < 1) return `port "${value}" must be > 0`;
      ports.push(Number(p));
    }
  }
  return ports;
}

class ForwardedPort {
  private target: Duplex | undefined;
  private readonly toPod: PodWriteGate;
  private finished = false;
  private clientGone = false;

  constructor(
    private readonly conn: ChannelConnection,
    private readonly port: number,
    private readonly index: number,
    private readonly podId: string,
    private readonly onDone: () => void,
  ) {
    this.toPod = new PodWriteGate(conn);
  }

  private get dataChannel(): number { return this.index * 2; }
  private get errorChannel(): number { return this.index * 2 + 1; }

  start(connect: () => Promise<Duplex>): void {
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16LE(this.port, 0);
    this.conn.send(this.dataChannel, prefix);
    this.conn.send(this.errorChannel, prefix);
    this.conn.on(this.dataChannel, (payload) => this.fromClient(payload));
    connect().then(
      (target) => this.connected(target),
      (err: unknown) => this.fail(err),
    );
  }

  private fromClient(payload: Buffer): void {
    if (this.finished || payload.length === 0) return;
    this.toPod.write(payload);
  }

  private connected(target: Duplex): void {
    if (this.finished || this.clientGone) {
      target.destroy();
      return;
    }
    this.target = target;
    target.on('error', (err) => this.fail(err));
    this.toPod.connected(target);
    // The pod side ended: flush what it sent, then this port is done (the kubelet then closes the socket).
    const sink = this.conn.writable(this.dataChannel);
    target.pipe(sink);
    sink.on('finish', () => this.done());
  }

  private fail(err: unknown): void {
    if (this.finished) return;
    if (!this.clientGone) this.conn.send(this.errorChannel, forwardingError(this.port, this.podId, err));
    this.done();
  }

  private done(): void {
    if (this.finished) return;
    this.finished = true;
    this.toPod.discard();
    this.target?.destroy();
    this.onDone();
  }

  /** The WebSocket closed: half-close towards the pod, then drop the connection once that is flushed. */
  clientClosed(): void {
    this.clientGone = true;
    const target = this.target;
    if (!target || this.finished) {
      this.done();
      return;
    }
    target.unpipe();
    target.resume();
    target.end(() => this.done());
    // If the pod never reads what is left, do not hold the connection forever.
    const timer = setTimeout(() => this.done(), 5000);
    timer.unref();
    target.once('close', () => {
      clearTimeout(timer);
      this.done();
    });
  }
}

export function servePortForward(conn: ChannelConnection, kubelet: KubeletApi, namespace: string,
  podName: string, podId: string, ports: number[]): void {
  let remaining = ports.length;
  const forwarded = ports.map((port, i) => new ForwardedPort(conn, port, i, podId, () => {
    if (--remaining === 0) conn.close();
  }));
  conn.onClose(() => {
    for (const f of forwarded) f.clientClosed();
  });
  ports.forEach((port, i) => forwarded[i].start(() => kubelet.portForward(namespace, podName, port)));
}

/**
 * The channel framing shared by exec, attach and port-forward over WebSocket (apimachinery wsstream):
 * every message starts with a channel byte; base64 protocols send text frames with the channel as an
 * ASCII digit and a base64 payload. v5 adds `[255, channel]` to half-close one channel.
 */
import { Writable } from 'node:stream';
import type { WebSocket, RawData } from 'ws';

export interface ChannelProtocol {
  name: string;
  binary: boolean;
  /** 1 for the pre-v4 protocols (plain-text errors), 4 (JSON Status), 5 (JSON Status + close frames). */
  version: 1 | 4 | 5;
}

const P = (name: string, binary: boolean, version: 1 | 4 | 5): ChannelProtocol => ({ name, binary, version });

/**
 * exec/attach: the kubelet accepts "", channel.k8s.io, base64.channel.k8s.io, v4 and v4.base64; the API
 * server's stream translator adds v5. (v2/v3 are SPDY-only names, so they are not accepted here.)
 */
export const REMOTE_COMMAND_PROTOCOLS: ChannelProtocol[] = [
  P('v5.channel.k8s.io', true, 5),
  P('v4.channel.k8s.io', true, 4),
  P('v4.base64.channel.k8s.io', false, 4),
  P('channel.k8s.io', true, 1),
  P('base64.channel.k8s.io', false, 1),
  P('', true, 1),
];

/** port-forward over plain WebSocket (kubelet portforward/websocket.go): v4 and no protocol only. */
export const PORT_FORWARD_PROTOCOLS: ChannelProtocol[] = [
  P('v4.channel.k8s.io', true, 4),
  P('v4.base64.channel.k8s.io', false, 4),
  P('', true, 4),
];

export const CLOSE_CHANNEL = 255;

export function offeredProtocols(header: string | string[] | undefined): string[] {
  const raw = Array.isArray(header) ? header.join(',') : header ?? '';
  return raw.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
}

/** Like wsstream's handshake: the client's order wins; no offer at all means the "" protocol. */
export function negotiate(offered: string[], supported: ChannelProtocol[]): ChannelProtocol | undefined {
  const wanted = offered.length === 0 ? [''] : offered;
  for (const name of wanted) {
    const match = supported.find((p) => p.name === name);
    if (match) return match;
  }
  return undefined;
}

/** Bytes queued in ws beyond which producers are paused, and the level at which they resume. */
const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;
/** How often a paused connection checks that its client is still there. */
const PAUSED_PROBE_MS = 1000;

export type ChannelHandler = (payload: Buffer) => void;

/**
 * One WebSocket carrying numbered channels, with backpressure in both directions: outgoing writables hold
 * their callbacks while too many bytes are queued in the socket; incoming data pauses the socket while
 * any consumer says it is full (see pauseInbound/resumeInbound).
 */
export class ChannelConnection {
  private inFlight = 0;
  private waiters: Array<() => void> = [];
  private handlers = new Map<number, ChannelHandler>();
  private closeHandlers = new Map<number, () => void>();
  private pauses = 0;
  private probe: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly closeListeners: Array<() => void> = [];

  constructor(readonly ws: WebSocket, readonly protocol: ChannelProtocol) {
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('close', () => this.onClosed());
    // Errors (resets, protocol violations) end in 'close'; a listener keeps them from being thrown.
    ws.on('error', () => undefined);
  }

  get isOpen(): boolean {
    return !this.closed && this.ws.readyState === this.ws.OPEN;
  }

  /** Called once when the WebSocket is gone, whoever closed it. */
  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  on(channel: number, handler: ChannelHandler): void {
    this.handlers.set(channel, handler);
  }

  /** v5 `[255, channel]` from the client. */
  onChannelClose(channel: number, handler: () => void): void {
    this.closeHandlers.set(channel, handler);
  }

  /** Send one frame; silently dropped once the socket is closing (the process output is then discarded). */
  send(channel: number, payload: Buffer, done?: () => void): void {
    if (!this.isOpen) {
      done?.();
      return;
    }
    let frame: Buffer | string;
    if (this.protocol.binary) {
      frame = Buffer.allocUnsafe(payload.length + 1);
      frame[0] = channel;
      payload.copy(frame, 1);
    } else {
      frame = String.fromCharCode(48 + channel) + payload.toString('base64');
    }
    const size = typeof frame === 'string' ? frame.length : frame.length;
    this.inFlight += size;
    this.ws.send(frame, { binary: this.protocol.binary }, () => {
      this.inFlight -= size;
      done?.();
      this.releaseWaiters();
    });
  }

  /** Calls `ready` now if the socket has room, or once it has drained below the low-water mark. */
  whenWritable(ready: () => void): void {
    if (this.inFlight < HIGH_WATER || !this.isOpen) ready();
    else this.waiters.push(ready);
  }

  /** A Writable feeding one channel; it applies the socket's backpressure to whatever is piped into it. */
  writable(channel: number): Writable {
    return new Writable({
      highWaterMark: 64 * 1024,
      write: (chunk: Buffer, _encoding, callback) => {
        if (chunk.length > 0) this.send(channel, chunk);
        this.whenWritable(() => callback());
      },
    });
  }

  pauseInbound(): void {
    if (this.pauses++ === 0 && this.isOpen) {
      this.ws.pause();
      // A paused socket is not read, so a client that goes away is never noticed (the real kubelet has
      // the same blind spot until the process exits). Writing a ping now and then surfaces the reset.
      this.probe = setInterval(() => {
        if (this.isOpen) this.ws.ping();
      }, PAUSED_PROBE_MS);
      this.probe.unref();
    }
  }

  resumeInbound(): void {
    if (this.pauses > 0 && --this.pauses === 0) {
      this.stopProbe();
      if (this.isOpen) this.ws.resume();
    }
  }

  private stopProbe(): void {
    if (this.probe) clearInterval(this.probe);
    this.probe = undefined;
  }

  /** Close with 1000 after everything queued so far has been sent (ws keeps frame order). */
  close(): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) {
      this.ws.close(1000);
      // A peer that never answers the close frame must not keep the socket open.
      const timer = setTimeout(() => this.ws.terminate(), 10_000);
      timer.unref();
      this.ws.once('close', () => clearTimeout(timer));
    }
  }

  terminate(): void {
    this.ws.terminate();
  }

  private releaseWaiters(): void {
    if (this.inFlight > LOW_WATER && this.isOpen) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    if (buf.length === 0) return;
    let channel: number;
    let payload: Buffer;
    if (this.protocol.binary || isBinary) {
      channel = buf[0];
      payload = buf.subarray(1);
    } else {
      channel = buf[0] - 48;
      payload = Buffer.from(buf.subarray(1).toString('latin1'), 'base64');
    }
    if (channel === CLOSE_CHANNEL && this.protocol.version >= 5) {
      // wsstream ignores malformed close frames; so do we.
      if (payload.length === 1) this.closeHandlers.get(payload[0])?.();
      return;
    }
    // Frames for unknown or write-only channels are dropped, as wsstream does.
    this.handlers.get(channel)?.(payload);
  }

  private onClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopProbe();
    this.inFlight = 0;
    this.releaseWaiters();
    for (const l of this.closeListeners.splice(0)) l();
  }
}

/**
 * The server end of a SPDY/3.1 connection as moby/spdystream runs it for the kubelet: the client opens
 * streams (odd ids), the server answers each SYN_STREAM with an empty SYN_REPLY or refuses it with
 * RST_STREAM(CANCEL), echoes the client's PINGs, and half-closes streams with an empty FIN DATA frame.
 *
 * Flow control: spdystream neither sends WINDOW_UPDATE nor honours the peer's windows (it drops those
 * frames as unhandled), so a server that enforced the 64 KiB SPDY/3.1 window would stall every transfer
 * after 64 KiB. Windows are therefore ignored here too; backpressure comes from the transport instead
 * (see pauseInbound and SpdyStream.write).
 */
import type { Duplex } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import {
  dataFrame, FLAG_FIN, FrameParser, FrameType, GoAwayStatus, goAwayFrame, HeaderBlockReader, HeaderBlockWriter,
  MAX_FRAME_PAYLOAD, pingFrame, rstStreamFrame, RstStatus, synReplyFrame,
  type Frame, type HeaderBlock,
} from './spdy-framing';

/** The byte pipe under a SPDY connection: the upgraded socket, or a WebSocket carrying it (the tunnel). */
export interface SpdyTransport {
  /** Sends bytes in order; false when the peer is behind (wait for the drain callback). */
  write(data: Buffer): boolean;
  pause(): void;
  resume(): void;
  /** Closes after everything written so far. */
  end(): void;
  destroy(): void;
  start(handlers: { data(chunk: Buffer): void; drain(): void; closed(): void }): void;
}

/** The upgraded HTTP socket itself (`Upgrade: SPDY/3.1`); `head` holds bytes read past the request. */
export function socketTransport(socket: Duplex, head: Buffer): SpdyTransport {
  return {
    write: (data) => socket.write(data),
    pause: () => { socket.pause(); },
    resume: () => { socket.resume(); },
    end: () => {
      socket.end();
      // A client that never closes its side must not pin the socket.
      const timer = setTimeout(() => socket.destroy(), 5000);
      timer.unref();
      socket.once('close', () => clearTimeout(timer));
    },
    destroy: () => { socket.destroy(); },
    start(h) {
      socket.on('data', (chunk: Buffer) => h.data(chunk));
      socket.on('drain', () => h.drain());
      socket.on('error', () => socket.destroy());
      // The client's FIN ends the connection: spdystream closes the whole socket, never half of it.
      socket.on('end', () => socket.destroy());
      socket.once('close', () => h.closed());
      if (head.length > 0) h.data(head);
    },
  };
}

/** Bytes queued in ws beyond which writers are told to wait, and the level at which they resume. */
const WS_HIGH_WATER = 1024 * 1024;
const WS_LOW_WATER = 256 * 1024;

/**
 * The PortForwardWebsockets tunnel (client-go TunnelingConnection): binary messages carry the raw SPDY
 * byte stream, no channel byte, message boundaries meaningless (Go writes a frame in several messages).
 */
export function webSocketTransport(ws: WebSocket): SpdyTransport {
  let inFlight = 0;
  let waiting = false;
  let onDrain = (): void => undefined;
  const open = (): boolean => ws.readyState === ws.OPEN;
  return {
    write(data) {
      if (!open()) return true;
      inFlight += data.length;
      ws.send(data, { binary: true }, () => {
        inFlight -= data.length;
        if (waiting && inFlight <= WS_LOW_WATER) {
          waiting = false;
          onDrain();
        }
      });
      if (inFlight < WS_HIGH_WATER) return true;
      waiting = true;
      return false;
    },
    pause: () => { if (open()) ws.pause(); },
    resume: () => { if (open()) ws.resume(); },
    end() {
      if (ws.readyState !== ws.OPEN && ws.readyState !== ws.CONNECTING) return;
      ws.close(1000);
      const timer = setTimeout(() => ws.terminate(), 5000);
      timer.unref();
      ws.once('close', () => clearTimeout(timer));
    },
    destroy: () => { ws.terminate(); },
    start(h) {
      onDrain = () => h.drain();
      ws.on('message', (data: RawData, isBinary: boolean) => {
        if (!isBinary) {
          // client-go fails the same way on a text message: "invalid message type received".
          ws.close(1003, 'the SPDY tunnel carries binary messages only');
          return;
        }
        const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
        h.data(buf);
      });
      ws.on('error', () => undefined);
      ws.once('close', () => {
        inFlight = 0;
        if (waiting) {
          waiting = false;
          h.drain();
        }
        h.closed();
      });
    },
  };
}

export interface SpdyStreamEvents {
  data(payload: Buffer): void;
  /** The client half-closed the stream (FIN). */
  end(): void;
  /** The client reset the stream, or the connection went away. */
  reset(): void;
}

/** One client-initiated stream, from the server's side. */
export class SpdyStream {
  remoteFin = false;
  localFin = false;
  isReset = false;
  private events: SpdyStreamEvents | undefined;
  private early: Buffer[] = [];
  private earlyEnd = false;

  constructor(private readonly session: SpdySession, readonly id: number, readonly headers: HeaderBlock) {}

  header(name: string): string {
    return this.headers.get(name)?.[0] ?? '';
  }

  get isOpen(): boolean {
    return !this.isReset && !this.localFin && !this.session.isClosed;
  }

  /** Starts delivery; what arrived before is replayed first. */
  attach(events: SpdyStreamEvents): void {
    this.events = events;
    for (const chunk of this.early.splice(0)) events.data(chunk);
    if (this.earlyEnd) events.end();
    if (this.isReset) events.reset();
  }

  /** DATA frames, split at the 24-bit length limit; false when the transport wants the writer to wait. */
  write(payload: Buffer): boolean {
    if (!this.isOpen || payload.length === 0) return true;
    let ok = true;
    for (let off = 0; off < payload.length; off += MAX_FRAME_PAYLOAD) {
      ok = this.session.send(dataFrame(this.id, 0, payload.subarray(off, off + MAX_FRAME_PAYLOAD)));
    }
    return ok;
  }

  /** Half-close: an empty DATA frame with FIN, as spdystream's Stream.Close does. */
  end(): void {
    if (!this.isOpen) return;
    this.localFin = true;
    this.session.send(dataFrame(this.id, FLAG_FIN, Buffer.alloc(0)));
    this.session.forgetIfDone(this);
  }

  reset(status: number = RstStatus.Cancel): void {
    if (this.isReset || this.session.isClosed) return;
    this.isReset = true;
    this.session.send(rstStreamFrame(this.id, status));
    this.session.forgetIfDone(this);
  }

  /** @internal */ deliver(payload: Buffer, fin: boolean): void {
    if (payload.length > 0) {
      if (this.events) this.events.data(payload);
      else this.early.push(payload);
    }
    if (fin && !this.remoteFin) {
      this.remoteFin = true;
      if (this.events) this.events.end();
      else this.earlyEnd = true;
      this.session.forgetIfDone(this);
    }
  }

  /** @internal */ remoteReset(): void {
    if (this.isReset) return;
    this.isReset = true;
    this.early = [];
    this.events?.reset();
  }
}

export interface SpdySessionHandler {
  /** A new stream; return a reason to refuse it (RST_STREAM CANCEL) or undefined to accept it. */
  validate(stream: SpdyStream): string | undefined;
  /** Called after the SYN_REPLY of an accepted stream has been queued. */
  accepted(stream: SpdyStream): void;
  /** The client sent GOAWAY: no new streams; the handler closes the session once its work is done. */
  goAway(): void;
  /** The transport is gone; every stream has been reset. */
  closed(): void;
}

export class SpdySession {
  private readonly parser = new FrameParser();
  private readonly reader = new HeaderBlockReader();
  private readonly writer = new HeaderBlockWriter();
  private readonly streams = new Map<number, SpdyStream>();
  private readonly queue: Frame[] = [];
  private decoding = false;
  private lastStreamId = 0;
  private goneAway = false;
  private closed = false;
  private pauses = 0;
  private drainWaiters: Array<() => void> = [];

  constructor(private readonly transport: SpdyTransport, private readonly handler: SpdySessionHandler) {}

  start(): void {
    this.transport.start({
      data: (chunk) => this.receive(chunk),
      drain: () => {
        for (const w of this.drainWaiters.splice(0)) w();
      },
      closed: () => this.onClosed(),
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get hasGoneAway(): boolean {
    return this.goneAway;
  }

  /** @internal */ send(frame: Buffer): boolean {
    if (this.closed) return true;
    return this.transport.write(frame);
  }

  /** Calls `ready` once the transport has drained (or is gone). */
  whenDrained(ready: () => void): void {
    if (this.closed) ready();
    else this.drainWaiters.push(ready);
  }

  /** Stop reading from the client while any consumer (a pod socket) is full. */
  pauseInbound(): void {
    if (this.pauses++ === 0 && !this.closed) this.transport.pause();
  }

  resumeInbound(): void {
    if (this.pauses > 0 && --this.pauses === 0 && !this.closed) this.transport.resume();
  }

  /** Closes the connection once written (after the client's GOAWAY, when nothing is left to do). */
  close(): void {
    if (!this.closed) this.transport.end();
  }

  /** A protocol violation: tell the client why, then drop the connection. */
  fail(status: number = GoAwayStatus.ProtocolError): void {
    if (this.closed) return;
    this.send(goAwayFrame(this.lastStreamId, status));
    this.transport.end();
  }

  /** @internal */ forgetIfDone(stream: SpdyStream): void {
    if (stream.isReset || (stream.localFin && stream.remoteFin)) this.streams.delete(stream.id);
  }

  private receive(chunk: Buffer): void {
    if (this.closed) return;
    try {
      this.parser.push(chunk, (frame) => this.queue.push(frame));
    } catch {
      this.fail();
      return;
    }
    this.pump();
  }

  /**
   * Frames are handled strictly in order; a frame with a header block waits for its (async) inflate, and
   * everything behind it waits too, so a stream's DATA never overtakes its SYN_STREAM.
   */
  private pump(): void {
    while (!this.decoding && this.queue.length > 0 && !this.closed) {
      const frame = this.queue.shift() as Frame;
      if (frame.kind === 'data') {
        this.onData(frame.streamId, frame.flags, frame.payload);
        continue;
      }
      const blockOffset = frame.type === FrameType.SynStream ? 10
        : frame.type === FrameType.SynReply || frame.type === FrameType.Headers ? 4 : -1;
      if (blockOffset < 0) {
        this.onControl(frame.type, frame.flags, frame.payload);
        continue;
      }
      if (frame.payload.length < blockOffset) {
        this.fail();
        return;
      }
      // Every header block must pass through the inflater, even ignored ones, to keep its window in step.
      this.decoding = true;
      this.reader.decode(frame.payload.subarray(blockOffset)).then((headers) => {
        this.decoding = false;
        if (frame.type === FrameType.SynStream) this.onSynStream(frame.flags, frame.payload, headers);
        this.pump();
      }, () => {
        this.decoding = false;
        this.fail();
      });
    }
  }

  private onSynStream(flags: number, payload: Buffer, headers: HeaderBlock): void {
    const id = payload.readUInt32BE(0) & 0x7fffffff;
    if (this.goneAway) return;
    // Client streams are odd and increase (spdystream's validateStreamId).
    if (id === 0 || id % 2 === 0 || id <= this.lastStreamId) {
      this.send(rstStreamFrame(id, RstStatus.ProtocolError));
      return;
    }
    this.lastStreamId = id;
    const stream = new SpdyStream(this, id, headers);
    if (flags & FLAG_FIN) stream.remoteFin = true;
    const refusal = this.handler.validate(stream);
    if (refusal !== undefined) {
      stream.isReset = true;
      this.send(rstStreamFrame(id, RstStatus.Cancel));
      return;
    }
    this.streams.set(id, stream);
    this.send(synReplyFrame(id, 0, this.writer.encode(new Map())));
    this.handler.accepted(stream);
  }

  private onData(streamId: number, flags: number, payload: Buffer): void {
    // spdystream drops DATA for unknown streams; a reset stream's late frames land here too.
    this.streams.get(streamId)?.deliver(payload, (flags & FLAG_FIN) !== 0);
  }

  private onControl(type: number, _flags: number, payload: Buffer): void {
    switch (type) {
      case FrameType.RstStream: {
        if (payload.length < 8) return this.fail();
        const stream = this.streams.get(payload.readUInt32BE(0) & 0x7fffffff);
        if (stream) {
          this.streams.delete(stream.id);
          stream.remoteReset();
        }
        return;
      }
      case FrameType.Ping: {
        if (payload.length < 4) return this.fail();
        const id = payload.readUInt32BE(0);
        // Odd ids are the client's (client-go pings every few seconds through the tunnel); echo them.
        // Even ids would answer our own pings, and we send none.
        if (id % 2 === 1) this.send(pingFrame(id));
        return;
      }
      case FrameType.GoAway:
        if (!this.goneAway) {
          this.goneAway = true;
          this.handler.goAway();
        }
        return;
      // SETTINGS and WINDOW_UPDATE: ignored (see the flow-control note at the top), as spdystream does.
      default:
        return;
    }
  }

  private onClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.reader.close();
    const streams = [...this.streams.values()];
    this.streams.clear();
    for (const s of streams) s.remoteReset();
    for (const w of this.drainWaiters.splice(0)) w();
    this.handler.closed();
  }
}

/**
 * SPDY/3.1 wire format, as far as client-go's SPDY streams (moby/spdystream) use it: control frames
 * (SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE) and DATA frames.
 *
 *   control: |1| version(15)=3 | type(16) |  flags(8) | length(24) | payload
 *   data:    |0| stream id(31)            |  flags(8) | length(24) | payload
 *
 * Header blocks (SYN_STREAM, SYN_REPLY, HEADERS) are zlib streams primed with the SPDY/3 dictionary, one
 * stream per direction that lives as long as the connection, each block ending on a sync flush.
 */
import * as zlib from 'node:zlib';

export const SPDY_VERSION = 3;

export const FrameType = {
  SynStream: 1,
  SynReply: 2,
  RstStream: 3,
  Settings: 4,
  Ping: 6,
  GoAway: 7,
  Headers: 8,
  WindowUpdate: 9,
} as const;

export const FLAG_FIN = 0x01;

export const RstStatus = {
  ProtocolError: 1,
  InvalidStream: 2,
  RefusedStream: 3,
  UnsupportedVersion: 4,
  Cancel: 5,
  InternalError: 6,
} as const;

export const GoAwayStatus = { Ok: 0, ProtocolError: 1, InternalError: 2 } as const;

/** Largest payload a frame's 24-bit length can carry. */
export const MAX_FRAME_PAYLOAD = 0xffffff;

export type Frame =
  | { kind: 'data'; streamId: number; flags: number; payload: Buffer }
  | { kind: 'control'; version: number; type: number; flags: number; payload: Buffer };

/** Header names are lowercase on the wire; a value holding several values separates them with NUL. */
export type HeaderBlock = Map<string, string[]>;

/**
 * The SPDY/3 header dictionary (draft-mbelshe-httpbis-spdy-00 §2.6.10.1): length-prefixed common header
 * names and values, then a run of status codes, reason phrases and common values.
 */
const DICTIONARY_WORDS = [
  'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding',
  'accept-language', 'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection',
  'content-base', 'content-encoding', 'content-language', 'content-length', 'content-location', 'content-md5',
  'content-range', 'content-type', 'date', 'etag', 'expect', 'expires', 'from', 'host', 'if-match',
  'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since', 'last-modified', 'location',
  'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer', 'retry-after',
  'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via', 'warning',
  'www-authenticate', 'method', 'get', 'status', '200 OK', 'version', 'HTTP/1.1', 'url', 'public', 'set-cookie',
  'keep-alive', 'origin',
];
const DICTIONARY_TAIL =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
  '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized' +
  '403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable' +
  'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,' +
  'text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

export const SPDY_DICTIONARY: Buffer = Buffer.concat([
  ...DICTIONARY_WORDS.map((w) => {
    const b = Buffer.alloc(4 + w.length);
    b.writeUInt32BE(w.length, 0);
    b.write(w, 4, 'latin1');
    return b;
  }),
  Buffer.from(DICTIONARY_TAIL, 'latin1'),
]);

function adler32(data: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** Splits a byte stream into frames; frames may arrive cut anywhere (the tunnel does not align them). */
export class FrameParser {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(chunk: Buffer, onFrame: (frame: Frame) => void): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= 8) {
      const head = this.peek(8);
      const length = head.readUIntBE(5, 3);
      if (this.buffered < 8 + length) return;
      const frame = this.take(8 + length);
      const payload = frame.subarray(8);
      const flags = frame[4];
      if (frame[0] & 0x80) {
        onFrame({ kind: 'control', version: frame.readUInt16BE(0) & 0x7fff, type: frame.readUInt16BE(2), flags, payload });
      } else {
        onFrame({ kind: 'data', streamId: frame.readUInt32BE(0) & 0x7fffffff, flags, payload });
      }
    }
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0].subarray(0, n);
  }

  private take(n: number): Buffer {
    if (this.chunks[0].length < n) this.chunks = [Buffer.concat(this.chunks)];
    const first = this.chunks[0];
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return out;
  }
}

export function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(8 + payload.length);
  frame.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  frame.writeUInt16BE(type, 2);
  frame[4] = flags;
  frame.writeUIntBE(payload.length, 5, 3);
  payload.copy(frame, 8);
  return frame;
}

export function dataFrame(streamId: number, flags: number, payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(8 + payload.length);
  frame.writeUInt32BE(streamId & 0x7fffffff, 0);
  frame[4] = flags;
  frame.writeUIntBE(payload.length, 5, 3);
  payload.copy(frame, 8);
  return frame;
}

function words(...values: number[]): Buffer {
  const b = Buffer.allocUnsafe(values.length * 4);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
}

export function synReplyFrame(streamId: number, flags: number, block: Buffer): Buffer {
  return controlFrame(FrameType.SynReply, flags, Buffer.concat([words(streamId & 0x7fffffff), block]));
}

export function rstStreamFrame(streamId: number, status: number): Buffer {
  return controlFrame(FrameType.RstStream, 0, words(streamId & 0x7fffffff, status));
}

export function pingFrame(id: number): Buffer {
  return controlFrame(FrameType.Ping, 0, words(id));
}

export function goAwayFrame(lastGoodStreamId: number, status: number): Buffer {
  return controlFrame(FrameType.GoAway, 0, words(lastGoodStreamId & 0x7fffffff, status));
}

export function encodeHeaderBlock(headers: HeaderBlock): Buffer {
  const parts: Buffer[] = [words(headers.size)];
  for (const [name, values] of headers) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(values.join('\0'), 'utf8');
    parts.push(words(n.length), n, words(v.length), v);
  }
  return Buffer.concat(parts);
}

export function parseHeaderBlock(raw: Buffer): HeaderBlock {
  const headers: HeaderBlock = new Map();
  let off = 0;
  const need = (n: number): void => {
    if (off + n > raw.length) throw new Error('truncated SPDY header block');
  };
  need(4);
  const count = raw.readUInt32BE(off);
  off += 4;
  for (let i = 0; i < count; i++) {
    need(4);
    const nameLength = raw.readUInt32BE(off);
    off += 4;
    need(nameLength);
    const name = raw.toString('utf8', off, off + nameLength).toLowerCase();
    off += nameLength;
    need(4);
    const valueLength = raw.readUInt32BE(off);
    off += 4;
    need(valueLength);
    const values = raw.toString('utf8', off, off + valueLength).split('\0');
    off += valueLength;
    headers.set(name, [...(headers.get(name) ?? []), ...values]);
  }
  return headers;
}

/** Stored-block payload limit of deflate (LEN is 16 bits). */
const MAX_STORED = 0xffff;
const SYNC_FLUSH_MARKER = Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]);

/**
 * Compresses our header blocks. It emits *stored* (uncompressed) deflate blocks: a valid zlib stream for
 * any inflater, synchronous, and independent of earlier blocks, so a SYN_REPLY can be written the moment it
 * is needed without an async zlib round trip that would have to be ordered against the data that follows.
 * Each header block ends with the empty stored block a Z_SYNC_FLUSH writes, as the peer expects. The zlib header
 * announces the dictionary (FDICT) like a real SPDY compressor, though stored blocks never reference it.
 */
export class HeaderBlockWriter {
  private started = false;

  encode(headers: HeaderBlock): Buffer {
    const raw = encodeHeaderBlock(headers);
    const parts: Buffer[] = [];
    if (!this.started) {
      this.started = true;
      // CMF 0x78 (deflate, 32 KiB window); FLG 0x20: FDICT, level 0, and 0x7820 is a multiple of 31.
      const zhead = Buffer.from([0x78, 0x20, 0, 0, 0, 0]);
      zhead.writeUInt32BE(adler32(SPDY_DICTIONARY), 2);
      parts.push(zhead);
    }
    for (let off = 0; off < raw.length; off += MAX_STORED) {
      const piece = raw.subarray(off, off + MAX_STORED);
      const head = Buffer.alloc(5);
      head[0] = 0x00; // BFINAL=0, BTYPE=00 (stored), padding to the byte boundary.
      head.writeUInt16LE(piece.length, 1);
      head.writeUInt16LE(~piece.length & 0xffff, 3);
      parts.push(head, piece);
    }
    // The sync-flush marker, an empty stored block: Go's inflater hands out a block's bytes only when it
    // reaches the next block header, so without it the SPDY framer sees the header block as truncated.
    parts.push(SYNC_FLUSH_MARKER);
    return Buffer.concat(parts);
  }
}

/**
 * Decompresses the peer's header blocks on one long-lived inflate stream (the peer's compressor keeps its
 * window across blocks, so each block may refer back to earlier ones). Node offers no synchronous
 * streaming inflate, so decode is async; callers must decode one block at a time, in arrival order.
 */
export class HeaderBlockReader {
  private readonly inflate = zlib.createInflate({ dictionary: SPDY_DICTIONARY });
  private failed: Error | undefined;
  private pendingReject: ((err: Error) => void) | undefined;

  constructor() {
    this.inflate.on('error', (err) => {
      this.failed = err;
      this.pendingReject?.(err);
      this.pendingReject = undefined;
    });
  }

  decode(block: Buffer): Promise<HeaderBlock> {
    return new Promise((resolve, reject) => {
      if (this.failed) {
        reject(this.failed);
        return;
      }
      this.pendingReject = reject;
      this.inflate.write(block);
      // The peer ended the block with a sync flush, so flushing here yields the whole block. Output is
      // pushed before the flush callback runs; it is read in paused mode so none is missed.
      this.inflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        this.pendingReject = undefined;
        if (this.failed) {
          reject(this.failed);
          return;
        }
        const out: Buffer[] = [];
        for (let c = this.inflate.read() as Buffer | null; c !== null; c = this.inflate.read() as Buffer | null) {
          out.push(c);
        }
        try {
          resolve(parseHeaderBlock(Buffer.concat(out)));
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
  }

  close(): void {
    this.inflate.destroy();
  }
}

/**
 * A raw channel-protocol WebSocket client for the streaming tests, to check framing details that
 * client-node hides (negotiated protocol, first frames, close codes, HTTP errors before the upgrade).
 */
import WebSocket from 'ws';

export interface Frame {
  channel: number;
  data: Buffer;
}

export interface RawStream {
  ws: WebSocket;
  protocol: string;
  frames: Frame[];
  /** Concatenated payloads of one channel (for the base64 protocols, already decoded). */
  channel(n: number): Buffer;
  send(channel: number, data: Buffer | string): void;
  closed: Promise<{ code: number; reason: string }>;
}

export interface HttpRefusal {
  status: number;
  body: string;
}

/** Opens a stream; rejects with an HttpRefusal when the server answers without upgrading. */
export function openRaw(url: string, protocols: string[], opts: { base64?: boolean } = {}): Promise<RawStream> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { perMessageDeflate: false });
    const frames: Frame[] = [];
    ws.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        reject({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() } satisfies HttpRefusal);
        ws.terminate();
      });
    });
    ws.on('error', reject);
    ws.on('message', (data: Buffer, isBinary) => {
      if (opts.base64 && !isBinary) {
        const text = data.toString('latin1');
        frames.push({ channel: text.charCodeAt(0) - 48, data: Buffer.from(text.slice(1), 'base64') });
      } else {
        frames.push({ channel: data[0], data: data.subarray(1) });
      }
    });
    const closed = new Promise<{ code: number; reason: string }>((res) => {
      ws.on('close', (code, reason) => res({ code, reason: reason.toString() }));
    });
    ws.on('open', () => resolve({
      ws,
      protocol: ws.protocol,
      frames,
      channel: (n) => Buffer.concat(frames.filter((f) => f.channel === n).map((f) => f.data)),
      send: (channel, data) => {
        const payload = Buffer.from(data);
        if (opts.base64) ws.send(String.fromCharCode(48 + channel) + payload.toString('base64'));
        else ws.send(Buffer.concat([Buffer.from([channel]), payload]));
      },
      closed,
    }));
  });
}

/** The error-channel JSON of a finished stream. */
export function statusOf(stream: RawStream): unknown {
  return JSON.parse(stream.channel(3).toString());
}

/**
 * port-forward over SPDY/3.1 (test/cluster/api/streaming/spdy-*.ts), plain and tunnelled in a WebSocket:
 * the framing on its own, a raw SPDY client (with a real zlib compressor, as Go's) for protocol details,
 * and the real kubectl in both of its modes when installed. The kubelet is the host-TCP fake.
 */
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import {
  controlFrame, dataFrame, encodeHeaderBlock, FLAG_FIN, FrameParser, FrameType, HeaderBlockReader, HeaderBlockWriter,
  parseHeaderBlock, pingFrame, rstStreamFrame, RstStatus, SPDY_DICTIONARY, goAwayFrame, type Frame, type HeaderBlock,
} from '../../cluster/api/streaming/spdy-framing';
import { FakeKubelet } from './helpers/streaming-kubelet';
import { startStreamingServer, testPod, type StreamingTestServer } from './helpers/streaming-server';
import { unavailable } from './helpers/requirePods';

const NS = 'default';

/** Poll until `cond` holds; fails with `what` if it never does (a bound against hangs, not a timing test). */
async function waitFor(cond: () => boolean, what: string, limitMs = 15000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function headers(entries: Record<string, string>): HeaderBlock {
  return new Map(Object.entries(entries).map(([k, v]) => [k, [v]]));
}

/** A port nothing listens on (bound, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const tmp = net.createServer();
    tmp.listen(0, '127.0.0.1', () => {
      const p = (tmp.address() as net.AddressInfo).port;
      tmp.close(() => resolve(p));
    });
  });
}

/** Sends `data` through a TCP connection, half-closes, and returns everything received until the end. */
function roundTrip(port: number, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
    socket.end(data);
  });
}

describe('loopback streaming: port-forward over SPDY/3.1', function () {
  describe('framing', () => {
    it('builds the SPDY/3 header dictionary byte-exact (the sha256 of spdystream\'s copy)', () => {
      assert.equal(SPDY_DICTIONARY.length, 1423);
      assert.equal(sha256(SPDY_DICTIONARY), '51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02');
    });

    it('writes header blocks any inflater reads with the dictionary, each ending on a sync flush', () => {
      const writer = new HeaderBlockWriter();
      const blocks = [headers({ a: 'b' }), new Map(), headers({ port: '80', streamtype: 'data' })].map((h) => writer.encode(h));
      for (const b of blocks) assert.deepEqual(b.subarray(-4), Buffer.from([0x00, 0x00, 0xff, 0xff]));
      const raw = zlib.inflateSync(Buffer.concat(blocks), { dictionary: SPDY_DICTIONARY, finishFlush: zlib.constants.Z_SYNC_FLUSH });
      assert.deepEqual(raw, Buffer.concat([headers({ a: 'b' }), new Map(), headers({ port: '80', streamtype: 'data' })]
        .map((h) => encodeHeaderBlock(h))));
    });

    it('reads blocks of one shared compressor context, later blocks referring to earlier ones', async () => {
      const deflate = zlib.createDeflate({ dictionary: SPDY_DICTIONARY });
      const reader = new HeaderBlockReader();
      const sent = [headers({ streamtype: 'error', port: '8080', requestid: '0' }),
        headers({ streamtype: 'data', port: '8080', requestid: '0' }), headers({ multi: 'x\0y' })];
      const sizes: number[] = [];
      for (const h of sent) {
        const block = await compress(deflate, h);
        sizes.push(block.length);
        assert.deepEqual(await reader.decode(block), h.has('multi') ? new Map([['multi', ['x', 'y']]]) : h);
      }
      assert.ok(sizes[1] < sizes[0] / 2, 'the second block reuses the first through the shared window');
      reader.close();
    });

    it('parses frames cut at every byte', () => {
      const wire = Buffer.concat([pingFrame(7), dataFrame(3, FLAG_FIN, Buffer.from('hello')), rstStreamFrame(5, RstStatus.Cancel)]);
      const frames: Frame[] = [];
      const parser = new FrameParser();
      for (const byte of wire) parser.push(Buffer.from([byte]), (f) => frames.push(f));
      assert.deepEqual(frames.map((f) => f.kind === 'data' ? ['data', f.streamId, f.flags, f.payload.toString()] : ['control', f.type, f.payload.readUInt32BE(0)]),
        [['control', FrameType.Ping, 7], ['data', 3, FLAG_FIN, 'hello'], ['control', FrameType.RstStream, 5]]);
    });

    it('parses header blocks with NUL-separated values and rejects truncated ones', () => {
      assert.deepEqual(parseHeaderBlock(encodeHeaderBlock(headers({ A: '1\u00002' }))), new Map([['a', ['1', '2']]]));
      assert.throws(() => parseHeaderBlock(encodeHeaderBlock(headers({ a: 'b' })).subarray(0, 10)), /truncated/);
    });
  });

  let kubelet: FakeKubelet;
  let server: StreamingTestServer;
  let echo: net.Server;
  let echoPort: number;
  /** Pod-side connections the echo server has seen, to check that each one is closed. */
  let podSockets: net.Socket[];

  beforeEach(async () => {
    kubelet = new FakeKubelet();
    server = await startStreamingServer(kubelet);
    server.addPod(testPod('app', ['main']));
    kubelet.startContainer(NS, 'app', 'main');
    podSockets = [];
    echo = net.createServer({ allowHalfOpen: true }, (s) => {
      podSockets.push(s);
      s.on('error', () => undefined);
      s.pipe(s);
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    echoPort = (echo.address() as net.AddressInfo).port;
  });

  afterEach(async () => {
    try {
      await waitFor(() => server.openConnections() === 0, `server connections to close (${server.openConnections()} open)`);
      await waitFor(() => podSockets.every((s) => s.destroyed), 'pod connections to close');
    } finally {
      await new Promise<void>((r) => echo.close(() => r()));
      await kubelet.dispose();
      await server.close();
    }
  });

  describe('raw SPDY client (plain upgrade)', () => {
    it('answers 101 with the SPDY upgrade and the negotiated protocol', async () => {
      const c = await RawSpdyClient.open(server.port);
      assert.equal(c.status, 101);
      assert.match(c.head, /^upgrade: SPDY\/3\.1$/im);
      assert.match(c.head, /^connection: upgrade$/im);
      assert.match(c.head, /^x-stream-protocol-version: portforward\.k8s\.io$/im);
      c.socket.destroy();
    });

    it('replies to both streams, relays the data stream, FINs both, echoes pings and closes after GOAWAY', async () => {
      const c = await RawSpdyClient.open(server.port);
      await c.synStream(1, { streamtype: 'error', port: String(echoPort), requestid: '0' }, true);
      await c.synStream(3, { streamtype: 'data', port: String(echoPort), requestid: '0' });
      await c.waitFor((f) => c.isReply(f, 3), 'SYN_REPLY 3');
      assert.deepEqual(c.replies, [{ id: 1, headers: new Map() }, { id: 3, headers: new Map() }]);
      c.write(pingFrame(1));
      c.write(dataFrame(3, 0, Buffer.from('hello ')));
      c.write(dataFrame(3, FLAG_FIN, Buffer.from('pod')));
      await c.waitFor((f) => c.isFin(f, 1), 'FIN on the error stream');
      assert.equal(c.data(3).toString(), 'hello pod');
      assert.ok(c.frames.some((f) => c.isFin(f, 3)));
      assert.equal(c.data(1).length, 0, 'no error');
      assert.ok(c.frames.some((f) => f.kind === 'control' && f.type === FrameType.Ping && f.payload.readUInt32BE(0) === 1));
      c.write(goAwayFrame(3, 0));
      await c.closed;
    });

    it('pairs streams by request id across interleaved connections', async () => {
      const c = await RawSpdyClient.open(server.port);
      const h = (type: string, id: string): Record<string, string> => ({ streamtype: type, port: String(echoPort), requestid: id });
      await c.synStream(1, h('error', 'a'), true);
      await c.synStream(3, h('error', 'b'), true);
      await c.synStream(5, h('data', 'b'));
      await c.synStream(7, h('data', 'a'));
      c.write(dataFrame(7, FLAG_FIN, Buffer.from('to a')));
      c.write(dataFrame(5, FLAG_FIN, Buffer.from('to b')));
      await c.waitFor(() => c.frames.some((f) => c.isFin(f, 1)) && c.frames.some((f) => c.isFin(f, 3)), 'both pairs to end');
      assert.equal(c.data(7).toString(), 'to a');
      assert.equal(c.data(5).toString(), 'to b');
      c.socket.destroy();
    });

    it('writes the kubelet\'s message on the error stream when the pod port refuses', async () => {
      const port = await closedPort();
      const c = await RawSpdyClient.open(server.port);
      await c.synStream(1, { streamtype: 'error', port: String(port), requestid: '0' }, true);
      await c.synStream(3, { streamtype: 'data', port: String(port), requestid: '0' });
      await c.waitFor((f) => c.isFin(f, 1), 'FIN on the error stream');
      assert.match(c.data(1).toString(),
        new RegExp(`^error forwarding port ${port} to pod uid-app, uid : .*dial tcp4 127\\.0\\.0\\.1:${port}: connect: connection refused$`));
      assert.ok(c.frames.some((f) => c.isFin(f, 3)));
      c.socket.destroy();
    });

    it('resets streams with bad headers (RST_STREAM CANCEL), as the kubelet does', async () => {
      const c = await RawSpdyClient.open(server.port);
      await c.synStream(1, { streamtype: 'error' });
      await c.synStream(3, { streamtype: 'bogus', port: '80' });
      await c.synStream(5, { streamtype: 'data', port: '0' });
      await c.waitFor((f) => c.isRst(f, 5), 'RST_STREAM 5');
      for (const id of [1, 3, 5]) {
        const rst = c.frames.find((f) => c.isRst(f, id));
        assert.ok(rst && rst.kind === 'control');
        assert.equal(rst.payload.readUInt32BE(4), RstStatus.Cancel);
      }
      assert.equal(c.replies.length, 0);
      c.socket.destroy();
    });

    it('drops the pod connection when the client resets the data stream, and ends the error stream', async () => {
      const c = await RawSpdyClient.open(server.port);
      await c.synStream(1, { streamtype: 'error', port: String(echoPort), requestid: '0' }, true);
      await c.synStream(3, { streamtype: 'data', port: String(echoPort), requestid: '0' });
      c.write(dataFrame(3, 0, Buffer.from('x')));
      await c.waitFor(() => c.data(3).length === 1, 'the echo');
      c.write(rstStreamFrame(3, RstStatus.Cancel));
      await c.waitFor((f) => c.isFin(f, 1), 'FIN on the error stream');
      await waitFor(() => podSockets.length === 1 && podSockets[0].destroyed, 'the pod connection to close');
      c.socket.destroy();
    });

    it('drops pod connections when the client connection goes away', async () => {
      const c = await RawSpdyClient.open(server.port);
      await c.synStream(1, { streamtype: 'error', port: String(echoPort), requestid: '0' }, true);
      await c.synStream(3, { streamtype: 'data', port: String(echoPort), requestid: '0' });
      c.write(dataFrame(3, 0, Buffer.from('x')));
      await c.waitFor(() => c.data(3).length === 1, 'the echo');
      c.socket.destroy();
      await waitFor(() => podSockets.length === 1 && podSockets[0].destroyed, 'the pod connection to close');
    });

    it('refuses a missing or foreign X-Stream-Protocol-Version, and a tunnel without portforward.k8s.io', async () => {
      const missing = await rawRequest(server.port, 'POST', 'Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\n');
      assert.equal(missing.status, 400);
      assert.match(JSON.parse(missing.body).message, /X-Stream-Protocol-Version is required/);
      const foreign = await rawRequest(server.port, 'POST',
        'Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n');
      assert.equal(foreign.status, 403);
      assert.match(JSON.parse(foreign.body).message, /unable to negotiate protocol: client supports \[v4\.channel\.k8s\.io\], server accepts \[portforward\.k8s\.io\]/);
      const tunnel = await rawRequest(server.port, 'GET', 'Connection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: SPDY/3.1+v4.channel.k8s.io\r\n');
      assert.equal(tunnel.status, 403);
    });

    it('accepts the tunnel handshake with the SPDY/3.1+portforward.k8s.io subprotocol', async () => {
      const r = await rawRequest(server.port, 'GET', 'Connection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
        'Sec-WebSocket-Protocol: SPDY/3.1+portforward.k8s.io\r\n', true);
      assert.equal(r.status, 101);
      assert.match(r.head, /^sec-websocket-protocol: SPDY\/3\.1\+portforward\.k8s\.io$/im);
    });
  });

  describe('kubectl port-forward', function () {
    const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
    let dir: string;
    let children: ChildProcess[];
    before(function () {
      if (kubectl.error) {
        unavailable(this, 'kubectl is not on PATH');
      }
    });
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streaming-spdy-'));
      children = [];
    });
    afterEach(async () => {
      // Only the kubectl processes this test started, by their pid.
      await Promise.all(children.map((child) => new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else {
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }
      })));
      fs.rmSync(dir, { recursive: true, force: true });
    });

    interface Forwarding { child: ChildProcess; localPort: number; stderr: () => string; exited: Promise<number | null> }

    /** Starts `kubectl port-forward pod/app :REMOTE` and resolves once it listens. */
    function portForward(remotePort: number, mode: 'tunnel' | 'spdy'): Promise<Forwarding> {
      const env: NodeJS.ProcessEnv = { ...process.env, HOME: dir, KUBECONFIG: '' };
      // kubectl's default is the WebSocket tunnel; false selects the plain SPDY upgrade.
      if (mode === 'spdy') env.KUBECTL_PORT_FORWARD_WEBSOCKETS = 'false';
      else delete env.KUBECTL_PORT_FORWARD_WEBSOCKETS;
      const child = spawn('kubectl', ['--kubeconfig', server.writeKubeconfig(dir), '--cache-dir', path.join(dir, 'cache'),
        'port-forward', '--address', '127.0.0.1', 'pod/app', `:${remotePort}`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let stdout = '';
      let stderr = '';
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      return new Promise((resolve, reject) => {
        child.stderr?.on('data', (d: Buffer) => { stderr += d; });
        child.stdout?.on('data', (d: Buffer) => {
          stdout += d;
          const m = /Forwarding from 127\.0\.0\.1:(\d+) ->/.exec(stdout);
          if (m) resolve({ child, localPort: Number(m[1]), stderr: () => stderr, exited });
        });
        void exited.then((code) => reject(new Error(`kubectl exited (${code}) before forwarding: ${stderr}`)));
      });
    }

    for (const mode of ['tunnel', 'spdy'] as const) {
      const label = mode === 'tunnel' ? 'SPDY tunnelled in a WebSocket (default)' : 'plain SPDY (KUBECTL_PORT_FORWARD_WEBSOCKETS=false)';
      describe(label, () => {
        it('carries 10 MiB both ways intact', async () => {
          const pf = await portForward(echoPort, mode);
          const data = randomBytes(10 * 1024 * 1024);
          const back = await roundTrip(pf.localPort, data);
          assert.equal(back.length, data.length);
          assert.equal(sha256(back), sha256(data));
          // kubectl falls back from the tunnel to plain SPDY on any refusal: make sure it did not.
          assert.deepEqual(server.upgrades, [mode === 'tunnel' ? 'websocket' : 'SPDY/3.1']);
        });

        it('serves several concurrent connections on one forward', async () => {
          const pf = await portForward(echoPort, mode);
          const payloads = Array.from({ length: 6 }, (_, i) => randomBytes(512 * 1024 + i));
          const results = await Promise.all(payloads.map((p) => roundTrip(pf.localPort, p)));
          results.forEach((r, i) => assert.equal(sha256(r), sha256(payloads[i]), `connection ${i}`));
          assert.equal(podSockets.length, payloads.length);
        });

        it('reports a refused pod port with the kubelet\'s message and loses the connection', async () => {
          const port = await closedPort();
          const pf = await portForward(port, mode);
          const back = await roundTrip(pf.localPort, Buffer.from('anyone?')).catch(() => Buffer.alloc(0));
          assert.equal(back.length, 0);
          const code = await pf.exited;
          assert.notEqual(code, 0);
          assert.match(pf.stderr(), new RegExp(`an error occurred forwarding \\d+ -> ${port}: error forwarding port ${port} ` +
            'to pod uid-app, uid : .*connection refused'));
          assert.match(pf.stderr(), /lost connection to pod/);
        });
      });
    }
  });
});

/** One header block from a real zlib compressor with the SPDY dictionary, ended by a sync flush (as Go does). */
function compress(deflate: zlib.Deflate, h: HeaderBlock): Promise<Buffer> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const onData = (c: Buffer): void => { out.push(c); };
    deflate.on('data', onData);
    deflate.write(encodeHeaderBlock(h));
    deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      // Output pushed during the flush may be emitted on the next tick.
      setImmediate(() => {
        deflate.off('data', onData);
        resolve(Buffer.concat(out));
      });
    });
  });
}

/** An upgrade request written by hand; resolves with the status and head once the answer is complete. */
function rawRequest(port: number, method: string, extra: string, upgradeExpected = false):
  Promise<{ status: number; head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(`${method} /api/v1/namespaces/${NS}/pods/app/portforward HTTP/1.1\r\nHost: x\r\n${extra}\r\n`);
    });
    let text = '';
    socket.on('data', (c: Buffer) => {
      text += c.toString('latin1');
      if (upgradeExpected && text.includes('\r\n\r\n')) socket.destroy();
    });
    socket.on('error', reject);
    socket.on('close', () => {
      const end = text.indexOf('\r\n\r\n');
      resolve({ status: Number(text.split(' ')[1]), head: text.slice(0, end), body: text.slice(end + 4) });
    });
  });
}

/** A minimal SPDY/3.1 client on a plain upgrade, compressing its headers like Go's framer. */
class RawSpdyClient {
  readonly frames: Frame[] = [];
  readonly replies: Array<{ id: number; headers: HeaderBlock }> = [];
  private readonly deflate = zlib.createDeflate({ dictionary: SPDY_DICTIONARY });
  private readonly reader = new HeaderBlockReader();
  private readonly parser = new FrameParser();
  private decoding: Promise<void> = Promise.resolve();
  private listeners: Array<() => void> = [];
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket, readonly status: number, readonly head: string) {
    this.closed = new Promise((resolve) => socket.once('close', () => {
      this.reader.close();
      this.deflate.close();
      resolve();
    }));
  }

  static open(port: number): Promise<RawSpdyClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write(`POST /api/v1/namespaces/${NS}/pods/app/portforward HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n` +
          'Upgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n');
      });
      socket.on('error', reject);
      let buffered = Buffer.alloc(0);
      const onHead = (c: Buffer): void => {
        buffered = Buffer.concat([buffered, c]);
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onHead);
        const head = buffered.subarray(0, end).toString('latin1');
        const client = new RawSpdyClient(socket, Number(head.split(' ')[1]), head);
        socket.on('data', (d: Buffer) => client.receive(d));
        client.receive(buffered.subarray(end + 4));
        resolve(client);
      };
      socket.on('data', onHead);
    });
  }

  private receive(chunk: Buffer): void {
    this.parser.push(chunk, (f) => {
      if (f.kind === 'control' && f.type === FrameType.SynReply) {
        // Decode in arrival order (one shared inflate context) before the frame counts as received.
        this.decoding = this.decoding.then(async () => {
          this.replies.push({ id: f.payload.readUInt32BE(0), headers: await this.reader.decode(f.payload.subarray(4)) });
          this.add(f);
        });
      } else {
        this.decoding = this.decoding.then(() => this.add(f));
      }
    });
  }

  private add(f: Frame): void {
    this.frames.push(f);
    for (const l of this.listeners) l();
  }

  write(frame: Buffer): void {
    this.socket.write(frame);
  }

  async synStream(id: number, h: Record<string, string>, fin = false): Promise<void> {
    const block = await compress(this.deflate, headers(h));
    const fixed = Buffer.alloc(10);
    fixed.writeUInt32BE(id, 0);
    this.write(controlFrame(FrameType.SynStream, fin ? FLAG_FIN : 0, Buffer.concat([fixed, block])));
  }

  isReply(f: Frame, id: number): boolean {
    return f.kind === 'control' && f.type === FrameType.SynReply && f.payload.readUInt32BE(0) === id;
  }

  isRst(f: Frame, id: number): boolean {
    return f.kind === 'control' && f.type === FrameType.RstStream && f.payload.readUInt32BE(0) === id;
  }

  isFin(f: Frame, id: number): boolean {
    return f.kind === 'data' && f.streamId === id && (f.flags & FLAG_FIN) !== 0;
  }

  data(id: number): Buffer {
    return Buffer.concat(this.frames.flatMap((f) => f.kind === 'data' && f.streamId === id ? [f.payload] : []));
  }

  /** Resolves once a received frame matches (or, with a zero-argument predicate, once it holds). */
  waitFor(pred: (f: Frame) => boolean, what: string): Promise<void> {
    const holds = (): boolean => pred.length === 0 ? (pred as () => boolean)() : this.frames.some(pred);
    return new Promise((resolve, reject) => {
      if (holds()) return resolve();
      const check = (): void => {
        if (!holds()) return;
        this.listeners = this.listeners.filter((l) => l !== check);
        resolve();
      };
      this.listeners.push(check);
      this.socket.once('close', () => { if (!holds()) reject(new Error(`connection closed before ${what}`)); });
    });
  }
}

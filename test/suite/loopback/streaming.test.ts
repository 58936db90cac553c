/**
 * exec / attach / port-forward over WebSocket (test/cluster/api/streaming.ts), driven by the real
 * @kubernetes/client-node classes, a raw ws client for framing details, and kubectl when installed.
 * The kubelet is a host-process fake; the API server a minimal router (helpers/streaming-server.ts).
 */
import * as assert from 'node:assert/strict';
import { spawnSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { Attach, Exec, PortForward, type V1Status } from '@kubernetes/client-node';
import type WebSocket from 'ws';
import { FakeKubelet } from './helpers/streaming-kubelet';
import { openRaw, statusOf, type HttpRefusal, type RawStream } from './helpers/streaming-client';
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

function collector(): { stream: Writable; text: () => string; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  const stream = new Writable({ write(chunk: Buffer, _e, cb) { chunks.push(Buffer.from(chunk)); cb(); } });
  return { stream, text: () => Buffer.concat(chunks).toString(), bytes: () => Buffer.concat(chunks) };
}

function closedOf(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => {
    if (ws.readyState === ws.CLOSED) resolve(1006);
    else ws.once('close', (code: number) => resolve(code));
  });
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

describe('loopback streaming: exec, attach, port-forward over WebSocket', function () {
  let kubelet: FakeKubelet;
  let server: StreamingTestServer;

  const wsUrl = (pod: string, sub: string, query: string): string =>
    `ws://127.0.0.1:${server.port}/api/v1/namespaces/${NS}/pods/${pod}/${sub}?${query}`;

  async function refusal(url: string, protocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io']): Promise<HttpRefusal> {
    try {
      const s = await openRaw(url, protocols);
      s.ws.terminate();
    } catch (e) {
      if (typeof e === 'object' && e !== null && 'status' in e) return e as HttpRefusal;
      throw e;
    }
    throw new Error('expected the upgrade to be refused');
  }

  /** An upgrade request written by hand, for what the ws client refuses to send. */
  function rawUpgrade(pathAndQuery: string, method: string, headers: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(server.port, '127.0.0.1', () => {
        socket.write(`${method} ${pathAndQuery} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n${headers}\r\n`);
      });
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('error', reject);
      socket.on('close', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: Number(text.split(' ')[1]), body: text.slice(text.indexOf('\r\n\r\n') + 4) });
      });
    });
  }

  async function execVia(command: string[], stdin: Readable | null, tty = false): Promise<{ out: string; err: string; status: V1Status | undefined }> {
    const out = collector();
    const err = collector();
    let status: V1Status | undefined;
    const ws = await new Exec(server.kubeConfig()).exec(NS, 'app', 'main', command, out.stream, err.stream, stdin, tty,
      (s) => { status = s; });
    await closedOf(ws as unknown as WebSocket);
    return { out: out.text(), err: err.text(), status };
  }

  beforeEach(async () => {
    kubelet = new FakeKubelet();
    server = await startStreamingServer(kubelet);
    server.addPod(testPod('app', ['main']));
    kubelet.startContainer(NS, 'app', 'main');
    server.addPod(testPod('two', ['web', 'sidecar'], { initContainers: ['init'], annotations: { 'kubectl.kubernetes.io/default-container': 'web' } }));
    kubelet.startContainer(NS, 'two', 'web');
    server.addPod(testPod('stopped', ['main']));
    server.addPod(testPod('pending', ['main'], { nodeName: '' }));
  });

  afterEach(async () => {
    // Every stream must have closed its socket on the server side by itself.
    try {
      await waitFor(() => server.openConnections() === 0, `server connections to close (${server.openConnections()} open)`);
    } finally {
      await kubelet.dispose();
      await server.close();
    }
  });

  describe('exec', () => {
    it('separates stdout from stderr and reports success on the status channel', async () => {
      const r = await execVia(['sh', '-c', 'echo to-out; echo to-err >&2'], null);
      assert.equal(r.out, 'to-out\n');
      assert.equal(r.err, 'to-err\n');
      assert.deepEqual(r.status, { metadata: {}, status: 'Success' });
    });

    it('reports a non-zero exit as NonZeroExitCode with an ExitCode cause', async () => {
      const r = await execVia(['sh', '-c', 'exit 3'], null);
      assert.deepEqual(r.status, {
        metadata: {}, status: 'Failure',
        message: 'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3',
        reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] },
      });
    });

    it('ends the process stdin on a v5 [255, 0] close frame (cat terminates)', async () => {
      const input = Readable.from([Buffer.from('hello '), Buffer.from('world\n')]);
      const r = await execVia(['cat'], input);
      assert.equal(r.out, 'hello world\n');
      assert.equal(r.status?.status, 'Success');
    });

    it('negotiates v5 with client-node and sends the status byte-exact, then closes with 1000', async () => {
      const s = await openRaw(wsUrl('app', 'exec', 'command=sh&command=-c&command=exit%203&stdout=true'),
        ['v5.channel.k8s.io', 'v4.channel.k8s.io']);
      assert.equal(s.protocol, 'v5.channel.k8s.io');
      const { code } = await s.closed;
      assert.equal(code, 1000);
      // The kubelet's "connection established" empty frame on the lowest writable channel comes first.
      assert.deepEqual(s.frames[0], { channel: 1, data: Buffer.alloc(0) });
      assert.equal(s.channel(3).toString(), '{"metadata":{},"status":"Failure","message":"command terminated with ' +
        'non-zero exit code: error executing command [sh -c exit 3], exit code 3","reason":"NonZeroExitCode",' +
        '"details":{"causes":[{"reason":"ExitCode","message":"3"}]}}');
    });

    it('speaks v4 when only v4 is offered (stdin via channel 0, status JSON)', async () => {
      const s = await openRaw(wsUrl('app', 'exec', 'command=head&command=-n1&stdin=true&stdout=true'), ['v4.channel.k8s.io']);
      assert.equal(s.protocol, 'v4.channel.k8s.io');
      s.send(0, 'line one\nline two\n');
      await s.closed;
      assert.equal(s.channel(1).toString(), 'line one\n');
      assert.deepEqual(statusOf(s), { metadata: {}, status: 'Success' });
    });

    it('speaks v4.base64 (text frames, ASCII channel digits)', async () => {
      const s = await openRaw(wsUrl('app', 'exec', 'command=sh&command=-c&command=printf%20%27%5C000%5C377%27&stdout=true'),
        ['v4.base64.channel.k8s.io'], { base64: true });
      assert.equal(s.protocol, 'v4.base64.channel.k8s.io');
      await s.closed;
      assert.deepEqual(s.channel(1), Buffer.from([0x00, 0xff]));
      assert.deepEqual(statusOf(s), { metadata: {}, status: 'Success' });
    });

    it('reports a missing binary as an InternalError Status carrying the runtime message', async () => {
      const r = await execVia(['no-such-binary-xyz'], null);
      assert.equal(r.status?.status, 'Failure');
      assert.equal(r.status?.reason, 'InternalError');
      assert.equal(r.status?.code, 500);
      assert.match(r.status?.message ?? '', /^Internal error occurred: error executing command in container: failed to exec in container: .*exec: "no-such-binary-xyz": executable file not found in \$PATH/);
    });

    it('delivers resize messages (case-insensitive keys) to resize() and the pty, merging stderr with a TTY', async () => {
      const s = await openRaw(wsUrl('app', 'exec',
        'command=sh&command=-c&command=read%20x%3B%20stty%20size%3B%20echo%20e%20%3E%262&stdin=true&stdout=true&stderr=true&tty=true'),
      ['v5.channel.k8s.io']);
      s.send(4, '{"width":100,"HEIGHT":40}');
      s.send(4, '{"Width":120,');
      s.send(4, '"Height":50}');
      await waitFor(() => kubelet.resizes.length === 2, 'two resize calls');
      s.send(0, 'go\n');
      await s.closed;
      assert.deepEqual(kubelet.resizes, [{ cols: 100, rows: 40 }, { cols: 120, rows: 50 }]);
      assert.match(s.channel(1).toString(), /50 120\r\n/);
      assert.match(s.channel(1).toString(), /e\r\n/);
      assert.equal(s.channel(2).length, 0);
      assert.deepEqual(statusOf(s), { metadata: {}, status: 'Success' });
    });

    it('resizes through client-node when stdout looks like a terminal', async () => {
      const out = Object.assign(new PassThrough(), { rows: 33, columns: 99 });
      out.resume();
      const stdin = new PassThrough();
      const ws = await new Exec(server.kubeConfig()).exec(NS, 'app', 'main', ['cat'], out, null, stdin, true);
      await waitFor(() => kubelet.resizes.length > 0, 'the initial resize');
      assert.deepEqual(kubelet.resizes[0], { cols: 99, rows: 33 });
      stdin.end();
      await closedOf(ws as unknown as WebSocket);
    });

    it('keeps memory bounded when the client stops reading (backpressure to the process)', async () => {
      const total = 64 * 1024 * 1024;
      const s = await openRaw(wsUrl('app', 'exec', `command=head&command=-c&command=${total}&command=/dev/zero&stdout=true`),
        ['v5.channel.k8s.io']);
      s.ws.pause();
      // Wait until the server stops pulling from the process: it must stall far below the total.
      let last = -1;
      let stable = 0;
      await waitFor(() => {
        stable = kubelet.stdoutBytesRead === last ? stable + 1 : 0;
        last = kubelet.stdoutBytesRead;
        return stable >= 25;
      }, 'the producer to stall');
      assert.ok(kubelet.stdoutBytesRead < total / 2, `read ${kubelet.stdoutBytesRead} of ${total} while paused`);
      // Drop the buffered frames as they arrive instead of keeping 64 MiB in the test.
      s.frames.length = 0;
      let received = 0;
      s.ws.on('message', (d: Buffer) => {
        if (d[0] === 1) received += d.length - 1;
        if (d[0] !== 3) s.frames.length = 0;
      });
      s.ws.resume();
      await s.closed;
      assert.equal(received, total);
      assert.deepEqual(statusOf(s), { metadata: {}, status: 'Success' });
    });

    it('pauses the client when the process does not read its stdin (backpressure from the process)', async () => {
      const s = await openRaw(wsUrl('app', 'exec', 'command=sleep&command=1000&stdin=true&stdout=true'), ['v5.channel.k8s.io']);
      const chunk = Buffer.alloc(256 * 1024, 0x61);
      for (let i = 0; i < 128; i++) s.send(0, chunk); // 32 MiB the process never reads
      let last = -1;
      let stable = 0;
      await waitFor(() => {
        stable = s.ws.bufferedAmount === last ? stable + 1 : 0;
        last = s.ws.bufferedAmount;
        return stable >= 25;
      }, 'the upload to stall');
      const child = [...kubelet.children].find((c) => c.spawnargs[0] === 'sleep');
      assert.ok(child?.stdin, 'the sleep process');
      // The server stopped reading the socket instead of queueing the upload in memory.
      assert.ok(child.stdin.writableLength < 8 * 1024 * 1024, `queued ${child.stdin.writableLength} bytes for stdin`);
      assert.ok(s.ws.bufferedAmount > 0, 'the client still holds unsent data');
      s.ws.terminate();
      await s.closed;
    });

    it('lets the process run on when the client disconnects, closing its stdin', async () => {
      const marker = path.join(os.tmpdir(), `streaming-${process.pid}-${Date.now()}`);
      const s = await openRaw(wsUrl('app', 'exec',
        `command=sh&command=-c&command=${encodeURIComponent(`cat >/dev/null; echo done > ${marker}`)}&stdin=true&stdout=true`),
      ['v5.channel.k8s.io']);
      s.ws.close();
      await s.closed;
      // cat saw EOF, so the shell went on to write the marker: the process was not killed.
      await waitFor(() => fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === 'done\n', 'the marker file');
      fs.rmSync(marker);
    });
  });

  describe('errors before the upgrade', () => {
    it('400 when the container does not exist', async () => {
      const r = await refusal(wsUrl('app', 'exec', 'command=true&stdout=true&container=nope'));
      assert.equal(r.status, 400);
      assert.deepEqual(JSON.parse(r.body), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
        message: 'container nope is not valid for pod app', reason: 'BadRequest', code: 400 });
    });

    it('400 listing the containers when several exist and none is named (the annotation is kubectl-side)', async () => {
      const r = await refusal(wsUrl('two', 'exec', 'command=true&stdout=true'));
      assert.equal(r.status, 400);
      assert.equal(JSON.parse(r.body).message,
        'a container name must be specified for pod two, choose one of: [web sidecar] or one of the init containers: [init]');
    });

    it('defaults to the only container', async () => {
      const s = await openRaw(wsUrl('app', 'exec', 'command=echo&command=hi&stdout=true'), ['v5.channel.k8s.io']);
      await s.closed;
      assert.equal(s.channel(1).toString(), 'hi\n');
    });

    it('400 for a pod without a node, no streams, or no command', async () => {
      assert.equal(JSON.parse((await refusal(wsUrl('pending', 'exec', 'command=true&stdout=true'))).body).message,
        'pod pending does not have a host assigned');
      assert.equal(JSON.parse((await refusal(wsUrl('app', 'exec', 'command=true'))).body).message,
        'you must specify at least 1 of stdin, stdout, stderr');
      assert.equal(JSON.parse((await refusal(wsUrl('app', 'exec', 'stdout=true'))).body).message,
        'you must specify at least one command for the container');
    });

    it('passes a kubelet 4xx through as a Status (container not running)', async () => {
      const r = await refusal(wsUrl('stopped', 'exec', 'command=true&stdout=true'));
      assert.equal(r.status, 404);
      assert.equal(JSON.parse(r.body).message, 'container not found ("main")');
      assert.equal(JSON.parse(r.body).reason, 'NotFound');
    });

    it('404 from the router for a missing pod; client-node rejects the exec', async () => {
      const r = await refusal(wsUrl('ghost', 'exec', 'command=true&stdout=true'));
      assert.equal(r.status, 404);
      await assert.rejects(new Exec(server.kubeConfig()).exec(NS, 'app', 'nope', ['true'], collector().stream, null, null, false));
    });

    it('refuses unsupported subprotocols and exec over SPDY with a Status', async () => {
      const r = await refusal(wsUrl('app', 'exec', 'command=true&stdout=true'), ['v3.channel.k8s.io']);
      assert.equal(r.status, 400);
      assert.match(JSON.parse(r.body).message, /requested protocol\(s\) are not supported/);
      // exec and attach are served over WebSockets only (SPDY port-forward: streaming-spdy.test.ts).
      const spdy = await rawUpgrade(`/api/v1/namespaces/${NS}/pods/app/exec?command=true&stdout=true`, 'POST',
        'Upgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n');
      assert.equal(spdy.status, 400);
      assert.match(JSON.parse(spdy.body).message, /over WebSockets only/);
      // Validation errors are the same over SPDY.
      const bad = await rawUpgrade(`/api/v1/namespaces/${NS}/pods/app/exec?command=true&stdout=true&container=x`, 'POST',
        'Upgrade: SPDY/3.1\r\n');
      assert.equal(JSON.parse(bad.body).message, 'container x is not valid for pod app');
    });

    it('400 for missing or invalid ports', async () => {
      assert.equal(JSON.parse((await refusal(wsUrl('app', 'portforward', ''), ['v4.channel.k8s.io'])).body).message,
        'query parameter "port" is required');
      assert.equal((await refusal(wsUrl('app', 'portforward', 'ports=0'), ['v4.channel.k8s.io'])).status, 400);
      assert.equal((await refusal(wsUrl('app', 'portforward', 'ports=70000'), ['v4.channel.k8s.io'])).status, 400);
    });
  });

  describe('attach', () => {
    beforeEach(() => {
      server.addPod(testPod('svc', ['main']));
      kubelet.startContainer(NS, 'svc', 'main', ['sh', '-c', 'while read l; do echo "main:$l"; done']);
    });

    it('relays the main process, detaches on close, and reattaches to the same process', async () => {
      const attachOnce = async (line: string): Promise<string> => {
        const out = collector();
        const stdin = new PassThrough();
        const ws = await new Attach(server.kubeConfig()).attach(NS, 'svc', 'main', out.stream, null, stdin, false);
        stdin.write(`${line}\n`);
        await waitFor(() => out.text().includes(`main:${line}\n`), `the echo of ${line}`);
        ws.close();
        await closedOf(ws as unknown as WebSocket);
        return out.text();
      };
      assert.equal(await attachOnce('one'), 'main:one\n');
      // The container survived the detach: the same loop answers the second session.
      assert.equal(await attachOnce('two'), 'main:two\n');
    });

    it('ends the stream with Success when the main process ends', async () => {
      server.addPod(testPod('short', ['main']));
      kubelet.startContainer(NS, 'short', 'main', ['sh', '-c', 'read l; echo "bye $l"']);
      const s = await openRaw(wsUrl('short', 'attach', 'container=main&stdin=true&stdout=true'), ['v5.channel.k8s.io']);
      s.send(0, 'now\n');
      const { code } = await s.closed;
      assert.equal(code, 1000);
      assert.equal(s.channel(1).toString(), 'bye now\n');
      assert.deepEqual(statusOf(s), { metadata: {}, status: 'Success' });
    });
  });

  describe('port-forward', () => {
    let target: net.Server;
    let targetPort: number;
    let onTarget: (socket: net.Socket) => void;

    beforeEach(async () => {
      onTarget = (s) => s.end();
      target = net.createServer((s) => onTarget(s));
      await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
      targetPort = (target.address() as net.AddressInfo).port;
    });
    afterEach(async () => {
      await new Promise<void>((r) => target.close(() => r()));
    });

    it('sends the port as uint16 LE first on the data and error channels', async () => {
      onTarget = (s) => s.end('pong');
      const s = await openRaw(wsUrl('app', 'portforward', `ports=${targetPort}`), ['v5.channel.k8s.io', 'v4.channel.k8s.io']);
      assert.equal(s.protocol, 'v4.channel.k8s.io');
      await s.closed;
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16LE(targetPort);
      const first = (ch: number): Buffer | undefined => s.frames.find((f) => f.channel === ch)?.data;
      assert.deepEqual(first(0), prefix);
      assert.deepEqual(first(1), prefix);
      assert.equal(s.channel(0).subarray(2).toString(), 'pong');
    });

    it('forwards several ports on one socket (channels 2i / 2i+1)', async () => {
      const other = net.createServer((s) => s.end('other'));
      await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
      const otherPort = (other.address() as net.AddressInfo).port;
      onTarget = (s) => s.end('first');
      try {
        const s = await openRaw(wsUrl('app', 'portforward', `ports=${targetPort}&ports=${otherPort}`), ['v4.channel.k8s.io']);
        await s.closed;
        assert.equal(s.channel(0).subarray(2).toString(), 'first');
        assert.equal(s.channel(2).subarray(2).toString(), 'other');
        assert.equal(s.channel(3).readUInt16LE(0), otherPort);
      } finally {
        await new Promise<void>((r) => other.close(() => r()));
      }
    });

    it('writes a refused connection on the error channel and closes', async () => {
      const closedPort = await new Promise<number>((resolve) => {
        const tmp = net.createServer();
        tmp.listen(0, '127.0.0.1', () => {
          const p = (tmp.address() as net.AddressInfo).port;
          tmp.close(() => resolve(p));
        });
      });
      const s = await openRaw(wsUrl('app', 'portforward', `ports=${closedPort}`), ['v4.channel.k8s.io']);
      const { code } = await s.closed;
      assert.equal(code, 1000);
      assert.equal(s.channel(1).subarray(2).toString(),
        `error forwarding port ${closedPort} to pod uid-app, uid : failed to execute portforward in network namespace ` +
        `"/var/run/netns/cni-loopback": failed to connect to localhost:${closedPort} inside namespace "0123456789ab", ` +
        `IPv4: dial tcp4 127.0.0.1:${closedPort}: connect: connection refused`);
    });

    it('carries 10 MiB both ways intact through client-node PortForward', async () => {
      const size = 10 * 1024 * 1024;
      const up = randomBytes(size);
      const down = randomBytes(size);
      let received = Buffer.alloc(0);
      const targetGotAll = new Promise<void>((resolve) => {
        onTarget = (sock) => {
          const chunks: Buffer[] = [];
          let n = 0;
          sock.write(down);
          sock.on('data', (c: Buffer) => {
            chunks.push(c);
            n += c.length;
            if (n >= size) {
              received = Buffer.concat(chunks);
              // Both directions are complete: the pod side closes, which ends the forward.
              sock.end();
              resolve();
            }
          });
        };
      });
      // The user's side: a local listener whose connections are forwarded, one WebSocket each.
      const forward = new PortForward(server.kubeConfig());
      const local = net.createServer((sock) => {
        void forward.portForward(NS, 'app', [targetPort], sock, null, sock).then((ws) => {
          const w = ws as unknown as WebSocket;
          // client-node does not end `output` when the socket closes; do it here.
          w.on('close', () => sock.end());
          w.on('error', () => sock.destroy());
        }, () => sock.destroy());
      });
      await new Promise<void>((r) => local.listen(0, '127.0.0.1', r));
      try {
        const client = net.connect((local.address() as net.AddressInfo).port, '127.0.0.1');
        const chunks: Buffer[] = [];
        client.on('data', (c: Buffer) => chunks.push(c));
        const clientDone = new Promise<void>((r) => client.on('close', () => r()));
        client.write(up);
        await targetGotAll;
        await clientDone;
        assert.equal(sha256(received), sha256(up));
        assert.equal(sha256(Buffer.concat(chunks)), sha256(down));
      } finally {
        await new Promise<void>((r) => local.close(() => r()));
      }
    });

    it('closes the pod-side connection when the client closes the WebSocket', async () => {
      let podSide: net.Socket | undefined;
      const podClosed = new Promise<string>((resolve) => {
        onTarget = (sock) => {
          podSide = sock;
          const chunks: Buffer[] = [];
          sock.on('data', (c: Buffer) => chunks.push(c));
          sock.on('end', () => { sock.end(); });
          sock.on('close', () => resolve(Buffer.concat(chunks).toString()));
        };
      });
      const s: RawStream = await openRaw(wsUrl('app', 'portforward', `ports=${targetPort}`), ['v4.channel.k8s.io']);
      s.send(0, 'last words');
      await waitFor(() => podSide !== undefined, 'the pod-side connection');
      s.ws.close();
      assert.equal(await podClosed, 'last words');
      await s.closed;
    });
  });

  describe('kubectl', function () {
    const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
    let dir: string;
    before(function () {
      if (kubectl.error) {
        unavailable(this, 'kubectl is not on PATH');
      }
    });
    beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streaming-kubectl-')); });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    function runKubectl(args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
      return new Promise((resolve) => {
        const child = spawn('kubectl', ['--kubeconfig', server.writeKubeconfig(dir), '--cache-dir', path.join(dir, 'cache'), ...args],
          { env: { ...process.env, HOME: dir, KUBECONFIG: '' } });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => { stdout += d; });
        child.stderr.on('data', (d: Buffer) => { stderr += d; });
        child.on('close', (code) => resolve({ code, stdout, stderr }));
        child.stdin.end(input ?? '');
      });
    }

    it('kubectl exec: output, stderr and the exit code', async () => {
      const r = await runKubectl(['exec', 'app', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
      assert.equal(r.stdout, 'out\n');
      assert.match(r.stderr, /^err\n/);
      assert.match(r.stderr, /command terminated with exit code 3/);
      assert.equal(r.code, 3);
    });

    it('kubectl exec -i: stdin reaches the process and ends it', async () => {
      const r = await runKubectl(['exec', '-i', 'app', '--', 'cat'], 'through kubectl\n');
      assert.equal(r.stdout, 'through kubectl\n', r.stderr);
      assert.equal(r.code, 0);
    });

    it('kubectl exec into a container that is not running: the kubelet refusal, repeated on the SPDY retry', async () => {
      const r = await runKubectl(['exec', 'stopped', '--', 'true']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /container not found \("main"\)/);
    });
  });
});

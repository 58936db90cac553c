/**
 * Port-forward's WebSocket frames from the extension carry a zero masking key over TLS (ws then skips masking
 * every byte in JavaScript, which was a third of the forwarder's CPU) and a random one over plain HTTP, where
 * an intermediary could read the payload. A hand-made upgrade server stands for the API server: it answers
 * the upgrade, sends the port prefixes like the kubelet, and reads the masking key of the first frame the
 * extension sends; the real client-node and ws are what is tested.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as net from 'node:net';
import * as tls from 'node:tls';
import * as k8s from '@kubernetes/client-node';
import { createClusterApi } from '../../../src/cluster/client';
import { generateServerTls } from '../../cluster/api/tls';

const REMOTE_PORT = 8080;

interface UpgradeServer {
  readonly server: string;
  /** The masking key of the first frame the client sent, and its payload unmasked. */
  readonly firstFrame: Promise<{ mask: Buffer; payload: Buffer }>;
  close(): Promise<void>;
}

async function upgradeServer(secure: { cert: string; key: string } | undefined): Promise<UpgradeServer> {
  let onFrame!: (frame: { mask: Buffer; payload: Buffer }) => void;
  const firstFrame = new Promise<{ mask: Buffer; payload: Buffer }>((resolve) => (onFrame = resolve));
  const sockets = new Set<net.Socket>();
  const serve = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let pending = Buffer.alloc(0);
    let upgraded = false;
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      if (!upgraded) {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        const key = /^sec-websocket-key: *(\S+)/im.exec(pending.subarray(0, end).toString('latin1'))?.[1] ?? '';
        pending = pending.subarray(end + 4);
        const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
        socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n`);
        // Like the kubelet: each channel (data 0, error 1) starts with the port, uint16 little-endian.
        for (const channel of [0, 1]) socket.write(Buffer.from([0x82, 3, channel, REMOTE_PORT & 0xff, REMOTE_PORT >> 8]));
        upgraded = true;
      }
      if (pending.length < 2) return;
      const length = pending[1]! & 0x7f;
      assert.ok(length < 126, 'the test sends a short payload');
      if (pending.length < 6 + length) return;
      const mask = Buffer.from(pending.subarray(2, 6));
      const payload = Buffer.from(pending.subarray(6, 6 + length).map((byte, i) => byte ^ mask[i & 3]!));
      onFrame({ mask, payload });
    });
  };
  const server = secure ? tls.createServer({ cert: secure.cert, key: secure.key }, serve) : net.createServer(serve);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    server: `${secure ? 'https' : 'http'}://127.0.0.1:${port}`,
    firstFrame,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      if (server.listening) await new Promise((resolve) => server.close(resolve));
    },
  };
}

function kubeConfigFor(server: string, caCert: string | undefined): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, ...(caCert ? { caData: Buffer.from(caCert).toString('base64') } : { skipTLSVerify: true }) }],
    users: [{ name: 'u', token: 'not-a-secret' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

/** Forwards one local connection through `server` and returns the first frame the extension sent for it. */
async function firstFrameThrough(server: UpgradeServer, kc: k8s.KubeConfig): Promise<{ mask: Buffer; payload: Buffer }> {
  const local = net.createServer();
  await new Promise<void>((resolve) => local.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<net.Socket>((resolve) => local.once('connection', resolve));
  const client = net.connect((local.address() as net.AddressInfo).port, '127.0.0.1');
  const socket = await accepted;
  try {
    const stream = await createClusterApi(kc).portForward!('demo', 'web', REMOTE_PORT, socket);
    client.write('hello');
    const frame = await server.firstFrame;
    stream.close();
    // The stand-in never answers the close frame: drop its side, and the stream ends.
    await server.close();
    await stream.closed;
    return frame;
  } finally {
    client.destroy();
    socket.destroy();
    await new Promise((resolve) => local.close(resolve));
  }
}

describe('port-forward frames: masking key by transport', function () {
  this.timeout(30_000);

  it('sends a zero masking key over TLS, the bytes intact', async () => {
    const material = await generateServerTls();
    const server = await upgradeServer(material);
    try {
      const { mask, payload } = await firstFrameThrough(server, kubeConfigFor(server.server, material.caCert));
      assert.deepEqual([...mask], [0, 0, 0, 0]);
      assert.deepEqual(payload, Buffer.from([0, ...Buffer.from('hello')]), 'channel 0, then the bytes as written');
    } finally {
      await server.close();
    }
  });

  it('masks with a random key over plain HTTP', async () => {
    const server = await upgradeServer(undefined);
    try {
      const { mask, payload } = await firstFrameThrough(server, kubeConfigFor(server.server, undefined));
      assert.notDeepEqual([...mask], [0, 0, 0, 0]);
      assert.deepEqual(payload, Buffer.from([0, ...Buffer.from('hello')]));
    } finally {
      await server.close();
    }
  });
});

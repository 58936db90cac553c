/**
 * The WebSocket side of exec/attach, handed to client-node's Exec/Attach in place of its own handler so
 * that (1) the upgrade is logged as one line with its outcome, (2) a refused upgrade keeps the server's
 * Status (client-node's handler only says "Unexpected server response: 403"), and (3) a v5 close frame
 * ends the caller's streams instead of client-node's default process.stdout.
 *
 * Each stream (one per forwarded port-forward connection) is a new TLS connection. client-node keeps one
 * https.Agent per cluster and user (so TLS sessions resume), but each connection still parsed the CA and client
 * certificate again into a new TLS context: here one TLS context is kept per KubeConfig and TLS identity (as
 * keptAlive.ts keeps API calls' pool) and given to every upgrade. permessage-deflate is not offered: the API
 * server does not take it, and the offer only costs header bytes.
 */
import type { RequestOptions } from 'node:https';
import type { Writable } from 'node:stream';
import { createSecureContext, type ConnectionOptions, type SecureContext } from 'node:tls';
import WebSocket from 'ws';
import type { KubeConfig, V1Status } from '@kubernetes/client-node';
import type { Logger, StreamConnection } from './clusterApi';
import { tlsIdentity } from './keptAlive';
import { logCall } from './requestLog';

/**
 * ws masks every byte a client sends in JavaScript, one byte at a time (its native bufferutil cannot ship in a
 * bundled extension): 37% of the forwarder's CPU on a 64 MiB echo. A zero key is a key ws skips applying
 * (RFC 6455 lets the server unmask it like any other). Masking guards plaintext intermediaries that ignore the
 * upgrade against attacker-chosen payload bytes; over TLS only a proxy that terminates TLS sees them, and it
 * sees the same raw bytes in kubectl's SPDY port-forward, which has no masking. So: port-forward, wss only.
 */
const ZERO_MASK = (mask: Buffer): void => void mask.fill(0);

interface KeptTls {
  readonly identity: string;
  readonly secureContext: SecureContext | undefined;
}

const keptTls = new WeakMap<KubeConfig, KeptTls>();

/** What ws passes on to https.request and tls.connect. */
export type UpgradeOptions = WebSocket.ClientOptions & RequestOptions & Pick<ConnectionOptions, 'secureContext'>;

/** WebSocket options for the current context: client-node's authentication (and agent), with the kept TLS context. */
export async function streamOptions(kubeConfig: KubeConfig): Promise<UpgradeOptions> {
  const options: UpgradeOptions = { perMessageDeflate: false };
  await kubeConfig.applyToHTTPSOptions(options);
  const identity = tlsIdentity(kubeConfig, options);
  let kept = keptTls.get(kubeConfig);
  if (kept?.identity !== identity) {
    const tlsMaterial = options.ca !== undefined || options.cert !== undefined || options.key !== undefined || options.pfx !== undefined;
    kept = {
      identity,
      secureContext: tlsMaterial ? createSecureContext({ ca: options.ca, cert: options.cert, key: options.key, pfx: options.pfx, passphrase: options.passphrase }) : undefined,
    };
    keptTls.set(kubeConfig, kept);
  }
  if (kept.secureContext !== undefined) options.secureContext = kept.secureContext;
  return options;
}

const SUBPROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
const CLOSE_CHANNEL = 255;

/** Thrown when the server answered the upgrade with an HTTP error; shaped like client-node's ApiException. */
export class UpgradeRefused extends Error {
  constructor(readonly code: number, readonly body: string) {
    super(`upgrade refused with HTTP ${code}`);
  }
}

type TextHandler = ((text: string) => boolean) | null;
type BinaryHandler = ((stream: number, buff: Buffer) => boolean) | null;

export class LoggedStreamSocket {
  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly logger: Logger | undefined,
    private readonly streams: { stdout?: Writable | null; stderr?: Writable | null },
    /** See ZERO_MASK: for port-forward's bulk bytes, over TLS only. */
    private readonly zeroMaskOverTls = false,
  ) {}

  /** The WebSocketInterface contract of client-node's Exec and Attach. */
  async connect(path: string, textHandler: TextHandler, binaryHandler: BinaryHandler): Promise<WebSocket> {
    const server = this.kubeConfig.getCurrentCluster()?.server;
    if (!server) throw new Error('the kubeconfig context has no cluster server');
    const url = server.replace(/^http/, 'ws').replace(/\/$/, '') + path;
    const options = await streamOptions(this.kubeConfig);
    if (this.zeroMaskOverTls && url.startsWith('wss:')) options.generateMask = ZERO_MASK;
    const startedAt = performance.now();
    return new Promise<WebSocket>((resolve, reject) => {
      const socket = new WebSocket(url, SUBPROTOCOLS, options);
      let settled = false;
      const fail = (error: unknown, outcome: string) => {
        if (settled) return;
        settled = true;
        logCall(this.logger, 'GET', url, outcome, startedAt, ' (upgrade)');
        reject(error);
      };
      socket.on('unexpected-response', (request, response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          fail(new UpgradeRefused(response.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')), String(response.statusCode));
          request.destroy();
        });
        response.on('error', (error) => fail(error, 'error'));
      });
      socket.on('error', (error) => fail(error, (error as { code?: string }).code ?? 'error'));
      socket.on('open', () => {
        settled = true;
        logCall(this.logger, 'GET', url, '101', startedAt, ` (upgrade, ${socket.protocol})`);
        resolve(socket);
      });
      socket.on('close', (code) => this.logger?.debug(`closed ${new URL(url).pathname} (WebSocket ${code})`));
      socket.on('message', (data: Buffer, isBinary: boolean) => {
        if (!isBinary) {
          if (textHandler && !textHandler(data.toString('utf8'))) socket.close();
          return;
        }
        const channel = data.readUInt8(0);
        if (channel === CLOSE_CHANNEL) {
          this.halfClose(data.readUInt8(1));
          return;
        }
        if (binaryHandler && !binaryHandler(channel, data.subarray(1))) socket.close();
      });
    });
  }

  private halfClose(channel: number): void {
    if (channel === 1) this.streams.stdout?.end();
    if (channel === 2) this.streams.stderr?.end();
  }
}

/** A StreamConnection over an open socket; `status` is filled by exec's channel-3 callback. */
export function streamConnection(socket: WebSocket, status?: Promise<V1Status>): StreamConnection {
  const closed = new Promise<V1Status | undefined>((resolve) => {
    let received: V1Status | undefined;
    status?.then((s) => {
      received = s;
      resolve(s);
    });
    socket.on('close', () => resolve(received));
    if (socket.readyState === WebSocket.CLOSED) resolve(undefined);
  });
  return { close: () => socket.close(), closed };
}

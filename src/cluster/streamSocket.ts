/**
 * The WebSocket side of exec/attach, handed to client-node's Exec/Attach in place of its own handler so
 * that (1) the upgrade is logged as one line with its outcome, (2) a refused upgrade keeps the server's
 * Status (client-node's handler only says "Unexpected server response: 403"), and (3) a v5 close frame
 * ends the caller's streams instead of client-node's default process.stdout.
 */
import type { Writable } from 'node:stream';
import WebSocket from 'ws';
import type { KubeConfig, V1Status } from '@kubernetes/client-node';
import type { Logger, StreamConnection } from './clusterApi';
import { logCall } from './requestLog';

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
  ) {}

  /** The WebSocketInterface contract of client-node's Exec and Attach. */
  async connect(path: string, textHandler: TextHandler, binaryHandler: BinaryHandler): Promise<WebSocket> {
    const server = this.kubeConfig.getCurrentCluster()?.server;
    if (!server) throw new Error('the kubeconfig context has no cluster server');
    const url = server.replace(/^http/, 'ws').replace(/\/$/, '') + path;
    const options: WebSocket.ClientOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(options);
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

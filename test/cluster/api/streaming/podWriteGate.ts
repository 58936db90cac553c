/**
 * What both port-forward transports (WebSocket channels and SPDY streams) do with client bytes bound for a
 * pod connection: hold them while the connection is being made, pausing the client past a limit, then write
 * them with backpressure — the client connection is paused while the pod is not reading.
 */
import type { Duplex } from 'node:stream';
import { errorMessage } from './remotecommand';

/** Client bytes held while the pod connection is being made, before the client is paused. */
const PENDING_LIMIT = 1024 * 1024;

export interface PausableInbound {
  pauseInbound(): void;
  resumeInbound(): void;
}

export class PodWriteGate {
  private target: Duplex | undefined;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private pausedForPending = false;
  private pausedForTarget = false;

  constructor(private readonly inbound: PausableInbound) {}

  write(chunk: Buffer): void {
    const target = this.target;
    if (!target) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes > PENDING_LIMIT && !this.pausedForPending) {
        this.pausedForPending = true;
        this.inbound.pauseInbound();
      }
      return;
    }
    if (!target.write(chunk) && !this.pausedForTarget) {
      // The pod is not reading: stop reading the client (its streams share one connection) until it drains.
      this.pausedForTarget = true;
      this.inbound.pauseInbound();
      target.once('drain', () => this.releaseTargetPause());
    }
  }

  /** The pod connection is up: flush what was held and let the client go on. */
  connected(target: Duplex): void {
    this.target = target;
    for (const chunk of this.pending) target.write(chunk);
    this.pending = [];
    this.pendingBytes = 0;
    this.releasePendingPause();
  }

  /** The forward is over: drop what is held and never leave the client paused on its account. */
  discard(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.releasePendingPause();
    this.releaseTargetPause();
  }

  private releasePendingPause(): void {
    if (!this.pausedForPending) return;
    this.pausedForPending = false;
    this.inbound.resumeInbound();
  }

  private releaseTargetPause(): void {
    if (!this.pausedForTarget) return;
    this.pausedForTarget = false;
    this.inbound.resumeInbound();
  }
}

/** The kubelet's message: "error forwarding port %d to pod %s, uid %v: %v" (uid is empty with CRI). */
export function forwardingError(port: number, podId: string, err: unknown): Buffer {
  return Buffer.from(`error forwarding port ${port} to pod ${podId}, uid : ${errorMessage(err)}`);
}

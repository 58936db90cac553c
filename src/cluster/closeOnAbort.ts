/** Cancelling a stream that is still being set up. */
import type { StreamConnection } from './clusterApi';

/**
 * Ends `connection` when `signal` aborts, including an abort that came while the connection was being set up
 * (a listener added after `await api.exec(…)` never hears that one, and the command would run on). Returns
 * the function that removes the listener.
 */
export function closeOnAbort(connection: StreamConnection, signal: AbortSignal | undefined, onAbort: () => void = () => connection.close()): () => void {
  if (signal === undefined) return () => undefined;
  if (signal.aborted) {
    onAbort();
    return () => undefined;
  }
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

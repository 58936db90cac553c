/**
 * List, then watch from the list's resourceVersion, forever: a watch that simply ends (client-node's 30-s
 * idle abort, the server's timeout) is resumed from the last resourceVersion seen (bookmarks included);
 * 410 Gone relists; any other failure is reported, then retried with exponential back-off and a relist,
 * because what happened while disconnected is unknown.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { ClusterError, type ListResult, type WatchEventType, type WatchHandle } from '../cluster/clusterApi';

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000 };

/** Items per list page: a big namespace comes in bounded responses, as kubectl's `--chunk-size` default. */
export const LIST_PAGE_SIZE = 500;

/**
 * Every page of a list (`limit`/`continue`): one snapshot, at the first page's resourceVersion, where the watch
 * resumes. An expired `continue` (410) rejects like any 410, so the ListWatch lists again from the start.
 */
export async function listAllPages<T>(page: (options: { limit: number; continue?: string }) => Promise<ListResult<T>>,
  limit = LIST_PAGE_SIZE): Promise<ListResult<T>> {
  const first = await page({ limit });
  const items = first.items;
  for (let next = first.continue; next; ) {
    const more = await page({ limit, continue: next });
    for (const item of more.items) items.push(item);
    next = more.continue;
  }
  return { items, resourceVersion: first.resourceVersion };
}

export interface ListWatchSource<T> {
  list(): Promise<ListResult<T>>;
  watch(resourceVersion: string, onEvent: (type: WatchEventType, object: T) => void): Promise<WatchHandle>;
}

export interface ListWatchListener<T> {
  /** A fresh list replaces everything known. */
  onList(items: T[]): void;
  onEvent(type: Exclude<WatchEventType, 'BOOKMARK'>, object: T): void;
  /** Listing or watching failed; the loop retries after `retryInMs`. */
  onError(error: ClusterError, retryInMs: number): void;
}

export class ListWatch<T extends KubernetesObject> {
  private stopped = false;
  private handle?: WatchHandle;
  private timer?: NodeJS.Timeout;
  private wake?: () => void;
  private failures = 0;
  /** Bumped on each (re)start so callbacks of a superseded watch are ignored. */
  private generation = 0;

  constructor(
    private readonly source: () => ListWatchSource<T>,
    private readonly listener: ListWatchListener<T>,
    private readonly backoff: BackoffOptions = DEFAULT_BACKOFF,
  ) {}

  start(): void {
    void this.run(++this.generation);
  }

  /** Relist now (the user pressed refresh, or the filters changed). */
  restart(): void {
    this.handle?.stop();
    this.handle = undefined;
    clearTimeout(this.timer);
    this.wake?.();
    this.failures = 0;
    void this.run(++this.generation);
  }

  stop(): void {
    this.stopped = true;
    this.generation += 1;
    this.handle?.stop();
    clearTimeout(this.timer);
    this.wake?.();
  }

  private async run(generation: number): Promise<void> {
    const live = () => !this.stopped && generation === this.generation;
    let resourceVersion: string | undefined;
    let source = this.source();
    while (live()) {
      try {
        if (resourceVersion === undefined) {
          const list = await source.list();
          if (!live()) return;
          this.listener.onList(list.items);
          resourceVersion = list.resourceVersion;
        }
        let seen = resourceVersion;
        const handle = await source.watch(resourceVersion, (type, object) => {
          if (!live()) return;
          seen = object.metadata?.resourceVersion || seen;
          if (type !== 'BOOKMARK') this.listener.onEvent(type, object);
        });
        if (!live()) {
          handle.stop();
          return;
        }
        this.handle = handle;
        this.failures = 0;
        const watchedSince = performance.now();
        try {
          await handle.done;
        } finally {
          resourceVersion = seen;
        }
        // Ended without error: resume from where it stopped, pausing if servers keep closing at once.
        if (performance.now() - watchedSince < 1000 && live()) await this.sleep(this.backoff.initialMs);
      } catch (error) {
        if (!live()) return;
        const clusterError = error instanceof ClusterError ? error : new ClusterError(String(error), 0, 'Unknown', undefined, error);
        if (clusterError.code === 410) {
          resourceVersion = undefined; // too old: relist, no back-off needed
          continue;
        }
        const delay = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** this.failures);
        this.failures += 1;
        this.listener.onError(clusterError, delay);
        await this.sleep(delay);
        resourceVersion = undefined;
        source = this.source(); // credentials, certificates or the server may have changed meanwhile
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    });
  }
}

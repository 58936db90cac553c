/**
 * Go's remoteRoot when the launch configuration gives none: dlv knows every source file by the path it had when
 * the binary was **built** (rarely the process's working directory), so a breakpoint in the local copy binds only
 * when `substitutePath` maps the local folder onto that build folder. dlv lists those paths
 * (`RPCServer.ListSources`, JSON-RPC on the same port as DAP); the build folder is where the local files'
 * relative paths end, else the common folder of the program's own files (not the Go root's, not the module
 * cache's). The file names come from the target's binary: they are only compared and returned as a path, never
 * run or opened.
 */
import { connect } from 'node:net';
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/** An answer larger than this is not a source list worth waiting for. */
const MAX_REPLY_BYTES = 32 * 1024 * 1024;
/** Folders of the local copy never compared (they hold no files of the program's build). */
const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules', 'vendor', 'testdata']);
const MAX_LOCAL_FILES = 2000;

/** `RPCServer.ListSources` through the forward: the absolute source paths dlv read from the binary. */
export function listDlvSources(host: string, port: number, timeoutMs = 15_000, signal?: AbortSignal): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (error?: Error, sources?: string[]): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (error !== undefined) reject(error);
      else resolve(sources ?? []);
    };
    const onAbort = (): void => finish(new Error('cancelled'));
    const timer = setTimeout(() => finish(new Error(`dlv did not list its sources within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (error) => finish(error));
    socket.on('close', () => finish(new Error('dlv closed the connection before listing its sources')));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > MAX_REPLY_BYTES) return finish(new Error('dlv\'s source list is larger than 32 MB'));
      // Go's JSON encoder ends each reply with a newline.
      if (!chunk.includes(0x0a)) return;
      try {
        const reply = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error?: unknown; result?: { Sources?: unknown } };
        if (reply.error !== null && reply.error !== undefined) return finish(new Error(`dlv: ${String(reply.error)}`));
        const sources = reply.result?.Sources;
        finish(undefined, Array.isArray(sources) ? sources.filter((s): s is string => typeof s === 'string') : []);
      } catch (error) {
        finish(error as Error);
      }
    });
    socket.write(`${JSON.stringify({ method: 'RPCServer.ListSources', params: [{ Filter: '' }], id: 1 })}\n`);
  });
}

/** The `.go` files of the local copy, relative to it with `/` separators (bounded; vendored and test data skipped). */
export async function localGoFiles(localRoot: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (found.length >= MAX_LOCAL_FILES) return;
      if (entry.isDirectory() && !SKIPPED_DIRECTORIES.has(entry.name) && !entry.name.startsWith('.')) await walk(join(dir, entry.name));
      else if (entry.isFile() && entry.name.endsWith('.go')) found.push(relative(localRoot, join(dir, entry.name)).split(sep).join('/'));
    }
  };
  await walk(localRoot);
  return found;
}

/**
 * The build folder that corresponds to the local copy: the prefix most of the local files' relative paths end
 * on among dlv's sources (ties: the one matched by the deeper paths); without a match, the common folder of the
 * program's own sources. Undefined when neither says.
 */
export function goBuildRoot(sources: readonly string[], localFiles: readonly string[] = []): string | undefined {
  const own = sources.filter(isProgramSource(sources));
  const votes = new Map<string, { count: number; depth: number }>();
  for (const rel of localFiles) {
    for (const source of own) {
      if (!source.endsWith(`/${rel}`)) continue;
      const root = source.slice(0, -rel.length - 1) || '/';
      const vote = votes.get(root) ?? { count: 0, depth: 0 };
      votes.set(root, { count: vote.count + 1, depth: vote.depth + rel.split('/').length });
    }
  }
  const best = [...votes.entries()].sort(([, a], [, b]) => b.count - a.count || b.depth - a.depth)[0];
  if (best !== undefined) return best[0];
  return commonFolder(own);
}

/** Leaves out the Go root's files (where runtime/ lives), the module cache's and generated pseudo-files. */
function isProgramSource(sources: readonly string[]): (source: string) => boolean {
  const goRoots = new Set(sources.map((s) => /^(.*)\/src\/runtime\/[^/]+\.go$/.exec(s)?.[1]).filter((r): r is string => r !== undefined));
  return (source) => source.startsWith('/') && source.endsWith('.go') && !source.includes('/pkg/mod/') &&
    ![...goRoots].some((root) => source.startsWith(`${root}/src/`));
}

function commonFolder(paths: readonly string[]): string | undefined {
  if (paths.length === 0) return undefined;
  let parts = paths[0]!.split('/').slice(0, -1);
  for (const path of paths.slice(1)) {
    const other = path.split('/').slice(0, -1);
    let i = 0;
    while (i < parts.length && i < other.length && parts[i] === other[i]) i++;
    parts = parts.slice(0, i);
  }
  const folder = parts.join('/');
  return folder === '' ? undefined : folder;
}

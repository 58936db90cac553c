/**
 * Go's remoteRoot when the launch configuration gives none: dlv knows every source file by the path it had when
 * the binary was **built** (rarely the process's working directory), so a breakpoint in the local copy binds only
 * when `substitutePath` maps the local folder onto that build folder. The binary's file table holds those paths
 * (read from /proc/<pid>/exe; asking dlv instead, `RPCServer.ListSources`, waits while the program runs); the
 * build folder is where the local files' relative paths end, else the common folder of the program's own files
 * (not the Go root's, not the module cache's). The names come from the target's binary: they are only compared
 * and returned as a path, never run or opened.
 */
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { shellScript } from '../../shell/shellScript';
import type { Shell } from './common';
import goSourcesScript from './goSources.sh';

const GO_SOURCES_SCRIPT = shellScript(goSourcesScript);
/** Folders of the local copy never compared (they hold no files of the program's build). */
const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules', 'vendor', 'testdata']);
const MAX_LOCAL_FILES = 2000;

/** The source file names compiled into the target's binary, read through /proc/<pid>/exe from the debug container. */
export async function binarySources(shell: Shell, pid: number, signal?: AbortSignal): Promise<string[]> {
  const listed = await shell(GO_SOURCES_SCRIPT, [String(pid)], signal);
  return listed.stdout.split('\n').filter((line) => line.startsWith('/'));
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

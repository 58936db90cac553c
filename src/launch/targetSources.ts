/**
 * Breakpoints in the target's own files: the paths of a debug session's DAP messages, rewritten between the
 * editor's `k8s-target:` documents and the paths the debugged process sees. vscode-free; the UI applies it to
 * every message of the sessions it started (a DebugAdapterTracker, src/ui/targetSourceTracker.ts).
 *
 * - Editor → adapter (setBreakpoints, breakpointLocations, source, gotoTargets): a `k8s-target:` URI of the
 *   debugged container becomes its path in the container (`/app/server.js`). The adapter (js-debug, debugpy)
 *   then treats it as a remote path that needs no mapping: js-debug binds it by URL to the loaded script.
 * - Adapter → editor (stack frames, breakpoint events, loaded sources, …): a source the adapter has no local
 *   file for (it sends a sourceReference, or an absolute path that does not exist here) becomes the
 *   `k8s-target:` URI of that path, so the paused line shows in the target filesystem's editor rather than a
 *   read-only copy. A source that does exist locally (the `localRoot` copy) stays local — unless the user set
 *   breakpoints in that file's `k8s-target:` editor, which then shows the pause where the breakpoint was set.
 *
 * The process and the target filesystem see the same files: the filesystem reads `/proc/<pid>/root` of the
 * target container's main process, and the debugged process runs in that container.
 */
import { isAbsolute as isLocalAbsolute, join, posix, relative, sep } from 'node:path';
import { TARGET_FS_SCHEME, formatTargetUri, parseTargetUri, targetKey, type TargetRef } from '../targetfs/targetUri';

export interface TargetSourceMappingOptions {
  /** The container whose processes the session debugs. */
  readonly target: TargetRef;
  /**
   * The roots the adapter maps between (sourceRootsOf the language's configuration): where the program's files
   * are here and in the container.
   */
  readonly localRoot?: string;
  readonly remoteRoot?: string;
  /** Whether a local path exists (where the debug adapter runs: the extension host's machine). */
  readonly existsLocally: (path: string) => boolean;
}

/** The DAP `Source` fields this mapping reads and writes. */
interface DapSource {
  name?: string;
  path?: string;
  sourceReference?: number;
  [key: string]: unknown;
}

interface DapMessage {
  type?: string;
  command?: string;
  event?: string;
  success?: boolean;
  arguments?: Record<string, unknown>;
  body?: Record<string, unknown>;
}

const PREFIX = `${TARGET_FS_SCHEME}://`;

/**
 * The local and remote roots a language's attach configuration maps between: js-debug's localRoot/remoteRoot,
 * debugpy's first pathMapping, the Go extension's first substitutePath (from = local, to = remote).
 */
export function sourceRootsOf(configuration: Readonly<Record<string, unknown>>): { localRoot?: string; remoteRoot?: string } {
  const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
  const first = (value: unknown): Record<string, unknown> | undefined => (Array.isArray(value) && typeof value[0] === 'object' && value[0] !== null ? value[0] as Record<string, unknown> : undefined);
  const pathMapping = first(configuration.pathMappings);
  const substitute = first(configuration.substitutePath);
  const localRoot = str(configuration.localRoot) ?? str(pathMapping?.localRoot) ?? str(substitute?.from);
  const remoteRoot = str(configuration.remoteRoot) ?? str(pathMapping?.remoteRoot) ?? str(substitute?.to);
  return { ...(localRoot !== undefined && remoteRoot !== undefined ? { localRoot, remoteRoot } : {}) };
}

/** `k8s-target://authority/ns/pod/container/path` (percent-encoded, as VS Code prints a URI) → its parts. */
export function parseTargetUriString(text: string): { ref: TargetRef; path: string } | undefined {
  if (!text.startsWith(PREFIX)) return undefined;
  const rest = text.slice(PREFIX.length).replace(/[?#].*$/, '');
  const slash = rest.indexOf('/');
  if (slash < 0) return undefined;
  try {
    const authority = decodeURIComponent(rest.slice(0, slash));
    const path = rest.slice(slash).split('/').map((segment) => decodeURIComponent(segment)).join('/');
    return parseTargetUri(authority, path);
  } catch {
    return undefined;
  }
}

/** The URI string of a target path, each segment percent-encoded (so `#`, `?`, `%` in names survive a parse). */
export function targetUriString(ref: TargetRef, path: string): string {
  const { authority, path: uriPath } = formatTargetUri(ref, path);
  return `${PREFIX}${authority}${uriPath.split('/').map((segment) => encodeURIComponent(segment)).join('/')}`;
}

export class TargetSourceMapping {
  private readonly key: string;
  /** Container paths with breakpoints set in their `k8s-target:` editor. */
  private readonly remoteBreakpointFiles = new Set<string>();

  constructor(private readonly options: TargetSourceMappingOptions) {
    this.key = targetKey(options.target);
  }

  /** A message from the editor to the debug adapter, rewritten in place. */
  toAdapter(message: DapMessage): void {
    if (message.type !== 'request' || message.arguments === undefined) return;
    const args = message.arguments;
    switch (message.command) {
      case 'setBreakpoints': {
        const remote = this.toRemote(args.source as DapSource | undefined);
        if (remote !== undefined) {
          const count = Array.isArray(args.breakpoints) ? args.breakpoints.length : Array.isArray(args.lines) ? args.lines.length : 0;
          if (count > 0) this.remoteBreakpointFiles.add(remote);
          else this.remoteBreakpointFiles.delete(remote);
        }
        break;
      }
      case 'breakpointLocations':
      case 'source':
      case 'gotoTargets':
        this.toRemote(args.source as DapSource | undefined);
        break;
    }
  }

  /** A message from the debug adapter to the editor, rewritten in place. */
  toEditor(message: DapMessage): void {
    const body = message.body;
    if (body === undefined) return;
    if (message.type === 'event') {
      switch (message.event) {
        case 'output':
        case 'loadedSource':
          this.toTarget(body.source as DapSource | undefined);
          break;
        case 'breakpoint':
          this.toTarget((body.breakpoint as { source?: DapSource } | undefined)?.source);
          break;
      }
      return;
    }
    if (message.type !== 'response' || message.success === false) return;
    const each = <T>(list: unknown, pick: (item: T) => DapSource | undefined): void => {
      if (Array.isArray(list)) for (const item of list as T[]) this.toTarget(pick(item));
    };
    switch (message.command) {
      case 'stackTrace':
        each<{ source?: DapSource }>(body.stackFrames, (f) => f.source);
        break;
      case 'loadedSources':
        each<DapSource>(body.sources, (s) => s);
        break;
      case 'scopes':
        each<{ source?: DapSource }>(body.scopes, (s) => s.source);
        break;
      case 'setBreakpoints':
      case 'setFunctionBreakpoints':
      case 'setDataBreakpoints':
      case 'setInstructionBreakpoints':
        each<{ source?: DapSource }>(body.breakpoints, (b) => b.source);
        break;
      case 'disassemble':
        each<{ location?: DapSource }>(body.instructions, (i) => i.location);
        break;
      case 'locations':
        this.toTarget(body.source as DapSource | undefined);
        break;
    }
  }

  /**
   * A `k8s-target:` source of this target → the path the adapter knows the file by: under remoteRoot, its
   * place under localRoot (the adapter maps that back to the container, and that is the path it gave the
   * loaded script), else the container path itself. Returns the container path.
   */
  private toRemote(source: DapSource | undefined): string | undefined {
    if (typeof source?.path !== 'string') return undefined;
    const parsed = parseTargetUriString(source.path);
    if (parsed === undefined || targetKey(parsed.ref) !== this.key) return undefined;
    source.path = this.adapterPathOf(parsed.path);
    return parsed.path;
  }

  private adapterPathOf(remote: string): string {
    const { localRoot, remoteRoot } = this.options;
    if (localRoot === undefined || remoteRoot === undefined) return remote;
    const rel = posix.relative(remoteRoot, remote);
    if (rel.startsWith('..') || posix.isAbsolute(rel)) return remote;
    return rel === '' ? localRoot : join(localRoot, ...rel.split('/'));
  }

  /** A source the editor could not open locally (or one shown in its `k8s-target:` editor) → `k8s-target:`. */
  private toTarget(source: DapSource | undefined): void {
    if (typeof source?.path !== 'string' || source.path.startsWith(PREFIX)) return;
    const path = source.path;
    const hasReference = typeof source.sourceReference === 'number' && source.sourceReference > 0;
    const local = !hasReference && isLocalAbsolute(path) && this.options.existsLocally(path);
    const remote = this.remotePathOf(path);
    if (remote === undefined) return;
    if (local && !this.remoteBreakpointFiles.has(remote)) return;
    source.path = targetUriString(this.options.target, remote);
    source.sourceReference = 0;
    // js-debug names a source without a local file by its whole path: the editor tab shows the file name.
    if (source.name === undefined || source.name === path) source.name = posix.basename(remote);
  }

  /** The container path of a path the adapter reports: under localRoot it maps to remoteRoot, else it is one. */
  private remotePathOf(path: string): string | undefined {
    const { localRoot, remoteRoot } = this.options;
    if (localRoot !== undefined && remoteRoot !== undefined && isLocalAbsolute(path)) {
      const rel = relative(localRoot, path);
      if (rel === '' || (!rel.startsWith('..') && !isLocalAbsolute(rel))) {
        return posix.join(remoteRoot, ...rel.split(sep));
      }
    }
    // Only absolute POSIX paths name files in the container (not `<node_internals>/…` or `webpack://…`).
    return path.startsWith('/') ? posix.normalize(path) : undefined;
  }
}

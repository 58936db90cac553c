/**
 * A target container's filesystem, read and written by exec in a debug container that shares its PID namespace,
 * against `/proc/<pid>/root` (pid: the target's main process, see src/terminal/targetProcess.ts). vscode-free;
 * src/ui/targetFsProvider.ts adapts it to a FileSystemProvider. One exec per operation (readDirectory of any size
 * included); stat/readDirectory answers are cached briefly and invalidated by our own writes.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { V1Pod } from '@kubernetes/client-node';
import type { ClusterApi, Logger } from '../cluster/clusterApi';
import { ClusterError } from '../cluster/clusterApi';
import { checkReusableDebugContainer, type DebugPolicy } from '../debug/debugContainerSpec';
import { DebugSpecError } from '../debug/errors';
import { execCapture } from '../debug/execCapture';
import { mountsHostRoot } from '../debug/nodeDebugPods';
import { chooseTargetProcess, listProcessesCommand, parseProcessListing } from '../terminal/targetProcess';
import { codeForErrno, errnoFromMessage, TargetFsError } from './errors';
import { runExec, type ExecOutcome } from './execRunner';
import { bytesToName, joinPath, nameToBytes, normalizeTargetPath, parentPath, shellOctal } from './names';
import {
  operationCommand, parseEntryBlock, parseProbe, PROBE_SCRIPT, scriptError, onReadonlyMount, stderrValue,
  type ProbeResult, type RawEntry, type TargetFsOperation,
} from './protocol';
import type { TargetRef } from './targetUri';

/** Bit flags with VS Code's FileType values, so the adapter can pass them through. */
export const TargetFileType = { Unknown: 0, File: 1, Directory: 2, SymbolicLink: 64 } as const;

export interface TargetStat {
  /** TargetFileType flags; a symlink is SymbolicLink | (File or Directory of its target), or SymbolicLink alone when dangling. */
  readonly type: number;
  readonly size: number;
  /** ms since the epoch (second resolution with busybox). */
  readonly mtime: number;
  readonly ctime: number;
  /** Not writable by the debug container's uid (or a read-only filesystem). */
  readonly readonly: boolean;
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
}

export type DirectoryEntry = [name: string, type: number];

export interface DebugContainerRequest {
  readonly namespace: string;
  readonly pod: string;
  readonly targetContainer: string;
  /** Why one is needed: none runs for this target, or the running ones cannot read it (the message says why). */
  readonly reason: 'none' | 'unreadable';
  readonly message: string;
}

export interface OverwriteConfirmation {
  readonly path: string;
  readonly readSize: number;
  /** `size:mtime` now on the target. */
  readonly current: string;
}

export interface TargetFileSystemOptions {
  /** Preferred debug container (e.g. the node the user opened it from); any running one targeting the container otherwise. */
  readonly debugContainer?: string;
  /** Adds (or picks) a debug container, e.g. attachDebugContainer with the `auto` profile; undefined declines. */
  readonly provideDebugContainer?: (request: DebugContainerRequest) => Promise<string | undefined>;
  /** Writes change a running container: off unless this says so (read at each write). */
  readonly allowWrites?: () => boolean;
  /** The file changed on the target since we read it: overwrite anyway? Default: no (Conflict). */
  readonly confirmOverwrite?: (info: OverwriteConfirmation) => Promise<boolean>;
  /** stat/readDirectory cache lifetime; default 2000 ms, 0 disables. */
  readonly cacheTtlMs?: number;
  readonly logger?: Logger;
  /** The governance policy (read at each use): an existing debug container is used only when it passes it. */
  readonly policy?: () => DebugPolicy | undefined;
  /** Told of every change made through this filesystem, done or failed (the session journal audits them). */
  readonly onWrite?: (audit: WriteAudit) => void;
}

/** The journal line for a change: "saved /app/x.js" with its details, or "failed to save …" with the error. */
export function writeAuditAction(audit: WriteAudit): { description: string; details: Record<string, string | number | boolean> } {
  const verb = { write: 'saved', createDirectory: 'created folder', delete: 'deleted', rename: 'renamed', copy: 'copied' }[audit.operation];
  const what = audit.to !== undefined ? `${audit.path} to ${audit.to}` : audit.path;
  const details: Record<string, string | number | boolean> = { operation: audit.operation, path: audit.path };
  if (audit.to !== undefined) details.to = audit.to;
  if (audit.size !== undefined) details.size = audit.size;
  if (audit.sha256 !== undefined) details.sha256 = audit.sha256;
  if (audit.previous !== undefined) {
    details.previousSize = audit.previous.size;
    if (audit.previous.sha256 !== undefined) details.previousSha256 = audit.previous.sha256;
  }
  if (audit.recursive !== undefined) details.recursive = audit.recursive;
  if (audit.origin !== undefined) details.origin = audit.origin;
  if (audit.error !== undefined) details.error = audit.error;
  return { description: `${audit.error !== undefined ? `failed: ${verb}` : verb} ${what}`, details };
}

/** One change to the target's files, for the audit: what, where, and the content's size and SHA-256. */
export interface WriteAudit {
  readonly operation: 'write' | 'createDirectory' | 'delete' | 'rename' | 'copy';
  readonly path: string;
  /** rename/copy: the destination. */
  readonly to?: string;
  /** write: the new content. */
  readonly size?: number;
  readonly sha256?: string;
  /** write: the content it replaced, as last read through this filesystem (its SHA-256 when the image has sha256sum). */
  readonly previous?: { readonly size: number; readonly sha256?: string };
  readonly recursive?: boolean;
  /** Where the content came from when not the editor, e.g. "upload of /home/me/app.js". */
  readonly origin?: string;
  /** Set when the change failed: the error's message. */
  readonly error?: string;
}

export interface ReadOptions {
  readonly signal?: AbortSignal;
  /** Bytes received so far and the total. */
  readonly onProgress?: (received: number, total: number) => void;
}

export interface WriteOptions {
  readonly create: boolean;
  readonly overwrite: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (sent: number, total: number) => void;
  /** For the audit (WriteAudit.origin). */
  readonly origin?: string;
}

/** Content to write: bytes, or a re-openable stream of known size (a local file for Upload). */
export type WriteContent = Uint8Array | { readonly size: number; readonly open: () => Readable };

export interface WatchEvent {
  readonly type: 'created' | 'changed' | 'deleted';
  readonly path: string;
}

export interface SessionInfo {
  readonly debugContainer: string;
  readonly pid: number;
  /** The root-path variant (ref.root): the scripts address this path instead of /proc/<pid>/root. */
  readonly root?: string;
  readonly probe: ProbeResult;
}

interface Fingerprint {
  readonly size: number;
  readonly mtime: string;
  readonly sum?: string;
  /** The content's SHA-256 when known (sha256 was the checksum, or writes are on and audited). */
  readonly sha256?: string;
}

interface Cached<T> {
  readonly expires: number;
  readonly value: T;
}

const CHUNK = 1 << 20;

/** Debug container/process pairs whose session line was logged at info level (once per extension host). */
const loggedSessions = new Set<string>();

export class TargetFileSystem {
  /** Execs run so far (benchmarks and tests count round trips). */
  execCount = 0;
  private session: Promise<SessionInfo> | undefined;
  private readonly statCache = new Map<string, Cached<TargetStat>>();
  private readonly dirCache = new Map<string, Cached<DirectoryEntry[]>>();
  private readonly fingerprints = new Map<string, Fingerprint>();
  private readonly ttl: number;

  constructor(private readonly api: ClusterApi, readonly ref: TargetRef, private readonly options: TargetFileSystemOptions = {}) {
    this.ttl = options.cacheTtlMs ?? 2000;
  }

  // ------------------------------------------------------------ session

  /** The debug container and target pid in use (connecting on first use). */
  connect(): Promise<SessionInfo> {
    if (this.session === undefined) {
      const attempt = this.establish();
      this.session = attempt;
      attempt.catch(() => {
        if (this.session === attempt) this.session = undefined;
      });
    }
    return this.session;
  }

  /** Forget the debug container and target process (they are looked up again on the next operation). */
  reset(): void {
    this.session = undefined;
    this.invalidateAll();
  }

  invalidateAll(): void {
    this.statCache.clear();
    this.dirCache.clear();
  }

  private async establish(): Promise<SessionInfo> {
    const { namespace, pod: podName, container: target } = this.ref;
    if (this.ref.root !== undefined) return this.establishRoot(this.ref.root);
    let pod = await this.readPod();
    const tried: { name: string; message: string }[] = [];
    for (const name of this.candidates(pod)) {
      const outcome = await this.tryContainer(pod, name);
      if ('session' in outcome) return outcome.session;
      tried.push({ name, message: outcome.message });
    }
    const provide = this.options.provideDebugContainer;
    const reason = tried.length === 0 ? 'none' : 'unreadable';
    const message = tried.length === 0
      ? `no running debug container targets container ${target} of ${namespace}/${podName}`
      : tried[0].message;
    if (provide === undefined) throw new TargetFsError(tried.length === 0 ? 'Unavailable' : 'NoPermissions', `${message}: attach a debug container (profile auto) to browse its filesystem`);
    const chosen = await provide({ namespace, pod: podName, targetContainer: target, reason, message });
    if (chosen === undefined) throw new TargetFsError(tried.length === 0 ? 'Unavailable' : 'NoPermissions', message);
    pod = await this.readPod();
    const outcome = await this.tryContainer(pod, chosen);
    if ('session' in outcome) return outcome.session;
    throw new TargetFsError('NoPermissions', outcome.message);
  }

  /**
   * The root-path variant: a node debug pod's own container, whose `root` is the node's `/` (a hostPath `/`
   * volume mounted there). Only such a mount qualifies, so a pod that merely carries our label cannot pass its
   * own files off as a node's; and only while node debugging is allowed.
   */
  private async establishRoot(root: string): Promise<SessionInfo> {
    const { namespace, pod: podName, container } = this.ref;
    if (this.options.policy?.()?.allowNodeDebug !== true) {
      throw new TargetFsError('NoPermissions', `node debugging is off, so the node's filesystem in ${namespace}/${podName} is not opened; enable it in your user settings with "ephemeralDebug.governance.allowNodeDebug": true`);
    }
    const pod = await this.readPod();
    if (!mountsHostRoot(pod, container, root)) {
      throw new TargetFsError('NoPermissions', `container ${container} of ${namespace}/${podName} does not mount the node's / (a hostPath / volume) at ${root}: open it from a node debug pod made with profile general, sysadmin or legacy`);
    }
    const running = (pod.status?.containerStatuses ?? []).find((c) => c.name === container)?.state?.running !== undefined;
    if (!running) throw new TargetFsError('Unavailable', `container ${container} of node debug pod ${namespace}/${podName} is not running: run Debug Node… again`);
    this.execCount++;
    const probeOut = await execCapture(this.api, namespace, podName, container, ['sh', '-c', PROBE_SCRIPT, 'sh', root]);
    if (probeOut.exitCode !== 0 && probeOut.stdout === '') {
      throw new TargetFsError('Unavailable', `container ${container} cannot run sh: ${probeOut.stderr.trim() || probeOut.status?.message || 'exec failed'}`);
    }
    const probe = parseProbe(probeOut.stdout);
    if (!probe.rootReadable) throw new TargetFsError('NoPermissions', `cannot read ${root} in ${namespace}/${podName} (uid ${probe.uid ?? '?'})`);
    if (!probe.hasStat || !probe.hasReadlink) throw new TargetFsError('Unavailable', `container ${container} has no stat/readlink: use an image with busybox or GNU coreutils`);
    this.options.logger?.info(`node filesystem through ${namespace}/${podName}/${container} at ${root}: uid ${probe.uid}, ${probe.tools.gnuFind ? 'GNU find' : 'busybox'}, checksum ${probe.tools.sum ?? 'none'}`);
    return { debugContainer: container, pid: 0, root, probe };
  }

  private async readPod(): Promise<V1Pod> {
    try {
      return await this.api.readPod(this.ref.namespace, this.ref.pod);
    } catch (error) {
      throw new TargetFsError(error instanceof ClusterError && error.code === 404 ? 'FileNotFound' : 'Unavailable', error instanceof Error ? error.message : String(error), undefined, error);
    }
  }

  /** Running ephemeral containers targeting the container: the preferred one first, then newest first. */
  private candidates(pod: V1Pod): string[] {
    const statuses = new Map((pod.status?.ephemeralContainerStatuses ?? []).map((s) => [s.name, s]));
    const running = (pod.spec?.ephemeralContainers ?? [])
      .filter((c) => c.targetContainerName === this.ref.container && statuses.get(c.name)?.state?.running !== undefined)
      .sort((a, b) => String(statuses.get(b.name)?.state?.running?.startedAt ?? '').localeCompare(String(statuses.get(a.name)?.state?.running?.startedAt ?? '')))
      .map((c) => c.name);
    const preferred = this.options.debugContainer;
    return preferred !== undefined && running.includes(preferred) ? [preferred, ...running.filter((n) => n !== preferred)] : running;
  }

  private async tryContainer(pod: V1Pod, name: string): Promise<{ session: SessionInfo } | { message: string }> {
    const { namespace, pod: podName } = this.ref;
    try {
      checkReusableDebugContainer(pod, name, this.options.policy?.());
    } catch (error) {
      if (error instanceof DebugSpecError) return { message: error.message };
      throw error;
    }
    let pid = 1;
    if (pod.spec?.shareProcessNamespace === true) {
      this.execCount++;
      const listing = await execCapture(this.api, namespace, podName, name, listProcessesCommand());
      const choice = chooseTargetProcess(parseProcessListing(listing.stdout), pod, this.ref.container);
      if ('error' in choice) return { message: `debug container ${name}: ${choice.error}` };
      pid = choice.pid;
    }
    this.execCount++;
    const probeOut = await execCapture(this.api, namespace, podName, name, ['sh', '-c', PROBE_SCRIPT, 'sh', String(pid)]);
    if (probeOut.exitCode !== 0 && probeOut.stdout === '') {
      return { message: `debug container ${name} cannot run sh: ${probeOut.stderr.trim() || probeOut.status?.message || 'exec failed'}` };
    }
    const probe = parseProbe(probeOut.stdout);
    if (probe.pid1IsSelf) {
      return { message: `debug container ${name}: PID 1 is the debug container itself: the container runtime ignored targetContainerName, so the target's filesystem is not reachable` };
    }
    if (!probe.rootReadable) {
      return { message: `cannot read the filesystem of container ${this.ref.container} (/proc/${pid}/root: permission denied): ${uidAdvice(probe)}` };
    }
    if (!probe.hasStat || !probe.hasReadlink) {
      return { message: `debug container ${name} has no stat/readlink: use an image with busybox or GNU coreutils` };
    }
    // Once per debug container and process at info level (sessions are probed again after each expiry).
    const line = `target filesystem of ${namespace}/${podName}/${this.ref.container}: debug container ${name}, pid ${pid}, uid ${probe.uid}, ${probe.tools.gnuFind ? 'GNU find' : 'busybox'}, checksum ${probe.tools.sum ?? 'none'}`;
    const key = `${namespace}/${podName}/${name}/${pid}`;
    if (loggedSessions.has(key)) this.options.logger?.debug(line);
    else {
      loggedSessions.add(key);
      this.options.logger?.info(line);
    }
    return { session: { debugContainer: name, pid, probe } };
  }

  /** Runs a protocol script; retries once with a fresh session when the container or process went away. */
  private async exec(op: TargetFsOperation, args: readonly string[], request: { onStdout?: (chunk: Buffer) => void; onStderr?: (chunk: Buffer) => void; stdin?: () => Readable; signal?: AbortSignal } = {}, path?: string): Promise<{ outcome: ExecOutcome; session: SessionInfo }> {
    for (let attempt = 0; ; attempt++) {
      const session = await this.connect();
      let outcome: ExecOutcome;
      try {
        this.execCount++;
        outcome = await runExec({ api: this.api, namespace: this.ref.namespace, pod: this.ref.pod, container: session.debugContainer }, {
          argv: operationCommand(op, session.root ?? session.pid, session.probe.tools, args),
          onStdout: request.onStdout,
          onStderr: request.onStderr,
          stdin: request.stdin?.(),
          signal: request.signal,
        });
      } catch (error) {
        if (request.signal?.aborted) throw new TargetFsError('Cancelled', 'cancelled', path, error);
        if (error instanceof TargetFsError) throw error;
        this.reset();
        if (attempt === 0 && request.stdin === undefined) continue;
        throw new TargetFsError('Unavailable', `${this.describe()}: ${error instanceof Error ? error.message : String(error)}`, path, error);
      }
      if (request.signal?.aborted) throw new TargetFsError('Cancelled', 'cancelled', path);
      const err = scriptError(outcome.stderr.toString('utf8'));
      if (err?.errno === 'EGONE' && attempt === 0) {
        this.reset();
        continue;
      }
      return { outcome, session };
    }
  }

  private describe(): string {
    return `${this.ref.namespace}/${this.ref.pod} container ${this.ref.container}`;
  }

  /** A TargetFsError for a failed script (or undefined when it succeeded). */
  private failure(outcome: ExecOutcome, session: SessionInfo, path: string, what: string): TargetFsError | undefined {
    if (outcome.exitCode === 0) return undefined;
    const stderr = outcome.stderr.toString('utf8');
    const scripted = scriptError(stderr);
    if (outcome.exitCode === undefined && scripted === undefined) {
      return new TargetFsError('Unavailable', `${what} ${path}: the connection to ${this.describe()} was lost`, path);
    }
    const errno = scripted?.errno ?? errnoFromMessage(stderr) ?? 'EIO';
    const text = scripted?.text ?? (stderr.split('\n').filter((l) => l !== '' && !l.startsWith('!')).pop() ?? `exit code ${outcome.exitCode}`).replace(/\/proc\/\d+\/root/g, '');
    let message = `${what} ${path}: ${text}`;
    if (errno === 'EACCES' || errno === 'EPERM') message += ` (${uidAdvice(session.probe)})`;
    if (errno === 'EROFS') message = `${what} ${path}: the target's filesystem is read-only (readOnlyRootFilesystem)`;
    if (errno === 'EGONE') message = `${what} ${path}: the target process is gone (container restarted?)`;
    if (errno === 'ESTOPPED') {
      this.reset();
      return new TargetFsError('Unavailable', `${what} ${path}: debug container ${session.debugContainer} was stopped during it; retry to continue with another debug container`, path);
    }
    return new TargetFsError(codeForErrno(errno), message, path);
  }

  // ------------------------------------------------------------ reading

  async stat(path: string): Promise<TargetStat> {
    path = normalizeTargetPath(path);
    const cached = this.fresh(this.statCache, path);
    if (cached !== undefined) return cached;
    const session = await this.connect();
    const chunks: Buffer[] = [];
    const { outcome } = await this.exec('stat', [shellOctal(nameToBytes(path))], { onStdout: (c) => chunks.push(c) }, path);
    const error = this.failure(outcome, session, path, 'stat');
    if (error) throw error;
    const buf = Buffer.concat(chunks);
    const first = parseEntryBlock(buf, 0, session.probe.tools.gnuFind);
    const self = first.entries[0];
    if (self === undefined) throw new TargetFsError('FileNotFound', `stat ${path}: no such file or directory`, path);
    const ro = onReadonlyMount(session.probe.mounts, path);
    let stat = toStat(self, ro);
    if (self.kind === 'l' && first.pos < buf.length) {
      const resolved = parseEntryBlock(buf, first.pos, session.probe.tools.gnuFind).entries[0];
      if (resolved !== undefined) stat = { ...toStat(resolved, ro), type: TargetFileType.SymbolicLink | kindType(resolved.kind) };
    }
    this.remember(this.statCache, path, stat);
    return stat;
  }

  async readDirectory(path: string): Promise<DirectoryEntry[]> {
    path = normalizeTargetPath(path);
    const cached = this.fresh(this.dirCache, path);
    if (cached !== undefined) return cached;
    const entries = await this.listRaw(path);
    const { probe } = await this.connect();
    const result: DirectoryEntry[] = entries.map((e) => [bytesToName(e.name), entryType(e)]);
    for (const e of entries) {
      const child = joinPath(path, bytesToName(e.name));
      if (e.kind !== 'l' && e.size !== undefined) this.remember(this.statCache, child, toStat(e, onReadonlyMount(probe.mounts, child)));
    }
    this.remember(this.dirCache, path, result);
    return result;
  }

  /** The raw listing (names as bytes, every field), uncached: one exec. */
  async listRaw(path: string): Promise<RawEntry[]> {
    path = normalizeTargetPath(path);
    const session = await this.connect();
    const chunks: Buffer[] = [];
    const { outcome } = await this.exec('list', [shellOctal(nameToBytes(path))], { onStdout: (c) => chunks.push(c) }, path);
    const error = this.failure(outcome, session, path, 'readDirectory');
    if (error) throw error;
    return parseEntryBlock(Buffer.concat(chunks), 0, session.probe.tools.gnuFind).entries;
  }

  /**
   * Streams a file's bytes to `onChunk` as they arrive (no accumulation). Checks the size and, where the debug
   * image has a checksum tool, the checksum: hashed here chunk by chunk as the bytes arrive, and compared with the
   * one the container computed in the same pass as it sent them (read.sh), which must come. Returns the size and checksum.
   */
  async readFileStream(path: string, onChunk: (chunk: Buffer) => void, options: ReadOptions & { onSize?: (size: number) => void } = {}): Promise<{ size: number; sum?: string }> {
    path = normalizeTargetPath(path);
    const session = await this.connect();
    const kind = session.probe.tools.sumKind;
    const hash = kind !== undefined ? createHash(kind) : undefined;
    // The write audit names the SHA-256 of the content a save replaces: only worth its cost while writes are on.
    const auditHash = kind !== 'sha256' && this.options.allowWrites?.() === true && this.options.onWrite !== undefined ? createHash('sha256') : undefined;
    let expected: { size: number; mtime: string } | undefined;
    let received = 0;
    let stderrText = '';
    const { outcome } = await this.exec('read', [shellOctal(nameToBytes(path))], {
      signal: options.signal,
      onStderr: (chunk) => {
        stderrText += chunk.toString('utf8');
        if (expected === undefined) {
          const m = /^!SIZE (\d+):(\d+)$/m.exec(stderrText);
          if (m) {
            expected = { size: Number(m[1]), mtime: m[2] };
            options.onSize?.(expected.size);
          }
        }
      },
      onStdout: (chunk) => {
        received += chunk.length;
        hash?.update(chunk);
        auditHash?.update(chunk);
        onChunk(chunk);
        options.onProgress?.(received, expected?.size ?? received);
      },
    }, path);
    const error = this.failure(outcome, session, path, 'readFile');
    if (error) throw error;
    if (expected === undefined) throw new TargetFsError('Unknown', `readFile ${path}: no size header from the debug container`, path);
    if (received !== expected.size) {
      throw new TargetFsError('Unknown', `readFile ${path}: received ${received} of ${expected.size} bytes (the file changed while it was read, or the stream was cut; retry)`, path);
    }
    const localSum = hash?.digest('hex');
    const remoteSum = stderrValue(outcome.stderr.toString('utf8'), 'SUM');
    if (localSum !== undefined && remoteSum === undefined) {
      throw new TargetFsError('Unknown', `readFile ${path}: no ${kind} checksum from the debug container (the stream was cut?); retry`, path);
    }
    if (localSum !== undefined && localSum !== remoteSum) {
      throw new TargetFsError('Unknown', `readFile ${path}: ${kind} mismatch (received ${localSum}, sent ${remoteSum}: the bytes were altered in transit); retry`, path);
    }
    const sha256 = kind === 'sha256' ? localSum : auditHash?.digest('hex');
    this.fingerprints.set(path, { size: expected.size, mtime: expected.mtime, sum: localSum, ...(sha256 !== undefined ? { sha256 } : {}) });
    return { size: received, sum: localSum };
  }

  /** The whole file in one buffer, allocated once from the size header (no chunk list, no concatenation). */
  async readFile(path: string, options: ReadOptions = {}): Promise<Uint8Array> {
    const assembler = new FileAssembler();
    const { size } = await this.readFileStream(path, (chunk) => assembler.push(chunk), { ...options, onSize: (n) => assembler.expect(n) });
    return assembler.result(size);
  }

  // ------------------------------------------------------------ writing

  private assertWritable(path: string): void {
    if (this.options.allowWrites?.() !== true) {
      throw new TargetFsError('NoPermissions', `${path}: writing to the target's filesystem is off (setting ephemeralDebug.targetFilesystem.allowWrites); writes change a running container`, path);
    }
  }

  /**
   * Atomic: the content goes to a temporary file in the same directory, checked (size, checksum), given the old
   * mode and owner, then renamed over the target. A transfer cut short leaves the old content.
   */
  async writeFile(path: string, content: WriteContent, options: WriteOptions): Promise<void> {
    path = normalizeTargetPath(path);
    this.assertWritable(path);
    const session = await this.connect();
    const kind = session.probe.tools.sumKind;
    const size = content instanceof Uint8Array ? content.length : content.size;
    // One pass over the local content: the SHA-256 for the audit, and the debug image's checksum when it differs.
    const sha256 = createHash('sha256');
    const imageHash = kind !== undefined && kind !== 'sha256' ? createHash(kind) : undefined;
    if (content instanceof Uint8Array) {
      sha256.update(content);
      imageHash?.update(content);
    } else {
      for await (const chunk of content.open()) {
        sha256.update(chunk as Buffer);
        imageHash?.update(chunk as Buffer);
      }
    }
    const contentSha256 = sha256.digest('hex');
    const sum = kind === undefined ? '-' : imageHash?.digest('hex') ?? contentSha256;
    const read = this.fingerprints.get(path);
    const audit: WriteAudit = {
      operation: 'write', path, size, sha256: contentSha256,
      ...(read ? { previous: { size: read.size, ...(read.sha256 !== undefined ? { sha256: read.sha256 } : {}) } } : {}),
      ...(options.origin !== undefined ? { origin: options.origin } : {}),
    };
    await this.audited(audit, () => this.writeChecked(session, path, content, size, sum, contentSha256, options));
  }

  private async writeChecked(session: SessionInfo, path: string, content: WriteContent, size: number, sum: string, contentSha256: string, options: WriteOptions): Promise<void> {
    const open = (): Readable => {
      let sent = 0;
      const source = content instanceof Uint8Array ? Readable.from(chunks(content)) : content.open();
      if (options.onProgress) source.on('data', (c: Buffer) => { sent += c.length; options.onProgress!(sent, size); });
      return source;
    };
    const flags = (options.create ? 'c' : '') + (options.overwrite ? 'o' : '') || '-';
    const print = this.fingerprints.get(path);
    let expected = print ? `${print.size}:${print.mtime}:${print.sum ?? '-'}` : '-';
    for (;;) {
      const { outcome } = await this.exec('write', [shellOctal(nameToBytes(path)), String(size), sum, flags, expected], { stdin: open, signal: options.signal }, path);
      this.invalidate(path);
      const error = this.failure(outcome, session, path, 'writeFile');
      if (error?.code === 'Conflict' && expected !== '-') {
        const current = scriptError(outcome.stderr.toString('utf8'))?.text ?? '';
        const ok = await this.options.confirmOverwrite?.({ path, readSize: print?.size ?? 0, current });
        if (ok === true) {
          expected = '-';
          continue;
        }
        throw new TargetFsError('Conflict', `writeFile ${path}: the file changed on the target since it was read (now ${current.replace(':', ' bytes, mtime ')}); not overwritten`, path);
      }
      if (error) throw error;
      const stat = stderrValue(outcome.stderr.toString('utf8'), 'STAT');
      const [newSize, mtime] = (stat ?? `${size}:0`).split(':');
      this.fingerprints.set(path, { size: Number(newSize), mtime, sum: sum !== '-' ? sum : undefined, sha256: contentSha256 });
      return;
    }
  }

  async createDirectory(path: string): Promise<void> {
    path = normalizeTargetPath(path);
    this.assertWritable(path);
    await this.audited({ operation: 'createDirectory', path }, () => this.simple('mkdir', [path], 'createDirectory'));
    this.invalidate(path);
  }

  async delete(path: string, options: { recursive: boolean }): Promise<void> {
    path = normalizeTargetPath(path);
    this.assertWritable(path);
    try {
      await this.audited({ operation: 'delete', path, recursive: options.recursive }, () => this.simple('delete', [path], 'delete', [options.recursive ? 'r' : '-']));
    } finally {
      this.invalidate(path, true);
    }
  }

  async rename(from: string, to: string, options: { overwrite: boolean }): Promise<void> {
    await this.move('rename', from, to, options);
  }

  async copy(from: string, to: string, options: { overwrite: boolean }): Promise<void> {
    await this.move('copy', from, to, options);
  }

  private async move(kind: 'rename' | 'copy', from: string, to: string, options: { overwrite: boolean }): Promise<void> {
    from = normalizeTargetPath(from);
    to = normalizeTargetPath(to);
    this.assertWritable(to);
    try {
      await this.audited({ operation: kind, path: from, to }, () => this.simple('move', [from, to], kind, [options.overwrite ? 'o' : '-'], [kind === 'rename' ? 'mv' : 'cp']));
    } finally {
      if (kind === 'rename') this.invalidate(from, true);
      this.invalidate(to, true);
    }
  }

  /** Runs a change and tells onWrite how it went; a refused write (writes off) is not a change, so not audited. */
  private async audited(audit: WriteAudit, change: () => Promise<void>): Promise<void> {
    try {
      await change();
    } catch (error) {
      this.options.onWrite?.({ ...audit, error: error instanceof Error ? error.message : String(error) });
      throw error;
    }
    this.options.onWrite?.(audit);
  }

  private async simple(op: TargetFsOperation, paths: string[], what: string, extra: string[] = [], leading: string[] = []): Promise<void> {
    const session = await this.connect();
    const { outcome } = await this.exec(op, [...leading, ...paths.map((p) => shellOctal(nameToBytes(p))), ...extra], {}, paths[0]);
    const error = this.failure(outcome, session, paths.join(' → '), what);
    if (error) throw error;
  }

  // ------------------------------------------------------------ cache and watch

  private fresh<T>(cache: Map<string, Cached<T>>, path: string): T | undefined {
    const hit = cache.get(path);
    if (hit === undefined) return undefined;
    if (hit.expires > Date.now()) return hit.value;
    cache.delete(path);
    return undefined;
  }

  private remember<T>(cache: Map<string, Cached<T>>, path: string, value: T): void {
    if (this.ttl > 0) cache.set(path, { expires: Date.now() + this.ttl, value });
  }

  /** Drops cached answers for `path`, its parent's listing and (for `recursive`) everything below it. */
  invalidate(path: string, recursive = false): void {
    path = normalizeTargetPath(path);
    const parent = parentPath(path);
    this.statCache.delete(path);
    this.dirCache.delete(path);
    this.dirCache.delete(parent);
    this.statCache.delete(parent);
    if (recursive) {
      const prefix = path === '/' ? '/' : `${path}/`;
      for (const cache of [this.statCache, this.dirCache] as Map<string, unknown>[]) {
        for (const key of [...cache.keys()]) if (key.startsWith(prefix)) cache.delete(key);
      }
      for (const key of [...this.fingerprints.keys()]) if (key === path || key.startsWith(prefix)) this.fingerprints.delete(key);
    }
  }

  /**
   * Polls `path` every `intervalMs` (a stat, or for a directory one listing) and reports what changed: the
   * directory's direct entries (deeper levels are not polled), or the file itself.
   */
  watch(path: string, intervalMs: number, listener: (events: WatchEvent[]) => void, onPolled?: () => void): { dispose(): void } {
    path = normalizeTargetPath(path);
    let previous: Map<string, string> | undefined;
    let running = false;
    let disposed = false;
    const snapshot = async (): Promise<Map<string, string>> => {
      const now = new Map<string, string>();
      try {
        const stat = await this.statUncached(path);
        now.set(path, `${stat.type}:${stat.size}:${stat.mtime}`);
        if (stat.type & TargetFileType.Directory) {
          for (const e of await this.listRaw(path)) now.set(joinPath(path, bytesToName(e.name)), `${e.kind}:${e.size ?? ''}:${e.mtime ?? ''}`);
        }
      } catch (error) {
        if (!(error instanceof TargetFsError && error.code === 'FileNotFound')) throw error;
      }
      return now;
    };
    const tick = async (): Promise<void> => {
      if (running || disposed) return;
      running = true;
      try {
        const now = await snapshot();
        if (previous !== undefined && !disposed) {
          const events: WatchEvent[] = [];
          for (const [p, v] of now) {
            const before = previous.get(p);
            if (before === undefined) events.push({ type: 'created', path: p });
            else if (before !== v) events.push({ type: 'changed', path: p });
          }
          for (const p of previous.keys()) if (!now.has(p)) events.push({ type: 'deleted', path: p });
          if (events.length > 0) {
            for (const e of events) this.invalidate(e.path);
            listener(events);
          }
        }
        previous = now;
        onPolled?.();
      } catch (error) {
        this.options.logger?.debug(`watch ${path}: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        running = false;
      }
    };
    void tick();
    const timer = setInterval(() => void tick(), Math.max(250, intervalMs));
    timer.unref?.();
    return { dispose: () => { disposed = true; clearInterval(timer); } };
  }

  private async statUncached(path: string): Promise<TargetStat> {
    this.statCache.delete(path);
    return this.stat(path);
  }
}

function* chunks(content: Uint8Array): Generator<Buffer> {
  const buf = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  for (let i = 0; i < buf.length; i += CHUNK) yield buf.subarray(i, Math.min(buf.length, i + CHUNK));
}

function kindType(kind: string): number {
  return kind === 'd' ? TargetFileType.Directory : kind === 'f' ? TargetFileType.File : TargetFileType.Unknown;
}

function entryType(e: RawEntry): number {
  if (e.kind !== 'l') return kindType(e.kind);
  return TargetFileType.SymbolicLink | kindType(e.link);
}

function toStat(e: RawEntry, readonlyMount: boolean): TargetStat {
  return {
    type: entryType(e),
    size: e.size ?? 0,
    mtime: e.mtime ?? 0,
    ctime: e.ctime ?? e.mtime ?? 0,
    readonly: !e.writable || readonlyMount,
    mode: e.mode,
    uid: e.uid,
    gid: e.gid,
  };
}

/** The cause and the fix of EACCES in words. */
export function uidAdvice(probe: Pick<ProbeResult, 'uid' | 'targetUid'>): string {
  const uid = probe.uid ?? '?';
  const tuid = probe.targetUid ?? '?';
  return uid !== tuid
    ? `the debug container runs as uid ${uid}, the target as uid ${tuid}: reattach with the auto profile`
    : `the debug container runs as uid ${uid} like the target, and the file's mode denies it: reattach with the auto profile (root with SYS_PTRACE where Pod Security allows it)`;
}

/**
 * Collects a file's bytes into one buffer sized from the size header. stdout and stderr are separate channels,
 * so bytes may arrive before the header: those (and anything beyond the announced size) go to a chunk list,
 * which then holds everything, in order, to the end.
 */
export class FileAssembler {
  private buffer: Buffer | undefined;
  private spill: Buffer[] | undefined;
  private offset = 0;

  /** The size header arrived. */
  expect(size: number): void {
    if (this.spill === undefined && this.offset === 0) this.buffer = Buffer.allocUnsafe(size);
  }

  push(chunk: Buffer): void {
    if (this.spill === undefined && this.buffer !== undefined && this.offset + chunk.length <= this.buffer.length) {
      chunk.copy(this.buffer, this.offset);
    } else {
      this.spill ??= this.buffer !== undefined ? [this.buffer.subarray(0, this.offset)] : [];
      this.spill.push(Buffer.from(chunk));
      this.buffer = undefined;
    }
    this.offset += chunk.length;
  }

  result(size: number): Buffer {
    if (this.spill !== undefined) return Buffer.concat(this.spill, size);
    return this.buffer ?? Buffer.alloc(0);
  }
}

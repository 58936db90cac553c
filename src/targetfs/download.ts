/**
 * Download from the target filesystem to local disk, vscode-free. Remote names are written by the pod, so
 * each one becomes a single local file name under the platform's rules (never a path: no separator, no `..`,
 * no Windows device name), and each file is written to a temporary sibling that replaces the destination only
 * once the whole file arrived: a failed or cancelled read leaves an existing file as it was.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, promises as fsp } from 'node:fs';
import * as nodePath from 'node:path';
import { TargetFsError } from './errors';
import { joinPath } from './names';
import { TargetFileType, type TargetFileSystem } from './targetFileSystem';

export type LocalPlatform = 'win32' | 'posix';

/** Invalid UTF-8 bytes of a remote name come back as these private-use characters (see names.ts). */
const ESCAPED_BYTES = /[\uf780-\uf7ff]/g;
const WINDOWS_FORBIDDEN = /[<>:"/\\|?*\x00-\x1f]/g;
const POSIX_FORBIDDEN = /[/\x00]/g;
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?$/i;

/**
 * One remote directory entry's name as a local file name on `platform`: separators and characters the platform
 * forbids become `_`, `.` and `..` (and Windows' trailing dots and spaces, which it drops) become `_`, and a
 * Windows device name (CON, NUL, COM1.txt, …) gets a leading `_`. The result is never empty.
 */
export function localFileName(remoteName: string, platform: LocalPlatform): string {
  let name = remoteName.replace(ESCAPED_BYTES, '_').replace(platform === 'win32' ? WINDOWS_FORBIDDEN : POSIX_FORBIDDEN, '_');
  if (platform === 'win32') {
    name = name.replace(/[. ]+$/, (tail) => '_'.repeat(tail.length));
    if (WINDOWS_DEVICE.test(name)) name = `_${name}`;
  } else if (name === '.' || name === '..') {
    name = '_'.repeat(name.length);
  }
  return name === '' ? '_' : name;
}

export function currentPlatform(): LocalPlatform {
  return process.platform === 'win32' ? 'win32' : 'posix';
}

/** What a download reads (a TargetFileSystem). */
export type DownloadSource = Pick<TargetFileSystem, 'stat' | 'readDirectory' | 'readFileStream'>;

export interface DownloadOptions {
  readonly report?: (bytes: number, remotePath: string) => void;
  readonly signal?: AbortSignal;
  /** Whose name rules apply; default this machine's. */
  readonly platform?: LocalPlatform;
}

/**
 * Downloads `remotePath` (a file, or a directory recursively: symbolic links, devices and sockets skipped) to
 * `localPath`; returns the number of files written.
 */
export async function downloadTree(source: DownloadSource, remotePath: string, localPath: string, options: DownloadOptions = {}): Promise<number> {
  const platform = options.platform ?? currentPlatform();
  const stat = await source.stat(remotePath);
  if (stat.type & TargetFileType.Directory) {
    await fsp.mkdir(localPath, { recursive: true });
    let files = 0;
    for (const [name, type] of await source.readDirectory(remotePath)) {
      if (options.signal?.aborted) throw new TargetFsError('Cancelled', 'cancelled');
      if (type === TargetFileType.Unknown || type === TargetFileType.SymbolicLink) continue; // devices, sockets, dangling links
      const pathApi = platform === 'win32' ? nodePath.win32 : nodePath.posix;
      files += await downloadTree(source, joinPath(remotePath, name), pathApi.join(localPath, localFileName(name, platform)), options);
    }
    return files;
  }
  await downloadFile(source, remotePath, localPath, options);
  return 1;
}

/** One file, through a temporary sibling renamed over `localPath` once complete. */
async function downloadFile(source: DownloadSource, remotePath: string, localPath: string, options: DownloadOptions): Promise<void> {
  const temporary = nodePath.join(nodePath.dirname(localPath), `.${nodePath.basename(localPath)}.${randomBytes(4).toString('hex')}.download`);
  const out = createWriteStream(temporary, { flags: 'wx' });
  const failed = new Promise<never>((_, reject) => out.on('error', reject));
  failed.catch(() => undefined);
  let complete = false;
  try {
    await Promise.race([source.readFileStream(remotePath, (chunk) => {
      out.write(chunk);
      options.report?.(chunk.length, remotePath);
    }, { signal: options.signal }), failed]);
    await Promise.race([new Promise<void>((resolve) => out.end(resolve)), failed]);
    // Replacing a file keeps its permissions (a new one has the umask's, as any new file).
    const previous = await fsp.stat(localPath).catch(() => undefined);
    if (previous !== undefined) await fsp.chmod(temporary, previous.mode & 0o7777);
    await fsp.rename(temporary, localPath);
    complete = true;
  } finally {
    if (!complete) {
      out.destroy();
      await new Promise<void>((resolve) => (out.closed ? resolve() : out.once('close', () => resolve())));
      await fsp.unlink(temporary).catch(() => undefined);
    }
  }
}

/**
 * Storing artifact files: names that stay inside the session folder, and writes that are atomic (a temp
 * file renamed into place), so a crash or a failed download never leaves half a heap dump looking complete.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, link, mkdir, rename, unlink } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Why `fileName` cannot name an artifact, or undefined when it can. */
export function artifactNameProblem(fileName: string): string | undefined {
  if (fileName === '' || fileName === '.' || fileName === '..') return 'it is empty or a relative folder name';
  if (/[/\\\0]/.test(fileName)) return 'it contains a path separator';
  if (fileName.startsWith('.')) return 'it starts with a dot (temporary files use that)';
  if (Buffer.byteLength(fileName) > 200) return 'it is longer than 200 bytes';
  if (/[<>:"|?*\x00-\x1f]/.test(fileName)) return 'it contains a character Windows file names cannot hold';
  return undefined;
}

export function checkArtifactName(fileName: string): void {
  const problem = artifactNameProblem(fileName);
  if (problem) throw new Error(`Cannot store the artifact "${fileName}": ${problem}. Choose a plain file name.`);
}

/** `name`, `name-2.ext`, `name-3.ext`, …: the first not in `taken`. */
export function uniqueName(fileName: string, taken: ReadonlySet<string>): string {
  if (!taken.has(fileName)) return fileName;
  const ext = extname(fileName);
  const stem = ext && ext !== fileName ? fileName.slice(0, -ext.length) : fileName;
  const suffix = ext && ext !== fileName ? ext : '';
  for (let n = 2; ; n++) {
    const candidate = `${stem}-${n}${suffix}`;
    if (!taken.has(candidate)) return candidate;
  }
}

export interface StoredFile {
  readonly size: number;
  readonly sha256: string;
}

/**
 * Writes `content` to `folder/fileName` through a temp file. The final step is link(2), not rename, so a
 * file of that name created meanwhile (another window) is never replaced: EEXIST is thrown instead.
 */
export async function writeFileAtomic(folder: string, fileName: string, content: string | Buffer | Readable): Promise<StoredFile> {
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const tmpPath = join(folder, `.${fileName}.${randomBytes(6).toString('hex')}.tmp`);
  const hash = createHash('sha256');
  let size = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  const source = typeof content === 'string' || Buffer.isBuffer(content) ? Readable.from([Buffer.from(content)]) : content;
  try {
    await pipeline(source, measure, createWriteStream(tmpPath, { mode: 0o600, flush: true }));
    await placeWithoutReplacing(tmpPath, join(folder, fileName));
  } finally {
    await unlink(tmpPath).catch(() => undefined);
  }
  return { size, sha256: hash.digest('hex') };
}

async function placeWithoutReplacing(tmpPath: string, finalPath: string): Promise<void> {
  try {
    await link(tmpPath, finalPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // File systems without hard links (FAT, some network shares): check, then rename.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
    const exists = await access(finalPath).then(() => true, () => false);
    if (exists) throw Object.assign(new Error(`${finalPath} already exists`), { code: 'EEXIST' });
    await rename(tmpPath, finalPath);
  }
}

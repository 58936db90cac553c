/**
 * Security #12.9: Download never loses or half-writes a local file, and a remote name (written by the pod)
 * stays one file name inside the chosen folder under both Windows' and POSIX rules. The source is an in-memory
 * stand-in for the target filesystem (the thing under test is the local side); files are real, in a temp dir.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as nodePath from 'node:path';
import { downloadTree, localFileName, type DownloadSource } from '../../../src/targetfs/download';
import { TargetFsError } from '../../../src/targetfs/errors';
import { TargetFileType } from '../../../src/targetfs/targetFileSystem';

/** A remote tree: a string is a file's content, an object a directory; `fail` files send a part, then fail. */
type Tree = { [name: string]: string | Tree | { fail: string } };

function source(root: Tree): DownloadSource {
  const find = (path: string): string | Tree | { fail: string } | undefined => {
    let node: string | Tree | { fail: string } | undefined = root;
    for (const part of path.split('/').filter((p) => p !== '')) node = typeof node === 'object' && !('fail' in node) ? (node as Tree)[part] : undefined;
    return node;
  };
  const isDir = (node: unknown): node is Tree => typeof node === 'object' && node !== null && !('fail' in node);
  return {
    stat: async (path) => {
      const node = find(path);
      if (node === undefined) throw new TargetFsError('FileNotFound', `${path}: no such file`, path);
      return { type: isDir(node) ? TargetFileType.Directory : TargetFileType.File, size: 0, mtime: 0, ctime: 0, readonly: true } as never;
    },
    readDirectory: async (path) => Object.entries(find(path) as Tree).map(([name, node]) => [name, isDir(node) ? TargetFileType.Directory : TargetFileType.File]),
    readFileStream: async (path, onChunk) => {
      const node = find(path);
      if (typeof node === 'object' && 'fail' in node) {
        onChunk(Buffer.from((node as { fail: string }).fail));
        throw new TargetFsError('Unavailable', `readFile ${path}: the connection to the pod was lost`, path);
      }
      onChunk(Buffer.from(node as string));
      return { size: (node as string).length };
    },
  };
}

describe('security #12.9: Download', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(nodePath.join(tmpdir(), 'download-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('security #12.9: a read that fails leaves the existing file as it was, and no partial file behind', async () => {
    const local = nodePath.join(dir, 'app.log');
    await writeFile(local, 'precious local content', { mode: 0o640 });
    await assert.rejects(downloadTree(source({ 'app.log': { fail: 'half of the' } }), '/app.log', local), /connection to the pod was lost/);
    assert.equal(await readFile(local, 'utf8'), 'precious local content');
    assert.deepEqual(await readdir(dir), ['app.log'], 'no temporary file left');
  });

  it('security #12.9: a complete download replaces the file, keeping its permissions', async () => {
    const local = nodePath.join(dir, 'app.log');
    await writeFile(local, 'old', { mode: 0o640 });
    assert.equal(await downloadTree(source({ 'app.log': 'new content' }), '/app.log', local), 1);
    assert.equal(await readFile(local, 'utf8'), 'new content');
    assert.equal((await stat(local)).mode & 0o777, 0o640);
    assert.deepEqual(await readdir(dir), ['app.log']);
  });

  it('security #12.9: hostile remote names in a directory stay files inside the chosen folder', async () => {
    const tree: Tree = { logs: { '..\\..\\evil.txt': 'a', 'bad\uf7ffname': 'b', 'ok.txt': 'c' } };
    assert.equal(await downloadTree(source(tree), '/logs', nodePath.join(dir, 'logs'), { platform: 'posix' }), 3);
    assert.deepEqual(await readdir(dir), ['logs'], 'nothing outside the chosen folder');
    assert.deepEqual((await readdir(nodePath.join(dir, 'logs'))).sort(), ['..\\..\\evil.txt', 'bad_name', 'ok.txt']);
  });

  const cases: { name: string; win32: string; posix: string }[] = [
    { name: '..\\..\\evil.txt', win32: '.._.._evil.txt', posix: '..\\..\\evil.txt' },
    { name: '..', win32: '__', posix: '__' },
    { name: '.', win32: '_', posix: '_' },
    { name: 'a/b', win32: 'a_b', posix: 'a_b' },
    { name: 'C:evil', win32: 'C_evil', posix: 'C:evil' },
    { name: 'name. . ', win32: 'name____', posix: 'name. . ' },
    { name: 'CON', win32: '_CON', posix: 'CON' },
    { name: 'nul.txt', win32: '_nul.txt', posix: 'nul.txt' },
    { name: 'com1.tar.gz', win32: '_com1.tar.gz', posix: 'com1.tar.gz' },
    { name: 'what?<>|*"', win32: 'what______', posix: 'what?<>|*"' },
    { name: 'tab\there\nnewline', win32: 'tab_here_newline', posix: 'tab\there\nnewline' },
    { name: 'nul\0byte', win32: 'nul_byte', posix: 'nul_byte' },
    { name: 'bad\uf7ffutf8', win32: 'bad_utf8', posix: 'bad_utf8' },
    { name: 'console.log', win32: 'console.log', posix: 'console.log' },
    { name: '', win32: '_', posix: '_' },
  ];
  for (const platform of ['win32', 'posix'] as const) {
    it(`security #12.9: remote names become single ${platform} file names`, () => {
      const join = platform === 'win32' ? nodePath.win32 : nodePath.posix;
      const folder = platform === 'win32' ? 'C:\\Users\\me\\Downloads' : '/home/me/Downloads';
      for (const c of cases) {
        const local = localFileName(c.name, platform);
        assert.equal(local, c[platform], JSON.stringify(c.name));
        const joined = join.join(folder, local);
        assert.equal(join.dirname(joined), folder, `${JSON.stringify(c.name)} stays in the folder`);
        assert.equal(join.basename(joined), local);
      }
    });
  }
});

/**
 * The k8s-target FileSystemProvider through `vscode.workspace.fs`, as the Explorer and editors use it: a debug
 * container targeting demo/node-app's `app` is added with ephemeralDebug.attach (non-interactive), then the
 * target's /app is listed, server.js is read and stat'ed (read-only: writes are off by default), and a write is
 * refused with NoPermissions.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { kubeConfig } from './support';

describe('Target filesystem (k8s-target) through vscode.workspace.fs', () => {
  it('lists, stats and reads the target\'s files, and refuses writes while they are off', async function () {
    this.timeout(120_000);
    const result = await vscode.commands.executeCommand<{ container: string } | undefined>('ephemeralDebug.attach', { namespace: 'demo', pod: 'node-app', image: 'busybox', target: 'app', interactive: false });
    assert.ok(result, 'ephemeralDebug.attach returned nothing');
    const context = kubeConfig().getCurrentContext();
    const uri = (path: string) => vscode.Uri.from({ scheme: 'k8s-target', authority: context, path: `/demo/node-app/app${path}` });

    const entries = await vscode.workspace.fs.readDirectory(uri('/app'));
    assert.ok(entries.some(([name, type]) => name === 'server.js' && type === vscode.FileType.File), JSON.stringify(entries));
    const stat = await vscode.workspace.fs.stat(uri('/app/server.js'));
    assert.equal(stat.type, vscode.FileType.File);
    assert.ok(stat.size > 0);
    const text = Buffer.from(await vscode.workspace.fs.readFile(uri('/app/server.js'))).toString('utf8');
    assert.match(text, /createServer|listen/);
    await assert.rejects(Promise.resolve(vscode.workspace.fs.writeFile(uri('/app/new.txt'), Buffer.from('x'))), (error: unknown) => error instanceof vscode.FileSystemError && /NoPermissions/.test(error.code));
    await assert.rejects(Promise.resolve(vscode.workspace.fs.stat(uri('/app/missing'))), (error: unknown) => error instanceof vscode.FileSystemError && /FileNotFound|EntryNotFound/.test(error.code));
  });
});

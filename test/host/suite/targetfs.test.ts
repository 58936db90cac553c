/**
 * The k8s-target FileSystemProvider through `vscode.workspace.fs`, as the Explorer and editors use it: a debug
 * container targeting demo/node-app's `app` is added with ephemeralDebug.attach (non-interactive), then the
 * target's /app is listed, server.js is read and stat'ed, a write is refused with NoPermissions while writes are
 * off (the default); with them on, a file is written, read back and deleted, and errors carry their codes.
 */
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import * as vscode from 'vscode';
import { EXTENSION_ID, kubeConfig, waitFor } from './support';

/** The journal's actions (description and details) as written so far. */
function journalActions(): { description: string; details?: Record<string, unknown> }[] {
  const path = join(homedir(), 'user-data', 'User', 'globalStorage', EXTENSION_ID, 'debug-sessions', 'journal.jsonl');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { type: string; description: string; details?: Record<string, unknown> })
    .filter((e) => e.type === 'action');
}

describe('Target filesystem (k8s-target) through vscode.workspace.fs', () => {
  it('lists, stats and reads the target\'s files, refuses writes while they are off, and writes when they are on', async function () {
    this.timeout(120_000);
    const result = await vscode.commands.executeCommand<{ container: string } | undefined>('ephemeralDebug.attach', { namespace: 'demo', pod: 'node-app', image: 'busybox:1.36', target: 'app', interactive: false });
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

    // With writes switched on (user setting), a file is written, read back, refused as a directory, and deleted.
    const settings = vscode.workspace.getConfiguration('ephemeralDebug');
    await settings.update('targetFilesystem.allowWrites', true, vscode.ConfigurationTarget.Global);
    try {
      const content = Buffer.from(`written through vscode.workspace.fs at ${Date.now()}\n`);
      await vscode.workspace.fs.writeFile(uri('/app/host-test.txt'), content);
      assert.equal(Buffer.from(await vscode.workspace.fs.readFile(uri('/app/host-test.txt'))).toString('utf8'), content.toString('utf8'));
      await assert.rejects(Promise.resolve(vscode.workspace.fs.readFile(uri('/app'))), (error: unknown) => error instanceof vscode.FileSystemError && /FileIsADirectory/.test(error.code));
      await vscode.workspace.fs.delete(uri('/app/host-test.txt'));
      await assert.rejects(Promise.resolve(vscode.workspace.fs.stat(uri('/app/host-test.txt'))), (error: unknown) => error instanceof vscode.FileSystemError && /FileNotFound|EntryNotFound/.test(error.code));

      // Every write is audited in the journal: the save with its size and SHA-256, then the delete.
      const saved = await waitFor('the save in the journal', () => journalActions().find((a) => a.description === 'saved /app/host-test.txt' && a.details?.sha256 === createHash('sha256').update(content).digest('hex')));
      assert.equal(saved.details?.size, content.length);
      await waitFor('the delete in the journal', () => journalActions().find((a) => a.description === 'deleted /app/host-test.txt'));
    } finally {
      await settings.update('targetFilesystem.allowWrites', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('a read without a debug container (the Explorer re-reading a folder after its container stopped) fails at once and offers one in a notification, not a modal', async function () {
    this.timeout(180_000);
    const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
    const name = `fs-no-debugger-${Date.now().toString(36)}`;
    await core.createNamespacedPod({ namespace: 'demo', body: { metadata: { name }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'app', image: 'busybox:1.36', command: ['sleep', '3600'] }] } } });
    try {
      await waitFor(`demo/${name} to run`, async () => ((await core.readNamespacedPod({ namespace: 'demo', name })).status?.phase === 'Running' ? true : undefined), 120_000, 500);
      const uri = vscode.Uri.from({ scheme: 'k8s-target', authority: kubeConfig().getCurrentContext(), path: `/demo/${name}/app/` });
      // A modal would wait for an answer that never comes: the read must settle by itself.
      await assert.rejects(
        Promise.resolve(vscode.workspace.fs.readDirectory(uri)),
        (error: unknown) => error instanceof vscode.FileSystemError && /Unavailable/.test(error.code) && error.message.includes(`no running debug container targets container app of demo/${name}`),
      );
      const pod = await core.readNamespacedPod({ namespace: 'demo', name });
      assert.equal(pod.spec?.ephemeralContainers?.length ?? 0, 0, 'nothing was added without being asked');
    } finally {
      await core.deleteNamespacedPod({ namespace: 'demo', name, gracePeriodSeconds: 0 }).catch(() => undefined);
    }
  });
});

/**
 * A breakpoint set in the pod's own file — the `k8s-target:` editor of demo/node-app's /app/server.js, no
 * local copy anywhere — binds in js-debug and stops the running server's request handler, and the paused line
 * is shown in that same `k8s-target:` editor (not a read-only copy from the debugger).
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { ensureNodeAppDebugContainer } from './targetDebugContainer';
import { kubeConfig, ui, waitFor } from './support';

interface DapMessage {
  type?: string;
  event?: string;
  command?: string;
  body?: { threadId?: number; reason?: string; breakpoint?: { verified?: boolean }; breakpoints?: { verified?: boolean }[] };
}

describe('Breakpoints in the target filesystem (k8s-target) editor', () => {
  const disposables: vscode.Disposable[] = [];
  afterEach(async () => {
    await vscode.debug.stopDebugging();
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    disposables.splice(0).forEach((d) => d.dispose());
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('binds a breakpoint set in k8s-target:/app/server.js, stops there on a request and shows the paused line in that editor', async function () {
    this.timeout(180_000);
    // The target filesystem reads through a debug container: add one without questions.
    await ensureNodeAppDebugContainer();
    const serverJs = vscode.Uri.from({ scheme: 'k8s-target', authority: kubeConfig().getCurrentContext(), path: '/demo/node-app/app/app/server.js' });
    const document = await vscode.workspace.openTextDocument(serverJs);
    const line = document.getText().split('\n').findIndex((l) => l.includes('requests++'));
    assert.ok(line >= 0, 'the pod\'s server.js has the requests++ line');
    await vscode.window.showTextDocument(document);

    const messages: { session: vscode.DebugSession; message: DapMessage }[] = [];
    disposables.push(vscode.debug.registerDebugAdapterTrackerFactory('*', {
      createDebugAdapterTracker: (session) => ({ onDidSendMessage: (message: DapMessage) => messages.push({ session, message }) }),
    }));
    const sessions: vscode.DebugSession[] = [];
    disposables.push(vscode.debug.onDidStartDebugSession((s) => sessions.push(s)));

    vscode.debug.addBreakpoints([new vscode.SourceBreakpoint(new vscode.Location(serverJs, new vscode.Position(line, 0)))]);
    // No localRoot: the configuration a user without the program's sources would write.
    await vscode.debug.startDebugging(undefined, { type: 'kubernetes-ephemeral', request: 'attach', name: 'Kubernetes: node-app (remote files)', namespace: 'demo', pod: 'node-app', runtime: 'node' });
    const nodeSession = await waitFor('a js-debug attach session', () => sessions.find((s) => (s.configuration.type === 'node' || s.configuration.type === 'pwa-node') && s.configuration.request === 'attach'), 120_000);
    const target = await waitFor('the js-debug target session', () => sessions.find((s) => s.parentSession === nodeSession), 30_000);

    // js-debug answers the k8s-target breakpoint as bound (verified) once the script is matched.
    await waitFor('the k8s-target breakpoint to be verified by js-debug', () => messages.some(({ session, message }) => session === target && (
      (message.type === 'response' && message.command === 'setBreakpoints' && message.body?.breakpoints?.some((b) => b.verified === true)) ||
      (message.type === 'event' && message.event === 'breakpoint' && message.body?.breakpoint?.verified === true))) ? true : undefined, 30_000);

    const stopped = await waitFor('the debugger to stop', async () => {
      const hit = messages.find(({ session, message }) => session === target && message.type === 'event' && message.event === 'stopped');
      if (hit !== undefined) return hit.message.body!;
      await Promise.resolve(target.customRequest('evaluate', { expression: `require('http').get('http://127.0.0.1:8080/from-remote-breakpoint').on('error', () => {}); 1`, context: 'repl' })).catch(() => undefined);
      return undefined;
    }, 60_000, 1000);
    assert.equal(stopped.reason, 'breakpoint');
    const trace = await target.customRequest('stackTrace', { threadId: stopped.threadId, startFrame: 0, levels: 1 }) as { stackFrames: { line: number; source?: { path?: string; sourceReference?: number } }[] };
    const top = trace.stackFrames[0]!;
    assert.equal(top.line, line + 1, 'stopped on the requests++ line');
    assert.equal(vscode.Uri.parse(top.source?.path ?? '').toString(), serverJs.toString(), `the frame's source is the k8s-target file: ${JSON.stringify(top.source)}`);
    assert.ok(!(top.source?.sourceReference && top.source.sourceReference > 0), 'no debugger-only copy (sourceReference)');

    // The workbench shows the paused line in the k8s-target editor.
    const editor = await waitFor('the paused line in the k8s-target editor', () => {
      const active = vscode.window.activeTextEditor;
      return active?.document.uri.toString() === serverJs.toString() && active.selection.start.line === line ? active : undefined;
    }, 15_000);
    assert.equal(editor.document.uri.scheme, 'k8s-target');
    await ui({ action: 'screenshot', name: 'target-breakpoint' });

    await target.customRequest('continue', { threadId: stopped.threadId });
    await vscode.debug.stopDebugging(nodeSession);
  });
});

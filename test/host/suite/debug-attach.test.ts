/**
 * One-step debugger attach in the real extension host: a `kubernetes-ephemeral` configuration for the
 * distroless demo/node-app opens its inspector (SIGUSR1 from a debug container), forwards it, and starts
 * VS Code's own js-debug attach session through the forward; a breakpoint set in the LOCAL copy of
 * server.js (localRoot ↔ remoteRoot /app) stops the running pod's request handler; stopping the session
 * stops the forward.
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { hostTestConfig, ui, waitFor } from './support';

describe('Debugger attach (kubernetes-ephemeral)', () => {
  const disposables: vscode.Disposable[] = [];
  afterEach(async () => {
    await vscode.debug.stopDebugging();
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    disposables.splice(0).forEach((d) => d.dispose());
  });

  it('attaches js-debug to demo/node-app through a port-forward and stops at a breakpoint in server.js', async function () {
    this.timeout(180_000);
    const localRoot = join(hostTestConfig().repoRoot, 'test', 'cluster', 'demo', 'node-app');
    const serverJs = vscode.Uri.file(join(localRoot, 'server.js'));
    const line = readFileSync(serverJs.fsPath, 'utf8').split('\n').findIndex((l) => l.includes('requests++'));
    assert.ok(line >= 0, 'server.js has the requests++ line');

    // Watch what the js-debug session sends: its "stopped" event.
    const stopped: { threadId: number; reason: string }[] = [];
    disposables.push(vscode.debug.registerDebugAdapterTrackerFactory('*', {
      createDebugAdapterTracker: () => ({
        onDidSendMessage: (message: { type?: string; event?: string; body?: { threadId: number; reason: string } }) => {
          if (message.type === 'event' && message.event === 'stopped' && message.body) stopped.push(message.body);
        },
      }),
    }));
    const sessions: vscode.DebugSession[] = [];
    disposables.push(vscode.debug.onDidStartDebugSession((s) => sessions.push(s)));
    const ended: vscode.DebugSession[] = [];
    disposables.push(vscode.debug.onDidTerminateDebugSession((s) => ended.push(s)));

    vscode.debug.addBreakpoints([new vscode.SourceBreakpoint(new vscode.Location(serverJs, new vscode.Position(line, 0)))]);
    const started = await vscode.debug.startDebugging(undefined, {
      type: 'kubernetes-ephemeral',
      request: 'attach',
      name: 'Kubernetes: node-app',
      namespace: 'demo',
      pod: 'node-app',
      runtime: 'node',
      localRoot,
      remoteRoot: '/app',
    });
    // The kubernetes-ephemeral configuration itself resolves to nothing: a `node` session (js-debug names
    // it pwa-node) runs instead.
    assert.equal(started, false);
    const nodeSession = await waitFor('a js-debug attach session', () => sessions.find((s) => (s.configuration.type === 'node' || s.configuration.type === 'pwa-node') && s.configuration.request === 'attach'), 120_000);
    assert.equal(nodeSession.configuration.address, '127.0.0.1');
    assert.equal(nodeSession.configuration.remoteRoot, '/app');

    // js-debug attaches to the target (a child session for the Node process): make the server handle a request.
    const target = await waitFor('the js-debug target session', () => sessions.find((s) => s.parentSession === nodeSession) ?? undefined, 30_000);
    await waitFor('the breakpoint to be verified', async () => {
      try {
        await target.customRequest('evaluate', { expression: `require('http').get('http://127.0.0.1:8080/from-breakpoint-test').on('error', () => {}); 1`, context: 'repl' });
        return stopped.length > 0 ? true : undefined;
      } catch {
        return undefined;
      }
    }, 60_000, 1000);
    const hit = stopped[0]!;
    assert.equal(hit.reason, 'breakpoint');
    const trace = await target.customRequest('stackTrace', { threadId: hit.threadId, startFrame: 0, levels: 1 }) as { stackFrames: { line: number; source?: { path?: string } }[] };
    const top = trace.stackFrames[0]!;
    assert.equal(top.line, line + 1, 'stopped on the requests++ line');
    // In code-server the path comes back as a vscode-remote:// URI of the same file.
    assert.ok(top.source?.path?.endsWith(serverJs.fsPath), `mapped to the local server.js: ${top.source?.path}`);
    // The debug console says which way the session went: handed to the built-in js-debug (issue 15).
    await vscode.commands.executeCommand('workbench.panel.repl.view.focus');
    const handed = 'Node.js session handed to VS Code\'s built-in debugger (type "node")';
    await waitFor(`the debug console to say "${handed}"`, async () => ((await ui<string>({ action: 'debugConsoleText' })).includes(handed) ? true : undefined), 15_000);

    await target.customRequest('continue', { threadId: hit.threadId });
    await vscode.debug.stopDebugging(nodeSession);
    await waitFor('the js-debug session to end', () => (ended.includes(nodeSession) ? true : undefined), 30_000);
  });
});

/**
 * Python and Go attach without their VS Code extensions (ms-python.debugpy and golang.go are not installed
 * here: no marketplace): the `kubernetes-ephemeral` session speaks DAP itself to the debugpy injected into
 * demo/python-app and to the dlv attached to demo/go-app, through the port-forward. Each stops at a breakpoint
 * set in the local copy of the program (path mappings), answers a `variables` request with the handler's
 * local, and Continue lets the HTTP request that hit the breakpoint finish. The debug console says which way
 * the session went; ending the session stops the forward and the debug server in the pod.
 * A breakpoint in the pod's own app.py (`k8s-target:` editor) stops Python as it does Node.
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import * as vscode from 'vscode';
import { parseAllDocuments } from 'yaml';
import { EXTENSION_ID, hostTestConfig, kubeConfig, ui, waitFor } from './support';

interface DapMessage {
  type?: string;
  event?: string;
  command?: string;
  body?: { threadId?: number; reason?: string; breakpoint?: { verified?: boolean }; breakpoints?: { verified?: boolean }[] };
}

interface StackFrame { id: number; line: number; source?: { path?: string; sourceReference?: number } }
interface Variable { name: string; value: string }

const demoDir = (): string => join(hostTestConfig().repoRoot, 'test', 'cluster', 'demo');

/** Runs a command in a container of a demo pod and returns its stdout (rejects on a non-zero exit). */
function execInPod(pod: string, container: string, command: string[]): Promise<string> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolve, reject) => {
    new k8s.Exec(kubeConfig()).exec('demo', pod, container, command, stdout, stderr, null, false, (status) => {
      if (status.status === 'Success') resolve(out);
      else reject(new Error(`${command.join(' ')} in ${pod}/${container}: ${status.message ?? ''} ${err}`.trim()));
    }).catch(reject);
  });
}

/** The running debug container of this image the attach used (the newest). */
async function debugContainerOf(pod: string, image: string): Promise<string> {
  const read = await kubeConfig().makeApiClient(k8s.CoreV1Api).readNamespacedPod({ namespace: 'demo', name: pod });
  const running = new Set((read.status?.ephemeralContainerStatuses ?? []).filter((s) => s.state?.running).map((s) => s.name));
  const name = (read.spec?.ephemeralContainers ?? []).filter((c) => c.image === image && running.has(c.name)).pop()?.name;
  if (name === undefined) throw new Error(`no running ${image} debug container in demo/${pod}`);
  return name;
}

/** Whether something listens on the port in the pod's network namespace (/proc/net/tcp, state 0A). */
async function listensInPod(pod: string, container: string, port: number): Promise<boolean> {
  const tables = await execInPod(pod, container, ['cat', '/proc/net/tcp', '/proc/net/tcp6']);
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return tables.split('\n').some((line) => {
    const fields = line.trim().split(/\s+/);
    return fields[1]?.endsWith(`:${hex}`) === true && fields[3] === '0A';
  });
}

/** Deletes the demo pod and creates it again from workloads.yaml: a Python process takes debugpy once. */
async function recreateDemoPod(name: string): Promise<void> {
  const core = kubeConfig().makeApiClient(k8s.CoreV1Api);
  const manifest = parseAllDocuments(readFileSync(join(demoDir(), 'workloads.yaml'), 'utf8')).map((d) => d.toJS() as k8s.V1Pod);
  const pod = manifest.find((p) => p.kind === 'Pod' && p.metadata?.namespace === 'demo' && p.metadata.name === name);
  if (pod === undefined) throw new Error(`workloads.yaml has no demo/${name}`);
  await core.deleteNamespacedPod({ namespace: 'demo', name, gracePeriodSeconds: 0 }).catch(() => undefined);
  await waitFor(`demo/${name} to be deleted`, () => core.readNamespacedPod({ namespace: 'demo', name }).then(() => undefined, () => true), 120_000, 500);
  await core.createNamespacedPod({ namespace: 'demo', body: pod });
  await waitFor(`demo/${name} to run`, async () => ((await core.readNamespacedPod({ namespace: 'demo', name })).status?.phase === 'Running' ? true : undefined), 120_000, 500);
}

/** The Go demo's source directory as compiled into the image's binary (its file table), the dlv-side root. */
function goBuildDirectory(): string {
  const binary = readFileSync(join(hostTestConfig().repoRoot, '.cache', 'cluster', 'images', 'demo-go-app', 'rootfs', 'app', 'server')).toString('latin1');
  const end = binary.indexOf('/go-app/main.go');
  if (end < 0) throw new Error('the go-app binary names no …/go-app/main.go');
  let start = end;
  while (start > 0 && /[\x21-\x7e]/.test(binary[start - 1]!)) start--;
  return binary.slice(start, end + '/go-app'.length);
}

describe('Python and Go attach over DAP without their extensions', () => {
  const disposables: vscode.Disposable[] = [];
  const messages: { session: vscode.DebugSession; message: DapMessage }[] = [];
  const sessions: vscode.DebugSession[] = [];
  const ended: vscode.DebugSession[] = [];
  beforeEach(() => {
    messages.length = 0;
    sessions.length = 0;
    ended.length = 0;
    disposables.push(
      vscode.debug.registerDebugAdapterTrackerFactory('*', {
        createDebugAdapterTracker: (session) => ({ onDidSendMessage: (message: DapMessage) => messages.push({ session, message }) }),
      }),
      vscode.debug.onDidStartDebugSession((s) => sessions.push(s)),
      vscode.debug.onDidTerminateDebugSession((s) => ended.push(s)),
    );
  });
  afterEach(async () => {
    await vscode.debug.stopDebugging();
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    disposables.splice(0).forEach((d) => d.dispose());
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  /** Starts the configuration; resolves with the direct DAP session that runs instead of it. */
  async function startDirectSession(config: { name: string } & Record<string, unknown>): Promise<vscode.DebugSession> {
    assert.equal(await vscode.debug.startDebugging(undefined, { type: 'kubernetes-ephemeral', request: 'attach', namespace: 'demo', ...config }), false);
    return waitFor('the direct DAP attach session', () => sessions.find((s) => s.type === 'kubernetes-ephemeral' && s.configuration.request === 'attach'), 150_000);
  }

  async function breakpointVerified(session: vscode.DebugSession): Promise<void> {
    await waitFor('the breakpoint to be verified', () => messages.some(({ session: s, message }) => s === session && (
      (message.type === 'response' && message.command === 'setBreakpoints' && message.body?.breakpoints?.some((b) => b.verified === true)) ||
      (message.type === 'event' && message.event === 'breakpoint' && message.body?.breakpoint?.verified === true))) ? true : undefined, 60_000);
  }

  /** Sends the HTTP request from the debug container and waits for the stop it causes. */
  async function requestUntilStopped(session: vscode.DebugSession, pod: string, container: string, port: number, path: string): Promise<{ stopped: { threadId: number; reason: string }; response: Promise<string> }> {
    const response = execInPod(pod, container, ['wget', '-q', '-O', '-', `http://127.0.0.1:${port}${path}`]);
    response.catch(() => undefined);
    const stopped = await waitFor('the debugger to stop', () => messages.find(({ session: s, message }) => s === session && message.type === 'event' && message.event === 'stopped')?.message.body, 60_000);
    return { stopped: stopped as { threadId: number; reason: string }, response };
  }

  async function topFrameAndLocals(session: vscode.DebugSession, threadId: number): Promise<{ top: StackFrame; locals: Variable[] }> {
    const trace = await session.customRequest('stackTrace', { threadId, startFrame: 0, levels: 1 }) as { stackFrames: StackFrame[] };
    const top = trace.stackFrames[0]!;
    const { scopes } = await session.customRequest('scopes', { frameId: top.id }) as { scopes: { name: string; variablesReference: number }[] };
    const locals: Variable[] = [];
    for (const scope of scopes.filter((s) => /local|argument/i.test(s.name))) {
      const { variables } = await session.customRequest('variables', { variablesReference: scope.variablesReference }) as { variables: Variable[] };
      locals.push(...variables);
    }
    return { top, locals };
  }

  async function consoleShows(text: string): Promise<void> {
    await vscode.commands.executeCommand('workbench.panel.repl.view.focus');
    await waitFor(`the debug console to show "${text}"`, async () => ((await ui<string>({ action: 'debugConsoleText' })).includes(text) ? true : undefined), 15_000);
  }

  it('Python: debugpy stops at a breakpoint in the local app.py, shows the locals, and Continue finishes the request', async function () {
    this.timeout(300_000);
    assert.equal(vscode.extensions.getExtension('ms-python.debugpy'), undefined, 'the Python Debugger extension is not installed here');
    await recreateDemoPod('python-app');
    const localRoot = join(demoDir(), 'python-app');
    const appPy = vscode.Uri.file(join(localRoot, 'app.py'));
    const line = readFileSync(appPy.fsPath, 'utf8').split('\n').findIndex((l) => l.includes('self.send_response(200)'));
    assert.ok(line >= 0, 'app.py has the send_response line');
    vscode.debug.addBreakpoints([new vscode.SourceBreakpoint(new vscode.Location(appPy, new vscode.Position(line, 0)))]);

    const session = await startDirectSession({ name: 'Kubernetes: python-app', pod: 'python-app', runtime: 'python', localRoot, remoteRoot: '/app' });
    assert.deepEqual(session.configuration.pathMappings, [{ localRoot, remoteRoot: '/app' }]);
    await breakpointVerified(session);
    const container = await debugContainerOf('python-app', 'python:3.12');
    const { stopped, response } = await requestUntilStopped(session, 'python-app', container, 8000, '/from-dap-test');
    assert.equal(stopped.reason, 'breakpoint');

    const { top, locals } = await topFrameAndLocals(session, stopped.threadId);
    assert.equal(top.line, line + 1, 'stopped on the send_response line');
    assert.ok(top.source?.path?.endsWith(appPy.fsPath), `mapped to the local app.py: ${top.source?.path}`);
    const body = locals.find((v) => v.name === 'body');
    assert.ok(body?.value.includes('"app": "python-app"') && body.value.includes('/from-dap-test'), `the local "body": ${JSON.stringify(locals)}`);
    await consoleShows('speaks DAP to debugpy directly');

    await session.customRequest('continue', { threadId: stopped.threadId });
    const answer = JSON.parse(await response) as { app: string; path: string };
    assert.deepEqual([answer.app, answer.path], ['python-app', '/from-dap-test']);

    await vscode.debug.stopDebugging(session);
    await waitFor('the session to end', () => (ended.includes(session) ? true : undefined), 30_000);
    await waitFor('debugpy to stop listening in the pod', async () => (await listensInPod('python-app', container, 5678) ? undefined : true), 30_000, 500);
    // The journal's record of the session names the way it went, and ended with it.
    const api = vscode.extensions.getExtension<{ listSessions(): Promise<readonly { kind: string; pod: string; endedAt?: string; actions: readonly { description: string }[] }[]> }>(EXTENSION_ID)!.exports;
    const record = await waitFor('the journal\'s record to end with the session', async () => (await api.listSessions()).filter((s) => s.kind === 'debugger' && s.pod === 'python-app' && s.endedAt !== undefined).pop(), 15_000);
    assert.ok(record.actions.some((a) => a.description.includes('speaks DAP to debugpy directly')), `the journal says which way: ${JSON.stringify(record.actions)}`);
  });

  it('Python: a breakpoint in the pod\'s own app.py (k8s-target editor) stops there and the paused line shows in that editor', async function () {
    this.timeout(300_000);
    // The earlier session's debugpy stays in that process: a fresh one takes it again.
    await recreateDemoPod('python-app');
    const added = await vscode.commands.executeCommand<{ container: string } | undefined>('ephemeralDebug.attach', { namespace: 'demo', pod: 'python-app', image: 'busybox:1.36', target: 'app', interactive: false });
    assert.ok(added !== undefined, 'a debug container for the target filesystem');
    const appPy = vscode.Uri.from({ scheme: 'k8s-target', authority: kubeConfig().getCurrentContext(), path: '/demo/python-app/app/app/app.py' });
    const document = await vscode.workspace.openTextDocument(appPy);
    const line = document.getText().split('\n').findIndex((l) => l.includes('self.send_response(200)'));
    assert.ok(line >= 0, 'the pod\'s app.py has the send_response line');
    await vscode.window.showTextDocument(document);
    vscode.debug.addBreakpoints([new vscode.SourceBreakpoint(new vscode.Location(appPy, new vscode.Position(line, 0)))]);

    // No localRoot: the configuration a user without the program's sources would write.
    const session = await startDirectSession({ name: 'Kubernetes: python-app (remote files)', pod: 'python-app', runtime: 'python' });
    await breakpointVerified(session);
    const { stopped, response } = await requestUntilStopped(session, 'python-app', added.container, 8000, '/from-remote-breakpoint');
    const { top } = await topFrameAndLocals(session, stopped.threadId);
    assert.equal(top.line, line + 1, 'stopped on the send_response line');
    assert.equal(vscode.Uri.parse(top.source?.path ?? '').toString(), appPy.toString(), `the frame's source is the k8s-target file: ${JSON.stringify(top.source)}`);
    await waitFor('the paused line in the k8s-target editor', () => {
      const active = vscode.window.activeTextEditor;
      return active?.document.uri.toString() === appPy.toString() && active.selection.start.line === line ? active : undefined;
    }, 15_000);

    await session.customRequest('continue', { threadId: stopped.threadId });
    assert.equal((JSON.parse(await response) as { path: string }).path, '/from-remote-breakpoint');
  });

  it('Go: with no remoteRoot, dlv stops at a breakpoint in the local main.go (build folder from the binary\'s file table), shows the locals, and Continue finishes the request', async function () {
    this.timeout(300_000);
    assert.equal(vscode.extensions.getExtension('golang.go'), undefined, 'the Go extension is not installed here');
    const localRoot = join(demoDir(), 'go-app');
    const mainGo = vscode.Uri.file(join(localRoot, 'main.go'));
    const line = readFileSync(mainGo.fsPath, 'utf8').split('\n').findIndex((l) => l.includes('w.Header().Set('));
    assert.ok(line >= 0, 'main.go has the w.Header().Set line');
    vscode.debug.addBreakpoints([new vscode.SourceBreakpoint(new vscode.Location(mainGo, new vscode.Position(line, 0)))]);

    // dlv knows the files by the directory the binary was built in: with no remoteRoot given, the session reads
    // the binary's file table and maps the local folder onto that one.
    const remoteRoot = goBuildDirectory();
    const session = await startDirectSession({ name: 'Kubernetes: go-app', pod: 'go-app', runtime: 'go', localRoot });
    assert.deepEqual(session.configuration.substitutePath, [{ from: localRoot, to: remoteRoot }]);
    await breakpointVerified(session);
    const container = await debugContainerOf('go-app', 'ghcr.io/go-delve/delve:v1.20');
    const { stopped, response } = await requestUntilStopped(session, 'go-app', container, 8080, '/from-dap-test');
    assert.equal(stopped.reason, 'breakpoint');

    const { top, locals } = await topFrameAndLocals(session, stopped.threadId);
    assert.equal(top.line, line + 1, 'stopped on the w.Header().Set line');
    assert.ok(top.source?.path?.endsWith(mainGo.fsPath), `mapped to the local main.go: ${top.source?.path}`);
    const n = locals.find((v) => v.name === 'n');
    assert.ok(n !== undefined && /^\d+$/.test(n.value) && Number(n.value) >= 1, `the local "n": ${JSON.stringify(locals)}`);
    await consoleShows('speaks DAP to dlv directly');

    await session.customRequest('continue', { threadId: stopped.threadId });
    const answer = JSON.parse(await response) as { app: string; path: string; requests: number };
    assert.deepEqual([answer.app, answer.path, answer.requests], ['go-app', '/from-dap-test', Number(n.value)]);

    await vscode.debug.stopDebugging(session);
    await waitFor('the session to end', () => (ended.includes(session) ? true : undefined), 30_000);
    await waitFor('dlv to stop listening in the pod', async () => (await listensInPod('go-app', container, 2345) ? undefined : true), 30_000, 500);
    // dlv detached: the program serves again.
    assert.match(await execInPod('go-app', container, ['wget', '-q', '-O', '-', 'http://127.0.0.1:8080/after-detach']), /"path":"\/after-detach"/);
  });
});

/**
 * Which way a debugger attach goes (src/launch/runtimes/index.ts): the language's extension when installed or
 * built in; VS Code speaking DAP directly to debugpy and dlv when theirs is missing; an error naming the
 * extension for Java, whose JDWP is not DAP. The debug console line says which, and through which forward.
 */
import assert from 'node:assert/strict';
import { debuggerRoute, describeDebuggerRoute, missingDebuggerMessage, recipeFor } from '../../../src/launch/runtimes/index';

const none = (): boolean => false;
const all = (): boolean => true;
const forward = 'the port-forward 127.0.0.1:40123 → demo/python-app:5678';

describe('debugger route', () => {
  it('hands the session to the language extension when it is installed, and to js-debug always', () => {
    for (const runtime of ['java', 'python', 'go'] as const) {
      assert.equal(debuggerRoute(runtime, (id) => id === recipeFor(runtime).extensionId).kind, 'extension', runtime);
    }
    assert.equal(debuggerRoute('node', none).kind, 'extension');
  });

  it('speaks DAP directly to debugpy and dlv when their extensions are missing', () => {
    assert.equal(debuggerRoute('python', none).kind, 'direct');
    assert.equal(debuggerRoute('go', none).kind, 'direct');
    assert.equal(missingDebuggerMessage('python', none), undefined);
    assert.equal(missingDebuggerMessage('go', none), undefined);
  });

  it('still names the Java extension when it is missing (JDWP is not DAP)', () => {
    const route = debuggerRoute('java', none);
    assert.equal(route.kind, 'missing');
    assert.match(missingDebuggerMessage('java', none) ?? '', /vscjava\.vscode-java-debug.*install it/);
    assert.equal(missingDebuggerMessage('java', all), undefined);
  });

  it('says in the debug console which way was taken and through which forward', () => {
    assert.equal(describeDebuggerRoute('python', debuggerRoute('python', none), forward),
      `Kubernetes Ephemeral Debug: the "Python Debugger" extension (ms-python.debugpy) is not installed, so VS Code speaks DAP to debugpy directly through ${forward}.`);
    assert.match(describeDebuggerRoute('go', debuggerRoute('go', none), forward), /golang\.go\) is not installed, so VS Code speaks DAP to dlv directly/);
    assert.match(describeDebuggerRoute('python', debuggerRoute('python', all), forward), /Python session handed to the "Python Debugger" extension's debugger \(type "debugpy"\)/);
    assert.match(describeDebuggerRoute('node', debuggerRoute('node', none), forward), /Node\.js session handed to VS Code's built-in debugger/);
  });
});

/**
 * The DAP path rewriting behind breakpoints in `k8s-target:` editors (src/launch/targetSources.ts), on the
 * message shapes js-debug and VS Code exchange: editor → adapter turns this target's URIs into container paths
 * (and leaves other targets' alone); adapter → editor turns sources the editor has no local file for into
 * `k8s-target:` URIs, keeps the local copy (localRoot) unless the breakpoint was set in the remote editor, and
 * never touches `<node_internals>` or other schemes.
 */
import assert from 'node:assert/strict';
import { TargetSourceMapping, parseTargetUriString, sourceRootsOf, targetUriString } from '../../../src/launch/targetSources';

const target = { context: 'arn:aws:eks:eu-west-1:1:cluster/x', namespace: 'demo', pod: 'node-app', container: 'app' };
const uriOf = (path: string): string => targetUriString(target, path);

function mapping(options: { localRoot?: string; remoteRoot?: string; local?: string[] } = {}): TargetSourceMapping {
  const local = new Set(options.local ?? []);
  return new TargetSourceMapping({ target, localRoot: options.localRoot, remoteRoot: options.remoteRoot, existsLocally: (p) => local.has(p) });
}

function setBreakpoints(path: string, lines: number[]) {
  return { type: 'request', command: 'setBreakpoints', arguments: { source: { name: 'server.js', path }, breakpoints: lines.map((line) => ({ line })), lines } };
}

function stackTrace(...sources: Record<string, unknown>[]) {
  return { type: 'response', command: 'stackTrace', success: true, body: { stackFrames: sources.map((source, id) => ({ id, line: 10, column: 1, source })) } };
}

describe('Target sources: DAP paths between k8s-target editors and the debugged container', () => {
  it('round-trips URI strings, with the context and odd file names encoded', () => {
    const uri = uriOf('/app/my dir/#1?.js');
    assert.match(uri, /^k8s-target:\/\/arn~3aaws~3aeks~3aeu-west-1~3a1~3acluster~2fx\/demo\/node-app\/app\/app\/my%20dir\/%231%3F\.js$/);
    assert.deepEqual(parseTargetUriString(uri), { ref: target, path: '/app/my dir/#1?.js' });
    assert.equal(parseTargetUriString('file:///app/server.js'), undefined);
    assert.equal(parseTargetUriString('k8s-target://ctx/NotDns/x/y/z'), undefined);
  });

  it('turns a breakpoint in this target\'s k8s-target editor into the container path, and leaves other targets\' alone', () => {
    const m = mapping();
    const ours = setBreakpoints(uriOf('/app/server.js'), [10]);
    m.toAdapter(ours);
    assert.equal(ours.arguments.source.path, '/app/server.js');
    const other = setBreakpoints(targetUriString({ ...target, pod: 'other-pod' }, '/app/server.js'), [10]);
    m.toAdapter(other);
    assert.match(other.arguments.source.path, /^k8s-target:\/\/.*\/other-pod\//);
    const locations = { type: 'request', command: 'breakpointLocations', arguments: { source: { path: uriOf('/app/lib/a.js') }, line: 3 } };
    m.toAdapter(locations);
    assert.equal(locations.arguments.source.path, '/app/lib/a.js');
  });

  it('shows a frame the adapter has only as a sourceReference in the k8s-target editor', () => {
    const m = mapping();
    const response = stackTrace({ name: 'server.js', path: '/app/server.js', sourceReference: 7 }, { name: 'timers', path: '<node_internals>/internal/timers', sourceReference: 3 });
    m.toEditor(response);
    const [top, internal] = response.body.stackFrames;
    assert.deepEqual(top!.source, { name: 'server.js', path: uriOf('/app/server.js'), sourceReference: 0 });
    assert.deepEqual(internal!.source, { name: 'timers', path: '<node_internals>/internal/timers', sourceReference: 3 }, 'node internals stay with the adapter');
  });

  it('rewrites the source of bound breakpoints (event and response), so VS Code keeps them in the remote editor', () => {
    const m = mapping();
    const event = { type: 'event', event: 'breakpoint', body: { reason: 'changed', breakpoint: { id: 1, verified: true, line: 10, source: { path: '/app/server.js', sourceReference: 9 } } } };
    m.toEditor(event);
    assert.equal(event.body.breakpoint.source.path, uriOf('/app/server.js'));
    const response = { type: 'response', command: 'setBreakpoints', success: true, body: { breakpoints: [{ id: 1, verified: true, line: 10, source: { path: '/app/server.js', sourceReference: 9 } }] } };
    m.toEditor(response);
    assert.equal(response.body.breakpoints[0]!.source.path, uriOf('/app/server.js'));
  });

  it('maps an absolute path that does not exist locally (debugpy sends paths, not references)', () => {
    const m = mapping();
    const response = stackTrace({ name: 'app.py', path: '/srv/app.py' });
    m.toEditor(response);
    assert.equal(response.body.stackFrames[0]!.source.path, uriOf('/srv/app.py'));
  });

  it('keeps the local copy (localRoot) unless a breakpoint was set in that file\'s k8s-target editor', () => {
    const m = mapping({ localRoot: '/home/me/ws', remoteRoot: '/app', local: ['/home/me/ws/server.js'] });
    const local = stackTrace({ name: 'server.js', path: '/home/me/ws/server.js' });
    m.toEditor(local);
    assert.equal(local.body.stackFrames[0]!.source.path, '/home/me/ws/server.js', 'the local copy stays');

    const request = setBreakpoints(uriOf('/app/server.js'), [4]);
    m.toAdapter(request);
    assert.equal(request.arguments.source.path, '/home/me/ws/server.js', 'the adapter knows the script by its local path (it maps localRoot → remoteRoot itself)');
    const outside = setBreakpoints(uriOf('/etc/app.js'), [1]);
    m.toAdapter(outside);
    assert.equal(outside.arguments.source.path, '/etc/app.js', 'outside remoteRoot: the container path');
    const again = stackTrace({ name: 'server.js', path: '/home/me/ws/server.js' });
    m.toEditor(again);
    assert.equal(again.body.stackFrames[0]!.source.path, uriOf('/app/server.js'), 'shown where the breakpoint was set');

    m.toAdapter(setBreakpoints(uriOf('/app/server.js'), []));
    const cleared = stackTrace({ name: 'server.js', path: '/home/me/ws/server.js' });
    m.toEditor(cleared);
    assert.equal(cleared.body.stackFrames[0]!.source.path, '/home/me/ws/server.js', 'back to the local copy once those breakpoints are gone');
  });

  it('maps a local path under localRoot that has no file to the container path under remoteRoot', () => {
    const m = mapping({ localRoot: '/home/me/ws', remoteRoot: '/app' });
    const response = stackTrace({ name: 'util.js', path: '/home/me/ws/lib/util.js', sourceReference: 4 });
    m.toEditor(response);
    assert.equal(response.body.stackFrames[0]!.source.path, uriOf('/app/lib/util.js'));
  });

  it('reads the roots of js-debug, debugpy and Go configurations', () => {
    assert.deepEqual(sourceRootsOf({ type: 'node', localRoot: '/ws', remoteRoot: '/app' }), { localRoot: '/ws', remoteRoot: '/app' });
    assert.deepEqual(sourceRootsOf({ type: 'debugpy', pathMappings: [{ localRoot: '/ws', remoteRoot: '/srv' }] }), { localRoot: '/ws', remoteRoot: '/srv' });
    assert.deepEqual(sourceRootsOf({ type: 'go', substitutePath: [{ from: '/ws', to: '/build' }] }), { localRoot: '/ws', remoteRoot: '/build' });
    assert.deepEqual(sourceRootsOf({ type: 'node', remoteRoot: '/app' }), {}, 'one root alone maps nothing');
  });

  it('leaves failed responses, other schemes and relative paths alone', () => {
    const m = mapping();
    const failed = { ...stackTrace({ path: '/app/server.js', sourceReference: 1 }), success: false };
    m.toEditor(failed);
    assert.equal(failed.body.stackFrames[0]!.source.path, '/app/server.js');
    const other = stackTrace({ path: 'webpack://app/src/x.ts', sourceReference: 2 }, { path: 'relative/x.js', sourceReference: 3 });
    m.toEditor(other);
    assert.deepEqual(other.body.stackFrames.map((f) => f.source.path), ['webpack://app/src/x.ts', 'relative/x.js']);
  });
});

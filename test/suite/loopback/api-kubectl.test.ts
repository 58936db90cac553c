/** kubectl 1.32 against the loopback API server: discovery fallbacks, get, debug, logs, whoami. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import type { KubeletApi } from '../../cluster/contracts';
import { startApi, type TestApi } from './helpers/api-server';
import { unavailable } from './helpers/requirePods';

const KUBECTL = '/usr/bin/kubectl';
const run = promisify(execFile);

describe('loopback API server: kubectl', function () {
  let api: TestApi;
  before(async function () {
    if (!existsSync(KUBECTL)) {
      unavailable(this, `${KUBECTL} is not installed`);
    }
    const kubelet = { logs: async () => Readable.from(['hello from app\n']) } as unknown as KubeletApi;
    api = await startApi({ kubelet });
    api.server.store.createNamespace({ metadata: { name: 'demo' } });
    api.server.store.createPod({ metadata: { name: 'node-app', namespace: 'demo' }, spec: { containers: [{ name: 'app', image: 'node:22' }] } });
  });
  after(() => api?.stop());

  /** kubectl with its own empty cache dir, so discovery really goes to this server. */
  const kubectl = async (...args: string[]) => {
    try {
      const r = await run(KUBECTL, ['--kubeconfig', api.kubeconfigPath, '--cache-dir', `${api.kubeconfigPath}.cache`, ...args], { timeout: 30000 });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      return { code: err.code ?? 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
    }
  };

  it('get pods -A prints the server-side table', async () => {
    const r = await kubectl('get', 'pods', '-A');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE/);
    assert.match(r.stdout, /demo\s+node-app\s+0\/1\s+Pending\s+0/);
  });

  it('get pod -o json returns the object', async () => {
    const r = await kubectl('get', 'pod', 'node-app', '-n', 'demo', '-o', 'json');
    assert.equal(r.code, 0, r.stderr);
    const pod = JSON.parse(r.stdout);
    assert.equal(pod.kind, 'Pod');
    assert.equal(pod.spec.nodeName, 'loopback');
  });

  it('debug --attach=false adds an ephemeral container, also as the debugger user', async () => {
    let r = await kubectl('debug', '-n', 'demo', 'node-app', '--image=busybox', '--attach=false', '--profile=general', '--target=app');
    assert.equal(r.code, 0, r.stderr);
    r = await kubectl('--context', 'loopback-debugger', 'debug', '-n', 'demo', 'node-app', '--image=busybox', '--attach=false', '--profile=restricted');
    assert.equal(r.code, 0, r.stderr);
    const ecs = api.server.store.getPod('demo', 'node-app')!.spec!.ephemeralContainers!;
    assert.equal(ecs.length, 2);
    assert.match(ecs[0].name, /^debugger-[a-z0-9]{5}$/);
    assert.equal(ecs[0].targetContainerName, 'app');
    assert.deepEqual(ecs[0].securityContext?.capabilities?.add, ['SYS_PTRACE']);
    assert.equal(ecs[1].securityContext?.runAsNonRoot, true);
  });

  it('debug reports disabled ephemeral containers like on a real cluster', async () => {
    const off = await startApi({ ephemeralContainersEnabled: false });
    try {
      off.server.store.createPod({ metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'app', image: 'x' }] } });
      const r = await run(KUBECTL, ['--kubeconfig', off.kubeconfigPath, '--cache-dir', `${off.kubeconfigPath}.cache`, 'debug', 'p', '--image=busybox', '--attach=false', '--profile=general'])
        .then(() => ({ stderr: '' }), (e: { stderr: string }) => e);
      assert.match(r.stderr, /ephemeral containers are disabled for this cluster/);
    } finally {
      await off.stop();
    }
  });

  it('logs go through the kubelet; a forbidden delete shows the real message', async () => {
    const logs = await kubectl('logs', '-n', 'demo', 'node-app', '-c', 'app');
    assert.equal(logs.stdout, 'hello from app\n');
    const del = await kubectl('--context', 'loopback-viewer', 'delete', 'pod', '-n', 'demo', 'node-app');
    assert.notEqual(del.code, 0);
    assert.match(del.stderr, /pods "node-app" is forbidden: User "viewer" cannot delete resource "pods" in API group "" in the namespace "demo"/);
  });

  it('auth can-i answers from the RBAC rules (protobuf SelfSubjectAccessReview)', async () => {
    const yes = await kubectl('--context', 'loopback-debugger', 'auth', 'can-i', 'patch', 'pods', '--subresource=ephemeralcontainers', '-n', 'demo');
    assert.deepEqual([yes.code, yes.stdout.trim()], [0, 'yes'], yes.stderr);
    const no = await kubectl('--context', 'loopback-debugger', 'auth', 'can-i', 'delete', 'pods', '-n', 'demo');
    assert.equal(no.stdout.trim(), 'no');
  });

  it('auth can-i --list answers from the RBAC rules (protobuf SelfSubjectRulesReview)', async () => {
    const r = await kubectl('--context', 'loopback-debugger', 'auth', 'can-i', '--list', '-n', 'demo');
    assert.equal(r.code, 0, r.stderr);
    const execLine = r.stdout.split('\n').find((line) => line.startsWith('pods/exec '));
    assert.ok(execLine, r.stdout);
    assert.match(execLine, /\[get create\]/, 'the debugger role grants get and create on pods/exec');
    assert.doesNotMatch(r.stdout, /^pods\s+.*delete/m, 'no delete on pods');
  });

  it('auth whoami uses SelfSubjectReview', async () => {
    const r = await kubectl('--context', 'loopback-debugger', 'auth', 'whoami', '-o', 'json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).status.userInfo.username, 'debugger');
  });
});

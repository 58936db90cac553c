/**
 * The target filesystem when things go wrong under it, on the test cluster: an overwriting copy whose source
 * cannot be read leaves the destination as it was, and stopping the debug container in the middle of a read says
 * so in one line and leaves no zombie under the target's main process (a distroless node, which reaps nothing).
 */
import assert from 'node:assert/strict';
import { createClusterApi } from '../../../src/cluster/client';
import type { ClusterApi } from '../../../src/cluster/clusterApi';
import { attachDebugContainer } from '../../../src/debug/attachFlow';
import { execCapture } from '../../../src/debug/execCapture';
import { stopDebugContainer } from '../../../src/debug/stopDebugContainer';
import { TargetFsError } from '../../../src/targetfs/errors';
import { TargetFileSystem } from '../../../src/targetfs/targetFileSystem';
import { startTestCluster, type TestCluster } from '../../cluster/testCluster';
import { isRunning, waitForPod } from '../loopback/helpers/client';
import { requireRealPods } from '../loopback/helpers/requirePods';

describe('targetfs: failures under the target filesystem (test cluster)', function () {
  this.timeout(180_000);
  let cluster: TestCluster;
  let api: ClusterApi;
  /** A root debug container that stays, to look at the pod from. */
  let observer: string;

  const sh = async (script: string): Promise<string> => {
    const out = await execCapture(api, 'demo', 'node-app', observer, ['sh', '-c', script]);
    if (out.exitCode !== 0) throw new Error(`script failed (${out.exitCode}): ${out.stderr}`);
    return out.stdout;
  };
  const addDebugContainer = async (): Promise<string> =>
    (await attachDebugContainer(api, { namespace: 'demo', podName: 'node-app', image: 'busybox:1.36', targetContainer: 'app', profile: 'general' }, { skipPrivilegedConfirmation: true })).containerName;
  const targetFs = (debugContainer: string): TargetFileSystem =>
    new TargetFileSystem(api, { context: api.contextName, namespace: 'demo', pod: 'node-app', container: 'app' }, { debugContainer, allowWrites: () => true, cacheTtlMs: 0 });

  before(async function () {
    requireRealPods(this);
    cluster = await startTestCluster({ pullDelayMs: 10, backoffBaseMs: 200 });
    const kc = cluster.kubeConfig();
    api = createClusterApi(kc);
    await waitForPod(kc, 'demo', 'node-app', isRunning('app'));
    observer = await addDebugContainer();
  });

  after(async () => {
    await cluster?.stop();
  });

  it('security #12.15: an overwriting copy or rename whose source cannot be read leaves the destination intact', async () => {
    await sh('mkdir -p /proc/1/root/safety && printf precious > /proc/1/root/safety/keep && mkdir -p /proc/1/root/safety/dir && printf inner > /proc/1/root/safety/dir/file');
    const fs = targetFs(observer);
    // /proc/1/mem reads fail (EIO at address 0): the copy cannot complete.
    await assert.rejects(fs.copy('/proc/1/mem', '/safety/keep', { overwrite: true }));
    assert.equal(Buffer.from(await fs.readFile('/safety/keep')).toString('utf8'), 'precious');
    await assert.rejects(fs.copy('/proc/1/mem', '/safety/dir', { overwrite: true }));
    assert.equal(Buffer.from(await fs.readFile('/safety/dir/file')).toString('utf8'), 'inner', 'a directory destination too');
    // A rename across filesystems is a copy too (mv copies on EXDEV): the same failure, the same destination.
    await assert.rejects(fs.rename('/proc/1/mem', '/safety/keep', { overwrite: true }));
    assert.equal(Buffer.from(await fs.readFile('/safety/keep')).toString('utf8'), 'precious', 'a failed rename keeps the destination');
    assert.equal((await sh('ls -A /proc/1/root/safety')).trim().split('\n').sort().join(' '), 'dir keep', 'no temporary left beside it');
    // What works still works: a copy and a rename over existing files and directories.
    await fs.copy('/safety/dir/file', '/safety/keep', { overwrite: true });
    assert.equal(Buffer.from(await fs.readFile('/safety/keep')).toString('utf8'), 'inner');
    await sh('mkdir -p /proc/1/root/safety/other && printf other > /proc/1/root/safety/other/o');
    await fs.rename('/safety/other', '/safety/dir', { overwrite: true });
    assert.equal((await sh('ls -A /proc/1/root/safety /proc/1/root/safety/dir')).replace(/\s+/g, ' ').trim(), '/proc/1/root/safety: dir keep /proc/1/root/safety/dir: o');
  });

  it('issue #13.9: stopping the debug container during a read says so in one line and leaves no zombie under the target', async () => {
    await sh('rm -f /proc/1/root/safety/fifo; mkfifo /proc/1/root/safety/fifo 2>/dev/null || busybox mkfifo /proc/1/root/safety/fifo');
    const zombies = async (): Promise<string> =>
      sh('for d in /proc/[0-9]*; do if grep -q "^State:[[:space:]]*Z" $d/status 2>/dev/null && grep -q "^PPid:[[:space:]]*1$" $d/status; then sed -n "s/^Name:[[:space:]]*//p" $d/status; fi; done');
    assert.equal(await zombies(), '', 'no zombie before');
    const reader = await addDebugContainer();
    const fs = targetFs(reader);
    await fs.connect();
    // A FIFO without a writer: the read (its shell opening the FIFO for tee, and the checksum) blocks until the container is stopped.
    const read = fs.readFile('/safety/fifo').then(() => undefined, (error: unknown) => error);
    // A process may exit between the glob and cat: that is not a failure of the poll.
    for (let i = 0; i < 400 && !/\bsha1sum\b/.test(await sh('cat /proc/[0-9]*/comm 2>/dev/null; true')); i++) await new Promise((resolve) => setTimeout(resolve, 25));
    await stopDebugContainer(api, 'demo', 'node-app', reader);
    const error = await read;
    assert.ok(error instanceof TargetFsError, `the read failed with a TargetFsError: ${String(error)}`);
    assert.match(error.message, new RegExp(`debug container ${reader} was stopped`), error.message);
    assert.doesNotMatch(error.message, /\n/, 'one line');
    assert.equal(await zombies(), '', 'no zombie shell, tee or sha1sum under the target\'s main process');
  });
});

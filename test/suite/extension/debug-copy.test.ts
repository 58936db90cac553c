/**
 * "Debug a Copy of Pod" end to end on the test cluster with the real client-node behind the ClusterApi
 * facade: the CrashLoopBackOff pod copied with its command replaced stays Running and its files are readable;
 * set-image and share-processes take effect; failures say why; replace deletes the original only once the copy
 * runs; cleanup deletes only debug copies older than the limit.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { V1Pod } from '@kubernetes/client-node';
import { createClusterApi } from '../../../src/cluster/client';
import { ClusterError, type ClusterApi } from '../../../src/cluster/clusterApi';
import { debugCopyOfPod } from '../../../src/debug/copyFlow';
import { describeCrash } from '../../../src/debug/crashInfo';
import { deleteDebugCopies, listDebugCopies, selectOlderThan } from '../../../src/debug/debugCopies';
import { DebugFlowError } from '../../../src/debug/debugFlowError';
import { execCapture } from '../../../src/debug/execCapture';
import { attachDebugContainer } from '../../../src/debug/attachFlow';
import { startDebugAttachSession } from '../../../src/launch/debugAttachSession';
import { TargetFileSystem } from '../../../src/targetfs/targetFileSystem';
import { AttachTerminal } from '../../../src/terminal/attachTerminal';
import { COPIED_FROM_ANNOTATION, COPY_LABEL, COPY_OF_LABEL, CREATED_BY_ANNOTATION, buildPodCopy } from '../../../src/debug/podCopy';
import { startTestCluster, type TestCluster } from '../../cluster/testCluster';
import { containerStatus, isRunning, waitForPod } from '../loopback/helpers/client';
import { requireRealPods } from '../loopback/helpers/requirePods';
import { uncheckedPodForTest } from './helpers/policyChecked';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function rejectsWith(promise: Promise<unknown>, code: string, message: RegExp): Promise<DebugFlowError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DebugFlowError, `expected DebugFlowError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    assert.ok(!error.message.includes('\n'), 'one line');
    return error;
  }
  assert.fail('expected a rejection');
}

describe('debug: copy of a pod on the test cluster', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let admin: ClusterApi;
  let adminName: string;
  /** Every pod this suite creates (copies included), deleted by the cluster's stop() on a shared cluster. */
  const track = (namespace: string, name: string): void => cluster.track(namespace, name);

  before(async function () {
    requireRealPods(this);
    cluster = await startTestCluster({ pullDelayMs: 20, backoffBaseMs: 200 });
    const kc = cluster.kubeConfig();
    admin = createClusterApi(kc);
    adminName = (await admin.whoAmI())!.username;
    await waitForPod(kc, 'demo', 'node-app', isRunning('app'));
    await waitForPod(kc, 'demo', 'crashloop', (pod) => containerStatus(pod, 'app')?.state?.waiting?.reason === 'CrashLoopBackOff');
  });

  after(async () => {
    await cluster?.stop();
  });

  it('explains the crash of demo/crashloop: reason, exit code, restarts and the dead instance\'s last log line', async () => {
    const info = await describeCrash(admin, await admin.readPod('demo', 'crashloop'));
    assert.ok(info, 'crashloop is crashing');
    const app = info.containers.find((c) => c.container === 'app');
    assert.ok(app);
    assert.equal(app.reason, 'CrashLoopBackOff');
    assert.equal(app.exitCode, 1);
    assert.equal(app.lastTermination?.reason, 'Error');
    assert.ok(app.restartCount >= 1);
    assert.equal(app.logSource, 'previous');
    assert.deepEqual(app.logLines, ['crashloop: failed to load config /etc/app/config.yaml']);
    assert.equal(await describeCrash(admin, await admin.readPod('demo', 'node-app')), undefined, 'a healthy pod has no crash');
  });

  it('copies the CrashLoopBackOff pod with its command replaced by sleep: it stays Running and its files are readable', async () => {
    const progress: string[] = [];
    const result = await debugCopyOfPod(admin, { namespace: 'demo', podName: 'crashloop', replaceCommand: { container: 'app', command: ['sleep', '3600'] } }, {}, {
      onProgress: (m) => progress.push(m),
    });
    track('demo', result.copyName);
    assert.match(result.copyName, /^crashloop-debug-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.equal(result.containerName, 'app');
    assert.equal(result.originalDeleted, false);
    assert.ok(containerStatus(result.pod, 'app')?.state?.running, 'resolved only once app runs');
    assert.ok(progress.some((m) => m.startsWith('creating copy')), progress.join(' | '));

    const copy = await admin.readPod('demo', result.copyName);
    assert.deepEqual(copy.spec?.containers[0].command, ['sleep', '3600']);
    assert.equal(copy.metadata?.labels?.[COPY_LABEL], 'true');
    assert.equal(copy.metadata?.labels?.[COPY_OF_LABEL], 'crashloop');
    assert.equal(copy.metadata?.labels?.app, undefined, 'the source\'s labels are not copied by default');
    assert.equal(copy.metadata?.annotations?.[COPIED_FROM_ANNOTATION], 'demo/crashloop');
    assert.equal(copy.metadata?.annotations?.[CREATED_BY_ANNOTATION], adminName);

    const read = await execCapture(admin, 'demo', result.copyName, 'app', ['cat', '/etc/passwd']);
    assert.equal(read.exitCode, 0, read.stderr);
    assert.match(read.stdout, /^root:/m);
    const listed = await execCapture(admin, 'demo', result.copyName, 'app', ['ls', '/bin/busybox']);
    assert.equal(listed.exitCode, 0, listed.stderr);

    // Stays up: while the original crashes at least twice more, the copy never restarts.
    const restartsBefore = containerStatus(await admin.readPod('demo', 'crashloop'), 'app')?.restartCount ?? 0;
    let original: V1Pod;
    do {
      await sleep(200);
      original = await admin.readPod('demo', 'crashloop');
      const now = await admin.readPod('demo', result.copyName);
      assert.equal(containerStatus(now, 'app')?.restartCount, 0, 'the copy never restarts');
      assert.ok(containerStatus(now, 'app')?.state?.running, 'the copy keeps running');
      assert.equal(now.status?.phase, 'Running');
    } while ((containerStatus(original, 'app')?.restartCount ?? 0) < restartsBefore + 2);
  });

  it('the copy is debugged like any pod: an ephemeral debug container, its terminal, the target filesystem and the Node debugger', async () => {
    const result = await debugCopyOfPod(admin, { namespace: 'demo', podName: 'node-app' }, { skipPrivilegedConfirmation: true }, {});
    track('demo', result.copyName);
    // Attach Debug Container on the copy: an ephemeral container targeting the copied app.
    const attached = await attachDebugContainer(admin, { namespace: 'demo', podName: result.copyName, image: 'busybox:1.36', targetContainer: 'app', profile: 'general' }, { skipPrivilegedConfirmation: true }, {});
    assert.equal(attached.targetContainer, 'app');
    // Its terminal (the attach stream) runs commands in the copy and sees the target's files (the copy shares one
    // PID namespace, so PID 1 is the sandbox's pause: the app is found by name).
    const terminal = new AttachTerminal(admin, { namespace: 'demo', podName: result.copyName, containerName: attached.containerName });
    let shown = '';
    terminal.onOutput((text) => (shown += text));
    await terminal.open(120, 40);
    terminal.input('ls /proc/$(pidof node)/root/app; echo copy-$((6*7))\r');
    for (let i = 0; i < 100 && !/copy-42/.test(shown); i++) await sleep(100);
    assert.match(shown, /server\.js[\s\S]*copy-42/, shown.slice(-500));
    terminal.close();
    // The target filesystem of the copy's app container, through that debug container.
    const fs = new TargetFileSystem(admin, { context: admin.contextName, namespace: 'demo', pod: result.copyName, container: 'app' }, { debugContainer: attached.containerName });
    const server = Buffer.from(await fs.readFile('/app/server.js')).toString('utf8');
    assert.match(server, /createServer/);
    // The Node debugger: SIGUSR1 from a debug container, the inspector port-forwarded from the copy.
    const session = await startDebugAttachSession(admin, { namespace: 'demo', pod: result.copyName, runtime: 'node' }, { settings: { skipPrivilegedConfirmation: true }, listenTimeoutMs: 20_000 });
    try {
      const version = await new Promise<string>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: session.forward.localPort, path: '/json/version', agent: false }, (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
          response.on('end', () => resolve(body));
        }).on('error', reject);
      });
      assert.match((JSON.parse(version) as { Browser: string }).Browser, /^node\.js\/v\d+/);
      assert.equal(session.podName, result.copyName);
    } finally {
      await session.dispose();
    }
  });

  it('set-image *=busybox:1.36 on the distroless node-app: the copy runs busybox, with a shell the original lacks', async () => {
    const result = await debugCopyOfPod(admin, {
      namespace: 'demo',
      podName: 'node-app',
      setImages: { '*': 'busybox:1.36' },
      replaceCommand: { container: 'app', command: ['sleep', '3600'] },
    });
    track('demo', result.copyName);
    const status = containerStatus(result.pod, 'app');
    assert.match(status?.image ?? '', /busybox:1\.36$/);
    // A pulled image is reported as repository@digest; one imported into the node (the real node: nothing is pulled) by its id.
    assert.match(status?.imageID ?? '', /^(docker\.io\/library\/busybox@)?sha256:[0-9a-f]{64}$/);
    const copy = await admin.readPod('demo', result.copyName);
    assert.equal(copy.spec?.containers[0].image, 'busybox:1.36');
    assert.equal(copy.spec?.containers[0].readinessProbe, undefined, 'probes are removed by default');

    const inCopy = await execCapture(admin, 'demo', result.copyName, 'app', ['sh', '-c', 'echo shell-$((6*7))']);
    assert.equal(inCopy.stdout.trim(), 'shell-42');
    const inOriginal = await execCapture(admin, 'demo', 'node-app', 'app', ['sh', '-c', 'echo shell']).catch((error: unknown) => error as Error);
    assert.ok(inOriginal instanceof Error || (inOriginal.exitCode !== 0 && !inOriginal.stdout.includes('shell')), 'the distroless original has no shell');
  });

  it('share-processes: the debug container of the copy sees node-app\'s process, and does not without sharing', async () => {
    const shared = await debugCopyOfPod(admin, { namespace: 'demo', podName: 'node-app', debugContainer: {} });
    track('demo', shared.copyName);
    assert.ok(shared.debugContainerName);
    assert.equal(shared.containerName, shared.debugContainerName);
    assert.equal(shared.interactive, true);
    assert.equal(shared.profile, 'general');
    const copy = await admin.readPod('demo', shared.copyName);
    assert.equal(copy.spec?.shareProcessNamespace, true);
    const seen = await execCapture(admin, 'demo', shared.copyName, shared.debugContainerName, ['ps', '-o', 'pid,args']);
    assert.equal(seen.exitCode, 0, seen.stderr);
    assert.match(seen.stdout, /\/app\/server\.js/);

    const separate = await debugCopyOfPod(admin, { namespace: 'demo', podName: 'node-app', shareProcesses: false, debugContainer: {} });
    track('demo', separate.copyName);
    assert.equal((await admin.readPod('demo', separate.copyName)).spec?.shareProcessNamespace, false);
    const unseen = await execCapture(admin, 'demo', separate.copyName, separate.debugContainerName!, ['ps', '-o', 'pid,args']);
    assert.equal(unseen.exitCode, 0, unseen.stderr);
    assert.doesNotMatch(unseen.stdout, /server\.js/);
  });

  it('says why a copy does not start: an unpullable image, a replaced command that exits', async () => {
    const pull = await rejectsWith(
      debugCopyOfPod(admin, { namespace: 'demo', podName: 'crashloop', copyName: 'copy-bad-image', setImages: { app: 'loopback.local/does-not-exist:1' } }),
      'image-pull',
      /Image loopback\.local\/does-not-exist:1 of the container app of copy copy-bad-image could not be pulled \((ErrImagePull|ImagePullBackOff)\)/,
    );
    track('demo', 'copy-bad-image');
    assert.ok(pull);
    // Show Details carries the kubelet's own status of the copy's container.
    const report = pull.clusterReport?.content as { containerStatus?: { name?: string; image?: string; state?: { waiting?: { reason?: string; message?: string } } } } | undefined;
    assert.equal(report?.containerStatus?.name, 'app');
    assert.match(report?.containerStatus?.state?.waiting?.reason ?? '', /^(ErrImagePull|ImagePullBackOff)$/);
    assert.match(report?.containerStatus?.state?.waiting?.message ?? '', /loopback\.local\/does-not-exist:1/);
    assert.match(pull.clusterReport?.source ?? '', /^status\.containerStatuses\[app\] of pod demo\/copy-bad-image/);

    const exits = await rejectsWith(
      debugCopyOfPod(admin, { namespace: 'demo', podName: 'crashloop', copyName: 'copy-exits', replaceCommand: { container: 'app', command: ['sh', '-c', 'echo still broken; exit 3'] } }),
      'container-terminated',
      /Container app of copy copy-exits does not stay running \(app: CrashLoopBackOff, exit code 3 \(Error\).*still broken\); its command exits/,
    );
    track('demo', 'copy-exits');
    assert.deepEqual(exits.details, ['still broken']);
  });

  it('refuses a user who cannot create pods before creating anything, and a name that is taken', async () => {
    const debuggerApi = createClusterApi(cluster.kubeConfig('debugger'));
    await rejectsWith(
      debugCopyOfPod(debuggerApi, { namespace: 'demo', podName: 'crashloop', replaceCommand: { container: 'app', command: ['sleep', '60'] } }),
      'forbidden',
      /You cannot create pods in namespace demo .*ask for RBAC 'create' on 'pods' \(to create the copy\)/,
    );
    await rejectsWith(
      debugCopyOfPod(admin, { namespace: 'demo', podName: 'crashloop', copyName: 'node-app', replaceCommand: { container: 'app', command: ['sleep', '60'] } }),
      'name-clash',
      /A pod named node-app already exists in namespace demo: choose another copy name/,
    );
    await rejectsWith(debugCopyOfPod(admin, { namespace: 'demo', podName: 'crashloop', setImages: { web: 'busybox:1.36' } }), 'spec', /no such container; choose one of app/);
  });

  it('asks before granting privileges, and cancelling leaves nothing; cancelling the wait says the copy exists', async () => {
    const grants: string[][] = [];
    await rejectsWith(
      debugCopyOfPod(admin, { namespace: 'demo', podName: 'node-app', copyName: 'copy-not-confirmed', debugContainer: {} }, {}, {
        confirmPrivileged: async (info) => {
          grants.push([...info.grants]);
          return false;
        },
      }),
      'cancelled',
      /Copy cancelled: profile "general" not confirmed/,
    );
    assert.deepEqual(grants, [['SYS_PTRACE']]);
    await assert.rejects(admin.readPod('demo', 'copy-not-confirmed'), (error: unknown) => error instanceof ClusterError && error.code === 404);

    const controller = new AbortController();
    track('demo', 'copy-cancelled');
    await rejectsWith(
      debugCopyOfPod(admin, { namespace: 'demo', podName: 'crashloop', copyName: 'copy-cancelled', replaceCommand: { container: 'app', command: ['sleep', '3600'] } }, {}, {
        onProgress: (message) => {
          if (message.startsWith('creating copy')) controller.abort();
        },
      }, controller.signal),
      'cancelled',
      /Stopped waiting for copy copy-cancelled; it was created and may still start/,
    );
    assert.equal((await admin.readPod('demo', 'copy-cancelled')).metadata?.labels?.[COPY_LABEL], 'true');
  });

  it('replace deletes the original once the copy runs', async () => {
    await admin.createPod('demo', uncheckedPodForTest({ metadata: { name: 'replace-me', namespace: 'demo' }, spec: { containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', '3600'] }] } }));
    track('demo', 'replace-me');
    const asked: string[] = [];
    const result = await debugCopyOfPod(admin, { namespace: 'demo', podName: 'replace-me', copyName: 'replace-me-copy', replace: true, setImages: { main: 'busybox:1.36' } }, {}, {
      confirmDeleteOriginal: async (info) => {
        asked.push(`${info.podName}->${info.copyName}`);
        const copy = await admin.readPod('demo', info.copyName);
        assert.ok(containerStatus(copy, 'main')?.state?.running, 'the copy runs before the original is deleted');
        return true;
      },
    });
    track('demo', result.copyName);
    assert.deepEqual(asked, ['replace-me->replace-me-copy']);
    assert.equal(result.originalDeleted, true);
    await assert.rejects(admin.readPod('demo', 'replace-me'), (error: unknown) => error instanceof ClusterError && error.code === 404);
  });

  it('cleanup deletes only the debug copies older than the limit, and refuses pods that are not copies', async () => {
    const realNow = Date.now();
    const hoursAgo = (hours: number) => () => new Date(realNow - hours * 3_600_000);
    const source = await admin.readPod('demo', 'crashloop');
    const make = async (name: string, clock: () => Date) => {
      const built = buildPodCopy(source, { copyName: name, replaceCommand: { container: 'app', command: ['sleep', '3600'] } }, { creator: 'cleanup-test', now: clock });
      track('demo', name);
      await admin.createPod('demo', built.checked);
    };
    await make('old-copy-a', hoursAgo(5));
    await make('old-copy-b', hoursAgo(2));
    await make('young-copy', hoursAgo(0.25));
    await admin.createPod('demo', uncheckedPodForTest({ metadata: { name: 'not-a-copy', namespace: 'demo', labels: { app: 'crashloop' } }, spec: { containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', '3600'] }] } }));
    track('demo', 'not-a-copy');

    const everywhere = await listDebugCopies(admin);
    const names = everywhere.map((c) => c.name);
    for (const name of ['old-copy-a', 'old-copy-b', 'young-copy']) assert.ok(names.includes(name), `${name} listed: ${names.join(', ')}`);
    assert.ok(!names.includes('not-a-copy') && !names.includes('node-app'), 'only copies are listed');
    const oldA = everywhere.find((c) => c.name === 'old-copy-a')!;
    assert.equal(oldA.namespace, 'demo');
    assert.equal(oldA.origin, 'demo/crashloop');
    assert.equal(oldA.creator, 'cleanup-test');
    assert.equal(oldA.createdAt?.getTime(), realNow - 5 * 3_600_000);
    assert.ok((oldA.ageMs ?? 0) >= 5 * 3_600_000);
    assert.ok(['Pending', 'Running'].includes(oldA.phase), oldA.phase);
    assert.deepEqual((await listDebugCopies(admin, { namespace: 'restricted' })).map((c) => c.name), []);

    const old = selectOlderThan(await listDebugCopies(admin, { namespace: 'demo' }), 3_600_000, new Date(realNow));
    assert.deepEqual(old.map((c) => c.name).sort(), ['old-copy-a', 'old-copy-b']);
    const results = await deleteDebugCopies(admin, [...old, { namespace: 'demo', name: 'not-a-copy' }, { namespace: 'demo', name: 'never-existed' }]);
    assert.deepEqual(
      results.map((r) => [r.name, r.outcome]),
      [['old-copy-a', 'deleted'], ['old-copy-b', 'deleted'], ['not-a-copy', 'refused'], ['never-existed', 'gone']],
    );
    assert.match(results[2].message ?? '', /is not labelled ephemeral-debug\.io\/copy=true or ephemeral-debug\.io\/node-debug=true, so it is not a debug pod of ours: it was not deleted/);

    const after = (await listDebugCopies(admin, { namespace: 'demo' })).filter((c) => c.phase !== 'Terminating').map((c) => c.name);
    assert.ok(!after.includes('old-copy-a') && !after.includes('old-copy-b'), after.join(', '));
    assert.ok(after.includes('young-copy'), 'the young copy stays');
    assert.ok((await admin.readPod('demo', 'not-a-copy')).metadata?.name, 'the non-copy pod stays');
    assert.ok((await admin.readPod('demo', 'crashloop')).metadata?.name, 'the source stays');
  });
});

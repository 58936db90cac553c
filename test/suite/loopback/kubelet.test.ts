/**
 * The loopback kubelet against the real kernel: namespaces, users, capabilities, lifecycle, streams.
 * Needs root on Linux (and the runtime built by setup-runtime.mjs); otherwise the isolation tests skip.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { KubeletError } from '../../cluster/contracts';
import { Kubelet } from '../../cluster/kubelet/kubelet';
import { normaliseReference, resolveImage } from '../../cluster/kubelet/images';
import { MemoryPodStore } from './helpers/memory-pod-store';
import { unavailable } from './helpers/requirePods';

const repoRoot = path.resolve(__dirname, '../../..');
const cacheDir = path.join(repoRoot, '.cache/cluster');

function pod(name: string, containers: Partial<V1Container>[], spec: Partial<NonNullable<V1Pod['spec']>> = {}, namespace = 'default'): V1Pod {
  return {
    metadata: { name, namespace },
    spec: { containers: containers.map((c, i) => ({ name: c.name ?? (i === 0 ? 'app' : `c${i}`), image: 'busybox', ...c })), ...spec },
  };
}

async function readAll(stream: Readable | null): Promise<string> {
  if (!stream) return '';
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text;
}

describe('loopback kubelet', function () {
  let store: MemoryPodStore;
  let kubelet: Kubelet;
  const lines: string[] = [];

  before(async function () {
    this.timeout(300_000);
    const setup = await import('../../cluster/kubelet/setup-runtime.mjs' as string) as { setupRuntime(o: object): Promise<unknown> };
    await setup.setupRuntime({ quiet: true });
  });

  beforeEach(async function () {
    store = new MemoryPodStore();
    kubelet = new Kubelet({ store, cacheDir, backoffBaseMs: 200, pullDelayMs: 20, log: (l) => lines.push(l) });
    await kubelet.start();
    if (kubelet.isolation !== 'namespaces' && !this.currentTest?.title.startsWith('plain')) {
      unavailable(this, `this test needs isolated pods, and ${kubelet.isolationReason ?? 'the kubelet runs plain processes'}`);
    }
  });

  afterEach(async function () {
    const pids = kubelet.livePids();
    const runDir = kubelet.runDirectory;
    await kubelet.stop();
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), `process ${pid} survived stop()`);
    assert.equal(fs.existsSync(runDir), false, 'run directory left behind');
    assert.equal(fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(runDir), false, 'mount left behind');
  });

  const running = (ns: string, name: string, container = 'app') =>
    store.waitFor(ns, name, (p) => !!p?.status?.containerStatuses?.find((c) => c.name === container)?.state?.running, `${container} running`);

  async function execText(ns: string, name: string, container: string, command: string[]) {
    const proc = await kubelet.exec(ns, name, container, command, { stdin: false, stdout: true, stderr: true, tty: false });
    const [out, err, exit] = await Promise.all([readAll(proc.stdout), readAll(proc.stderr), proc.exited]);
    return { out, err, code: exit.exitCode };
  }

  it('normalises image references like docker', function () {
    assert.equal(normaliseReference('busybox'), 'docker.io/library/busybox:latest');
    assert.equal(normaliseReference('nicolaka/netshoot'), 'docker.io/nicolaka/netshoot:latest');
    const busybox = resolveImage('busybox:1.36', cacheDir)!;
    assert.match(busybox.imageID, /^docker\.io\/library\/busybox@sha256:[0-9a-f]{64}$/);
    assert.ok(resolveImage(`busybox@${busybox.digest}`, cacheDir));
    assert.equal(resolveImage('busybox@sha256:' + '0'.repeat(64), cacheDir), undefined);
    assert.equal(resolveImage('foo:1', cacheDir), undefined);
  });

  it('runs a container as PID 1 of its own PID namespace, blind to host processes', async function () {
    store.createPod(pod('p1', [{ command: ['sleep', '3600'] }]));
    const p = (await running('default', 'p1'))!;
    const status = p.status!.containerStatuses![0];
    assert.match(status.containerID!, /^containerd:\/\/[0-9a-f]{64}$/);
    assert.match(status.imageID, /^docker\.io\/library\/busybox@sha256:[0-9a-f]{64}$/);
    assert.equal(p.status!.podIP, '127.0.0.1');
    const ps = await execText('default', 'p1', 'app', ['ps', '-o', 'pid,args']);
    assert.match(ps.out, /^\s*1 sleep 3600$/m, JSON.stringify(ps));
    assert.doesNotMatch(ps.out, /node|mocha/);
    const host = await execText('default', 'p1', 'app', ['sh', '-c', 'hostname; id -u; ls /proc | grep -c "^[0-9]"']);
    assert.equal(host.out.split('\n')[0], 'p1');
    const failing = await execText('default', 'p1', 'app', ['sh', '-c', 'exit 3']);
    assert.equal(failing.code, 3);
    await assert.rejects(kubelet.exec('default', 'p1', 'app', ['no-such-binary'], { stdin: false, stdout: true, stderr: true, tty: false }),
      (e: KubeletError) => e.code === 500 && /executable file not found in \$PATH/.test(e.message));
    await assert.rejects(kubelet.exec('default', 'p1', 'nope', ['true'], { stdin: false, stdout: true, stderr: true, tty: false }),
      (e: KubeletError) => e.code === 400 && e.message === 'container nope is not valid for pod p1');
  });

  it('gives each pod its own network namespace; port-forward reaches a server inside', async function () {
    store.createPod(pod('server', [{ command: ['nc', '-ll', '-p', '8080', '-e', 'cat'] }]));
    store.createPod(pod('client', [{ command: ['sleep', '3600'] }]));
    await running('default', 'server');
    await running('default', 'client');
    const probe = await execText('default', 'client', 'app', ['sh', '-c', 'echo hi | nc -w 1 127.0.0.1 8080; echo rc=$?']);
    assert.doesNotMatch(probe.out, /hi/);
    await assert.rejects(kubelet.portForward('default', 'client', 8080), /connection refused/);
    // nc may not listen yet when the container is reported running, exactly as on a real node.
    for (let attempt = 0; ; attempt++) {
      try {
        (await kubelet.portForward('default', 'server', 8080)).destroy();
        break;
      } catch (e) {
        if (attempt > 100) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    // 10 MiB through an echo server, both ways, intact.
    const socket = await kubelet.portForward('default', 'server', 8080);
    const payload = Buffer.alloc(10 * 1024 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + (i >> 12)) & 0xff;
    const received: Buffer[] = [];
    let size = 0;
    await new Promise<void>((resolve, reject) => {
      socket.on('data', (d: Buffer) => {
        received.push(d);
        size += d.length;
        if (size >= payload.length) resolve();
      });
      socket.on('error', reject);
      socket.write(payload);
    });
    socket.destroy();
    assert.ok(Buffer.concat(received).equals(payload), 'echoed bytes differ');
    // 50 concurrent connections.
    const echoes = await Promise.all(Array.from({ length: 50 }, async (_, i) => {
      const s = await kubelet.portForward('default', 'server', 8080);
      return new Promise<string>((resolve, reject) => {
        s.once('data', (d: Buffer) => { resolve(d.toString()); s.destroy(); });
        s.on('error', reject);
        s.write(`conn-${i}\n`);
      });
    }));
    echoes.forEach((e, i) => assert.equal(e, `conn-${i}\n`));
  });

  it('ephemeral container with a target sees its rootfs; uid 1000 gets EACCES on a root target', async function () {
    store.createPod(pod('node-app', [{ image: 'loopback.local/demo/node-app:1.0' }], {}, 'demo'));
    await running('demo', 'node-app');
    store.addEphemeralContainer('demo', 'node-app', { name: 'debugger-root', image: 'busybox', command: ['sleep', '3600'], targetContainerName: 'app' });
    store.addEphemeralContainer('demo', 'node-app', {
      name: 'debugger-user', image: 'busybox', command: ['sleep', '3600'], targetContainerName: 'app',
      securityContext: { runAsUser: 1000, runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
    });
    const p = (await store.waitFor('demo', 'node-app', (x) => (x?.status?.ephemeralContainerStatuses ?? []).filter((s) => s.state?.running).length === 2, 'ephemeral running'))!;
    const eph = p.status!.ephemeralContainerStatuses!;
    assert.ok(eph.every((s) => /^containerd:\/\/[0-9a-f]{64}$/.test(s.containerID!) && s.imageID.includes('@sha256:')));
    const root = await execText('demo', 'node-app', 'debugger-root', ['sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "; head -c 200 /proc/1/root/app/server.js']);
    assert.equal(root.code, 0, root.err);
    assert.match(root.out, /^\/nodejs\/bin\/node \/app\/server\.js/);
    assert.match(root.out, /createServer|http/);
    const user = await execText('demo', 'node-app', 'debugger-user', ['sh', '-c', 'id -u; grep CapEff /proc/self/status; ls /proc/1/root/app']);
    assert.notEqual(user.code, 0);
    assert.match(user.out, /^1000$/m);
    assert.match(user.out, /CapEff:\s+0+$/m);
    assert.match(user.err, /Permission denied/);
    // The distroless image has no shell: exec of sh fails like on a real cluster.
    await assert.rejects(kubelet.exec('demo', 'node-app', 'app', ['sh'], { stdin: false, stdout: true, stderr: true, tty: false }), /"sh": executable file not found/);
  });

  it('lets a uid-1000 debugger read /proc/1/root of a uid-1000 target; ptrace needs SYS_PTRACE', async function () {
    const restricted = { runAsNonRoot: true, runAsUser: 1000, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } };
    store.createPod(pod('secure', [{ command: ['sleep', '3600'], securityContext: restricted }], {}, 'restricted'));
    await running('restricted', 'secure');
    store.addEphemeralContainer('restricted', 'secure', { name: 'dbg', image: 'nicolaka/netshoot', command: ['sleep', '3600'], targetContainerName: 'app', securityContext: restricted });
    store.addEphemeralContainer('restricted', 'secure', { name: 'dbg-root', image: 'nicolaka/netshoot', command: ['sleep', '3600'], targetContainerName: 'app' });
    await store.waitFor('restricted', 'secure', (x) => (x?.status?.ephemeralContainerStatuses ?? []).filter((s) => s.state?.running).length === 2);
    const read = await execText('restricted', 'secure', 'dbg', ['sh', '-c', 'ls /proc/1/root/bin/busybox && id -u']);
    assert.equal(read.code, 0, read.err);
    assert.match(read.out, /^1000$/m);
    // Same uid: ptrace attach is allowed by the kernel without any capability.
    const attach = await execText('restricted', 'secure', 'dbg', ['sh', '-c', 'timeout 1 strace -p 1 -o /dev/null; echo rc=$?']);
    assert.doesNotMatch(attach.out + attach.err, /Operation not permitted/);
    // Root without SYS_PTRACE: the target's uid differs, so ptrace is refused.
    const rootAttach = await execText('restricted', 'secure', 'dbg-root', ['sh', '-c', 'timeout 1 strace -p 1 -o /dev/null; echo rc=$?']);
    assert.match(rootAttach.out + rootAttach.err, /Operation not permitted/);
  });

  it('shareProcessNamespace puts /pause at PID 1 and both containers in one PID namespace', async function () {
    store.createPod(pod('shared', [{ command: ['sleep', '3600'] }, { name: 'side', command: ['sleep', '7200'] }], { shareProcessNamespace: true }));
    await running('default', 'shared');
    await running('default', 'shared', 'side');
    const ps = await execText('default', 'shared', 'app', ['ps', '-o', 'pid,args']);
    assert.match(ps.out, /^\s*1 \/pause$/m);
    assert.match(ps.out, /sleep 3600/);
    assert.match(ps.out, /sleep 7200/);
  });

  it('attaches to a stdin+tty shell and resizes its terminal', async function () {
    store.createPod(pod('tty', [{ command: ['sh'], stdin: true, tty: true }]));
    await running('default', 'tty');
    const session = await kubelet.attach('default', 'tty', 'app', { stdin: true, stdout: true, stderr: false, tty: true });
    let screen = '';
    session.stdout.on('data', (d: Buffer) => { screen += d.toString(); });
    session.resize(123, 45);
    await new Promise((r) => setTimeout(r, 100));
    session.stdin!.write('stty size; tty\n');
    await waitUntil(() => /45 123/.test(screen), () => `screen: ${JSON.stringify(screen)}`);
    assert.match(screen, /\/dev\/pts\/\d+/);
    session.stdin!.write('exit 7\n');
    assert.equal((await session.ended).exitCode, 7);
  });

  it('reports ErrImagePull then ImagePullBackOff for an unknown image', async function () {
    store.createPod(pod('badimage', [{ image: 'foo:1' }]));
    const errPull = await store.waitFor('default', 'badimage', (p) => p?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImagePull');
    assert.match(errPull!.status!.containerStatuses![0].state!.waiting!.message!, /failed to pull and unpack image "docker\.io\/library\/foo:1": .*not found/);
    const backoff = await store.waitFor('default', 'badimage', (p) => p?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff');
    assert.equal(backoff!.status!.containerStatuses![0].state!.waiting!.message, 'Back-off pulling image "foo:1"');
    assert.equal(backoff!.status!.phase, 'Pending');
  });

  it('refuses runAsNonRoot with a root image: CreateContainerConfigError', async function () {
    const created = store.createPod(pod('nonroot', [{ command: ['sleep', '1'] }], { securityContext: { runAsNonRoot: true } }));
    const p = await store.waitFor('default', 'nonroot', (x) => x?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError');
    assert.equal(p!.status!.containerStatuses![0].state!.waiting!.message,
      `container has runAsNonRoot and image will run as root (pod: "nonroot_default(${created.metadata!.uid})", container: app)`);
  });

  it('crash-loops a failing container with growing restartCount and keeps previous logs', async function () {
    const created = store.createPod(pod('crash', [{ command: ['sh', '-c', 'echo boom; exit 1'] }]));
    const p = (await store.waitFor('default', 'crash', (x) => (x?.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2 &&
      x?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff'))!;
    const s = p.status!.containerStatuses![0];
    assert.match(s.state!.waiting!.message!, new RegExp(`^back-off \\d+(ms|s) restarting failed container=app pod=crash_default\\(${created.metadata!.uid}\\)$`));
    assert.equal(s.lastState!.terminated!.exitCode, 1);
    assert.equal(s.lastState!.terminated!.reason, 'Error');
    assert.equal(p.status!.phase, 'Running');
    const previous = await readAll(await kubelet.logs('default', 'crash', 'app', { previous: true }));
    assert.equal(previous, 'boom\n');
    const stamped = await readAll(await kubelet.logs('default', 'crash', 'app', { previous: true, timestamps: true }));
    assert.match(stamped, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z boom\n$/);
  });

  it('runs init containers first, honours restartPolicy Never, tails logs', async function () {
    store.createPod(pod('job', [{ command: ['sh', '-c', 'for i in 1 2 3 4 5; do echo line $i; done'] }], {
      restartPolicy: 'Never',
      initContainers: [{ name: 'init', image: 'busybox', command: ['sh', '-c', 'echo init-done'] }],
    }));
    const p = (await store.waitFor('default', 'job', (x) => x?.status?.phase === 'Succeeded'))!;
    assert.equal(p.status!.initContainerStatuses![0].state!.terminated!.reason, 'Completed');
    assert.equal(p.status!.containerStatuses![0].state!.terminated!.exitCode, 0);
    assert.equal(await readAll(await kubelet.logs('default', 'job', 'init', {})), 'init-done\n');
    const tail = await readAll(await kubelet.logs('default', 'job', 'app', { tailLines: 2 }));
    assert.equal(tail, 'line 4\nline 5\n');
    assert.equal(await readAll(await kubelet.logs('default', 'job', 'app', { tailLines: 1, limitBytes: 4 })), 'line');
  });

  it('becomes Ready only when its readiness probe passes', async function () {
    store.createPod(pod('probe', [{
      command: ['sh', '-c', 'sleep 1; touch /tmp/ready; exec sleep 3600'],
      readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1, failureThreshold: 1 },
    }]));
    const notReady = (await running('default', 'probe'))!;
    assert.equal(notReady.status!.conditions!.find((c) => c.type === 'Ready')!.status, 'False');
    const ready = (await store.waitFor('default', 'probe', (x) => x?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True'))!;
    assert.equal(ready.status!.containerStatuses![0].ready, true);
  });

  it('deletes with SIGTERM, then SIGKILL after the grace period, then removes the pod', async function () {
    store.createPod(pod('graceful', [
      { command: ['sh', '-c', 'trap "echo got-term; exit 0" TERM; while true; do sleep 0.1; done'] },
      { name: 'stubborn', command: ['sleep', '3600'] }, // PID 1 without a handler ignores SIGTERM
    ], { terminationGracePeriodSeconds: 1 }));
    await running('default', 'graceful');
    await running('default', 'graceful', 'stubborn');
    const logs = await kubelet.logs('default', 'graceful', 'app', { follow: true });
    const text = readAll(logs);
    store.deletePod('default', 'graceful', 1);
    await store.waitFor('default', 'graceful', (p) => p === undefined, 'removal');
    assert.equal(await text, 'got-term\n');
  });

  it('plain mode: says why when namespaces are unavailable', function () {
    if (kubelet.isolation === 'namespaces') {
      assert.equal(kubelet.isolationReason, undefined);
    } else {
      assert.ok(kubelet.isolationReason && kubelet.isolationReason.length > 10);
    }
    assert.equal(Kubelet.whyNoNamespaces(cacheDir), process.getuid?.() === 0 ? undefined : Kubelet.whyNoNamespaces(cacheDir));
    // Nothing of this machine's mount table refers to the kubelet's directories after stop (checked in afterEach).
    execFileSync('true');
  });
});

async function waitUntil(predicate: () => boolean, describe: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${describe()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

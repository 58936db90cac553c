/**
 * The whole loopback cluster (API server + kubelet + demo workloads) driven by the real
 * @kubernetes/client-node, and by kubectl where it is installed: the journeys the extension depends on.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { cacheDir, LoopbackCluster } from '../../cluster/cluster';
import { containerStatus, execCollect, isRunning, kubeConfigFor, waitForPod } from './helpers/client';
import { leftoversSince, snapshotHost, type HostSnapshot } from './helpers/leftovers';
import { requireRealPods, unavailable } from './helpers/requirePods';

const run = promisify(execFile);
const kubectlPath = '/usr/bin/kubectl';
const serverJs = readFileSync(join(__dirname, '../../cluster/demo/node-app/server.js'), 'utf8');

function strategicMerge(): k8s.ConfigurationOptions {
  return k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch);
}

describe('loopback cluster, end to end', function () {
  this.timeout(120_000);
  let hostBefore: HostSnapshot;
  let cluster: LoopbackCluster;
  let admin: k8s.KubeConfig;
  let core: k8s.CoreV1Api;
  let workDir: string;
  let kubeconfigPath: string;

  /** Adds an ephemeral container the way kubectl debug does, and waits until it runs. */
  async function addDebugContainer(namespace: string, pod: string, container: k8s.V1EphemeralContainer): Promise<k8s.V1Pod> {
    const current = await core.readNamespacedPod({ name: pod, namespace });
    const body = { spec: { ephemeralContainers: [...(current.spec?.ephemeralContainers ?? []), container] } };
    await core.patchNamespacedPodEphemeralcontainers({ name: pod, namespace, body }, strategicMerge());
    return waitForPod(admin, namespace, pod, isRunning(container.name));
  }

  before(async function () {
    requireRealPods(this);
    hostBefore = snapshotHost(cacheDir);
    workDir = mkdtempSync(join(tmpdir(), 'loopback-e2e-'));
    kubeconfigPath = join(workDir, 'kubeconfig');
    cluster = await LoopbackCluster.start({ demo: true, kubeconfigPath, pullDelayMs: 50, backoffBaseMs: 200 });
    admin = kubeConfigFor(cluster.kubeconfigYaml());
    core = admin.makeApiClient(k8s.CoreV1Api);
    await waitForPod(admin, 'demo', 'node-app', isRunning('app'));
  });

  after(async function () {
    if (!cluster) return;
    await cluster.stop();
    rmSync(workDir, { recursive: true, force: true });
    await new Promise((resolve) => setTimeout(resolve, 200)); // room for a late restart to show itself
    assert.equal(existsSync(cluster.kubelet.runDirectory), false, 'the kubelet removed its run directory');
    assert.deepEqual(leftoversSince(hostBefore, snapshotHost(cacheDir)), [], 'the cluster left something behind');
  });

  it('writes a kubeconfig with a CA and three token users, mode 0600', () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    assert.deepEqual(kc.getContexts().map((c) => c.name).sort(), ['loopback-admin', 'loopback-debugger', 'loopback-viewer']);
    assert.equal(kc.getCurrentContext(), 'loopback-admin');
    assert.ok(kc.getCurrentCluster()?.caData, 'certificate-authority-data is set');
    assert.ok(kc.getCurrentCluster()?.server.startsWith('https://127.0.0.1:'));
    assert.equal(statSync(kubeconfigPath).mode & 0o777, 0o600);
  });

  it('lists the demo workloads across namespaces', async () => {
    const pods = await core.listPodForAllNamespaces();
    const names = pods.items.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`);
    assert.ok(names.includes('demo/node-app'), names.join(', '));
    assert.ok(pods.items.some((p) => p.metadata?.namespace === 'restricted'));
  });

  it('attaches a debug container to distroless node-app and reads the target\'s /app/server.js through /proc/1/root', async () => {
    const name = 'debugger-e2e01';
    const pod = await addDebugContainer('demo', 'node-app', {
      name, image: 'busybox', targetContainerName: 'app', stdin: true, tty: true, terminationMessagePolicy: 'File',
    });
    assert.match(containerStatus(pod, name)?.imageID ?? '', /@sha256:[0-9a-f]{64}$/);

    // Attach with a TTY, as the extension's terminal does, and type a command.
    const output = new PassThrough();
    const input = new PassThrough();
    let seen = '';
    output.on('data', (chunk: Buffer) => { seen += chunk.toString('utf8'); });
    const socket = await new k8s.Attach(admin).attach('demo', 'node-app', name, output, null, input, true);
    try {
      input.write('head -n 1 /proc/1/root/app/server.js\n');
      const firstLine = serverJs.split('\n')[0]!.trim();
      await until(() => seen.includes(firstLine), () => `attach output never showed "${firstLine}": ${JSON.stringify(seen)}`);
    } finally {
      socket.close();
    }
  });

  it('carries the exit code of an exec through the channel-3 Status', async () => {
    const ok = await execCollect(admin, 'demo', 'node-app', 'debugger-e2e01', ['sh', '-c', 'echo out; echo err >&2']);
    assert.equal(ok.exitCode, 0);
    assert.equal(ok.stdout, 'out\n');
    assert.equal(ok.stderr, 'err\n');
    const failed = await execCollect(admin, 'demo', 'node-app', 'debugger-e2e01', ['sh', '-c', 'exit 7']);
    assert.equal(failed.status.reason, 'NonZeroExitCode');
    assert.equal(failed.exitCode, 7);
  });

  it('denies a non-root debug container the root target\'s filesystem (EACCES from the kernel)', async () => {
    const name = 'debugger-uid1000';
    await addDebugContainer('demo', 'node-app', {
      name, image: 'busybox', targetContainerName: 'app', command: ['sleep', '3600'],
      securityContext: { runAsUser: 1000, runAsGroup: 1000 },
    });
    const result = await execCollect(admin, 'demo', 'node-app', name, ['cat', '/proc/1/root/app/server.js']);
    assert.notEqual(result.exitCode, 0);
    assert.match(result.stderr, /Permission denied/);
    const id = await execCollect(admin, 'demo', 'node-app', name, ['id', '-u']);
    assert.equal(id.stdout.trim(), '1000');
  });

  it('reports ErrImagePull then ImagePullBackOff for an image that does not exist', async () => {
    const name = 'debugger-nosuch';
    const current = await core.readNamespacedPod({ name: 'node-app', namespace: 'demo' });
    const body = { spec: { ephemeralContainers: [...(current.spec?.ephemeralContainers ?? []), { name, image: 'example.invalid/no-such-image:1' }] } };
    await core.patchNamespacedPodEphemeralcontainers({ name: 'node-app', namespace: 'demo', body }, strategicMerge());
    const pod = await waitForPod(admin, 'demo', 'node-app', (p) => containerStatus(p, name)?.state?.waiting?.reason === 'ImagePullBackOff');
    assert.match(containerStatus(pod, name)?.state?.waiting?.message ?? '', /example\.invalid\/no-such-image:1/);
  });

  it('port-forwards 10 MiB each way intact to a server inside a pod\'s network namespace', async () => {
    // An echo server in its own pod: reachable only through the pod's network namespace.
    await core.createNamespacedPod({ namespace: 'default', body: {
      metadata: { name: 'echo' },
      spec: { containers: [{ name: 'echo', image: 'python:3.12', command: ['python3', '-c', ECHO_SERVER] }] },
    } });
    await waitForPod(admin, 'default', 'echo', isRunning('echo'));
    assert.equal(await canConnect(7000), false, 'the pod port is not reachable from the host directly');

    const forward = new k8s.PortForward(admin);
    const server = createServer((local) => {
      forward.portForward('default', 'echo', [7000], local, null, local).catch((error: unknown) => local.destroy(error as Error));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const payload = randomBytes(10 * 1024 * 1024);
      const echoed = await sendAndReceive((server.address() as AddressInfo).port, payload);
      assert.equal(echoed.length, payload.length);
      assert.equal(sha256(echoed), sha256(payload));
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('serves current and previous logs of a crash-looping container', async () => {
    const pods = await core.listNamespacedPod({ namespace: 'demo' });
    const crashing = pods.items.find((p) => p.metadata?.name?.includes('crash'));
    assert.ok(crashing, 'the demo has a crash-looping pod');
    const name = crashing.metadata!.name!;
    const container = crashing.spec!.containers[0]!.name;
    const pod = await waitForPod(admin, 'demo', name, (p) => (containerStatus(p, container)?.restartCount ?? 0) >= 1);
    assert.equal(containerStatus(pod, container)?.lastState?.terminated?.exitCode, 1);
    const previous = await core.readNamespacedPodLog({ name, namespace: 'demo', container, previous: true });
    assert.ok(previous.length > 0, 'previous instance logged something');
  });

  it('answers 401 to a wrong token and 403 with the real message to the viewer', async () => {
    const wrong = kubeConfigFor(cluster.kubeconfigYaml());
    const user = wrong.getCurrentUser()!;
    (user as { token?: string }).token = 'not-the-token';
    await assert.rejects(wrong.makeApiClient(k8s.CoreV1Api).listNamespace(), (error: k8s.ApiException<unknown>) => error.code === 401);

    const viewer = kubeConfigFor(cluster.kubeconfigYaml(), 'loopback-viewer').makeApiClient(k8s.CoreV1Api);
    await assert.rejects(
      viewer.patchNamespacedPodEphemeralcontainers({ name: 'node-app', namespace: 'demo',
        body: { spec: { ephemeralContainers: [{ name: 'debugger-viewer', image: 'busybox' }] } } }, strategicMerge()),
      (error: k8s.ApiException<string>) => error.code === 403 &&
        String(error.body).includes('cannot patch resource \\"pods/ephemeralcontainers\\" in API group \\"\\" in the namespace \\"demo\\"'));
  });

  describe('with kubectl', function () {
    before(function () {
      if (!existsSync(kubectlPath)) unavailable(this, `${kubectlPath} is not installed`);
    });

    const kubectl = (...args: string[]) => run(kubectlPath, ['--kubeconfig', kubeconfigPath, ...args], { timeout: 60_000 });

    it('lists pods, reads logs and execs', async () => {
      const { stdout } = await kubectl('get', 'pods', '-n', 'demo', '-o', 'name');
      assert.match(stdout, /pod\/node-app/);
      const logs = await kubectl('logs', '-n', 'demo', 'node-app', '-c', 'app');
      assert.ok(logs.stdout.length > 0);
      const exec = await kubectl('exec', '-n', 'demo', 'node-app', '-c', 'debugger-e2e01', '--', 'head', '-n', '1', '/proc/1/root/app/server.js');
      assert.equal(exec.stdout.trim(), serverJs.split('\n')[0]!.trim());
    });

    it('adds an ephemeral container with kubectl debug', async () => {
      await kubectl('debug', '-n', 'demo', 'node-app', '--image=busybox', '--target=app', '--attach=false',
        '--profile=general', '--container=debugger-kubectl', '--', 'sleep', '3600');
      const pod = await waitForPod(admin, 'demo', 'node-app', isRunning('debugger-kubectl'));
      const added = pod.spec?.ephemeralContainers?.find((c) => c.name === 'debugger-kubectl');
      assert.deepEqual(added?.securityContext?.capabilities?.add, ['SYS_PTRACE']);
      assert.equal(added?.targetContainerName, 'app');
    });

    it('port-forwards to node-app with kubectl port-forward', async () => {
      const forward = spawn(kubectlPath, ['--kubeconfig', kubeconfigPath, 'port-forward', '-n', 'demo', 'pod/node-app', ':8080'],
        { stdio: ['ignore', 'pipe', 'pipe'] });
      try {
        const localPort = await new Promise<number>((resolve, reject) => {
          let printed = '';
          forward.stdout.on('data', (chunk: Buffer) => {
            printed += chunk.toString();
            const match = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(printed);
            if (match) resolve(Number(match[1]));
          });
          forward.once('exit', (code) => reject(new Error(`kubectl port-forward exited (${code}): ${printed}`)));
        });
        const response = await fetch(`http://127.0.0.1:${localPort}/`);
        assert.equal(response.status, 200);
        assert.ok((await response.text()).length > 0);
      } finally {
        if (forward.exitCode === null && forward.signalCode === null) {
          const exited = new Promise((resolve) => forward.once('exit', resolve));
          forward.kill(); // our own child, by its pid
          await exited;
        }
      }
    });
  });
});

const ECHO_SERVER = `
import socket, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 7000)); s.listen(64)
def serve(c):
    while True:
        d = c.recv(65536)
        if not d: break
        c.sendall(d)
    c.shutdown(socket.SHUT_WR); c.close()
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
`;

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

async function until(condition: () => boolean, describe: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(describe());
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Writes `payload` and collects the echo until as many bytes came back. The port-forward protocol has no
 * half-close, so the byte count, not an end of stream, says the transfer is complete.
 */
function sendAndReceive(port: number, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const socket: Socket = connect(port, '127.0.0.1', () => socket.write(payload));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received >= payload.length) {
        socket.destroy();
        resolve(Buffer.concat(chunks));
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`connection closed after ${received} of ${payload.length} bytes`)));
  });
}

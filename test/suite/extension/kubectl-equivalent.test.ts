/**
 * Issue #14, "the equivalent kubectl command": each command printed, run with the test cluster's kubectl, does
 * what the extension did. A debug container: kubectl adds one equal to ours (but for the name), whichever profile
 * and identity the extension chose and whatever the command line holds. A debug copy: kubectl debug --copy-to
 * (then label and annotate) makes a pod equal to our copy but for its name, or kubectl create does where kubectl
 * debug cannot. A port-forward answers as ours; a delete deletes; the stop exec ends a debug container.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import type { V1EphemeralContainer, V1Pod } from '@kubernetes/client-node';
import { createClusterApi } from '../../../src/cluster/client';
import type { ClusterApi } from '../../../src/cluster/clusterApi';
import { attachDebugContainer } from '../../../src/debug/attachFlow';
import { debugCopyOfPod, type CopyRequest } from '../../../src/debug/copyFlow';
import { COPY_DELETE_GRACE_SECONDS } from '../../../src/debug/debugCopies';
import { kubectlCopyCommand, kubectlDebugCommand, kubectlDeletePodsCommand, kubectlPortForwardCommand, kubectlStopCommand } from '../../../src/debug/kubectlEquivalent';
import { shellQuote } from '../../../src/shell/shellScript';
import { startTestCluster, testKubectl, type TestCluster } from '../../cluster/testCluster';
import { isRunning, waitForPod } from '../loopback/helpers/client';
import { requireRealPods } from '../loopback/helpers/requirePods';

const run = promisify(execFile);
/**
 * On the loopback, kubectl 1.31 for commands that create objects: from 1.32 kubectl's typed clients send protobuf,
 * which the loopback API server does not decode (as in test/bench/copy.bench.ts). A real API server: the cluster's.
 */
const LOOPBACK_KUBECTL = '/usr/lib/google-cloud-sdk/bin/kubectl.1.31';

describe('issue #14: the equivalent kubectl command (test cluster)', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let admin: ClusterApi;
  let workDir: string;

  before(async function () {
    requireRealPods(this);
    cluster = await startTestCluster({ pullDelayMs: 10, backoffBaseMs: 200 });
    const kc = cluster.kubeConfig();
    admin = createClusterApi(kc);
    await waitForPod(kc, 'demo', 'node-app', isRunning('app'));
    await waitForPod(kc, 'restricted', 'secure-app', isRunning('app'));
    await waitForPod(kc, 'demo', 'crashloop', () => true);
    workDir = await mkdtemp(join(tmpdir(), 'kubectl-equivalent-'));
  });

  after(async () => {
    await cluster?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  const kubectlBinary = (): string => (cluster.version.endsWith('-loopback') ? LOOPBACK_KUBECTL : testKubectl());
  /** Runs a printed script with the test cluster's kubectl (and its credentials) in place of `kubectl`. */
  const runScript = async (command: string): Promise<string> => {
    let script = command.replace(/(^|\$\()kubectl /gm, `$1${shellQuote(kubectlBinary())} --kubeconfig=${shellQuote(cluster.kubeconfigPath)} --context=${shellQuote(cluster.context('admin'))} `);
    // The loopback serves no OpenAPI document for kubectl's client-side validation (the API server validates anyway).
    if (cluster.version.endsWith('-loopback')) script = script.replace(/ create -f /g, ' create --validate=false -f ');
    return (await run('sh', ['-c', script], { cwd: workDir, timeout: 90_000 })).stdout;
  };

  /** Runs the printed command (kubectl replaced by the test cluster's, not attaching) and returns its container. */
  async function runEquivalent(namespace: string, pod: string, container: V1EphemeralContainer, profile: string | undefined, twin: string): Promise<{ command: string; added: V1EphemeralContainer }> {
    const command = kubectlDebugCommand({ namespace, pod, container: { ...container, name: twin }, profile, noAttach: true, customFile: join(workDir, `${twin}.json`) });
    await runScript(command);
    const latest = await admin.readPod(namespace, pod);
    const added = latest.spec?.ephemeralContainers?.find((c) => c.name === twin);
    assert.ok(added, `kubectl added ${twin}: ${command}`);
    return { command, added };
  }

  /** Plain data (client-node reads objects into classes), without the name. */
  const comparable = (c: V1EphemeralContainer): unknown => JSON.parse(JSON.stringify({ ...c, name: undefined }));

  it('a root target (auto → baseline) with a command full of quotes, $(…) and spaces: kubectl adds the same container', async () => {
    const result = await attachDebugContainer(admin, { namespace: 'demo', podName: 'node-app', command: ['sh', '-c', `echo 'it''s' "$HOME" $(id) && sleep 3600`] }, {}, { chooseReattach: async () => 'add-new' });
    const ours = result.pod.spec?.ephemeralContainers?.find((c) => c.name === result.containerName);
    assert.ok(ours);
    const { command, added } = await runEquivalent('demo', 'node-app', ours, result.profile, 'kubectl-twin-root');
    assert.match(command, /--profile=baseline/);
    assert.deepEqual(comparable(added), comparable(ours), command);
  });

  it('a non-root target (auto → restricted as uid 1000): the identity travels in a custom spec, and kubectl adds the same container', async () => {
    const result = await attachDebugContainer(admin, { namespace: 'restricted', podName: 'secure-app' }, {}, { chooseReattach: async () => 'add-new' });
    const ours = result.pod.spec?.ephemeralContainers?.find((c) => c.name === result.containerName);
    assert.ok(ours);
    assert.equal(ours.securityContext?.runAsUser, 1000);
    const { command, added } = await runEquivalent('restricted', 'secure-app', ours, result.profile, 'kubectl-twin-uid');
    assert.match(command, /--custom=/);
    assert.deepEqual(comparable(added), comparable(ours), command);
  });

  it('never prints the value of an env variable the user set, only a placeholder', () => {
    const command = kubectlDebugCommand({ namespace: 'demo', pod: 'node-app', container: { name: 'd', image: 'busybox:1.36', env: [{ name: 'TOKEN', value: 'hunter2' }, { name: 'DEBUG_SESSION_ID', value: 's-1' }] } });
    assert.doesNotMatch(command, /hunter2/);
    assert.match(command, /--env='TOKEN=''<value>'/);
    assert.match(command, /--env='DEBUG_SESSION_ID=s-1'/);
  });
  /** The pod as the API server holds it, without what differs between two pods made alike (name, uid, times, status, node). */
  const podShape = (pod: V1Pod): unknown => {
    const plain = JSON.parse(JSON.stringify(pod)) as V1Pod;
    return { labels: plain.metadata?.labels, annotations: plain.metadata?.annotations, spec: { ...plain.spec, nodeName: undefined } };
  };

  /** Our copy, then the printed command run as a twin; both pods as the server holds them. */
  async function copyAndTwin(request: CopyRequest, twin: string): Promise<{ command: string; ours: V1Pod; theirs: V1Pod }> {
    const result = await debugCopyOfPod(admin, request, { skipPrivilegedConfirmation: true }, {});
    const source = await admin.readPod(request.namespace, request.podName);
    const ours = await admin.readPod(request.namespace, result.copyName);
    const command = kubectlCopyCommand({ source, copy: ours, profile: result.profile, copyName: twin, noAttach: true, customFile: join(workDir, `${twin}.custom.json`), podFile: join(workDir, `${twin}.pod.json`) });
    await runScript(command);
    const theirs = await admin.readPod(request.namespace, twin);
    return { command, ours, theirs };
  }

  it('Debug a Copy with a debug container and a new image: kubectl debug --copy-to, label and annotate make the same pod', async () => {
    const { command, ours, theirs } = await copyAndTwin({ namespace: 'demo', podName: 'node-app', setImages: { app: 'loopback.local/demo/python-app:1.0' }, debugContainer: {} }, 'node-app-kubectl-twin');
    assert.match(command, / --set-image='app=loopback\.local\/demo\/python-app:1\.0' /);
    assert.match(command, / -it /);
    assert.match(command, /^kubectl -n 'demo' debug 'node-app' --copy-to='node-app-kubectl-twin' /m);
    assert.doesNotMatch(command, / create /);
    assert.deepEqual(podShape(theirs), podShape(ours), command);
  });

  it('Debug a Copy that keeps a crashing app alive (its command replaced): kubectl debug --copy-to -c app -- sleep makes the same pod', async () => {
    const { command, ours, theirs } = await copyAndTwin({ namespace: 'demo', podName: 'crashloop', replaceCommand: { container: 'app', command: ['sleep', '3600'] } }, 'crashloop-kubectl-twin');
    assert.match(command, /debug 'crashloop' --copy-to='crashloop-kubectl-twin' .*-c 'app' -- 'sleep' '3600'$/m);
    assert.deepEqual(podShape(theirs), podShape(ours), command);
  });

  it('Debug a Copy with a replaced command and a debug container (kubectl debug cannot): kubectl create of the copy as created, env values left out', async () => {
    const { command, ours, theirs } = await copyAndTwin({ namespace: 'demo', podName: 'crashloop', replaceCommand: { container: 'app', command: ['sleep', '3600'] }, debugContainer: { env: [{ name: 'TOKEN', value: 'hunter2' }] } }, 'crashloop-kubectl-created');
    assert.match(command, /^# kubectl debug cannot both replace/);
    assert.doesNotMatch(command, /hunter2/);
    const withoutToken = (pod: unknown): unknown => JSON.parse(JSON.stringify(pod).replace(/"value":"(hunter2|<value>)"/g, '"value":"?"'));
    assert.deepEqual(withoutToken(podShape(theirs)), withoutToken(podShape(ours)), command);
  });

  it('port-forward: kubectl port-forward on the printed ports reaches the same app as ours', async function () {
    const localPort = await freePort();
    const command = kubectlPortForwardCommand({ namespace: 'demo', pod: 'node-app', localPort, remotePort: 8080 });
    assert.equal(command, `kubectl -n 'demo' port-forward --address=127.0.0.1 'pod/node-app' ${localPort}:8080`);
    const script = command.replace(/^kubectl /, `exec ${shellQuote(kubectlBinary())} --kubeconfig=${shellQuote(cluster.kubeconfigPath)} --context=${shellQuote(cluster.context('admin'))} `);
    const child = execFile('sh', ['-c', script]);
    try {
      let body = '';
      for (let i = 0; i < 100 && !body.includes('"app":"node-app"'); i++) {
        body = await get(localPort, '/through-kubectl').catch(() => '');
        if (!body) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.match(body, /"app":"node-app"/, `GET 127.0.0.1:${localPort} through ${command}`);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('delete: kubectl delete pod of the printed copies deletes them', async () => {
    const copy = await debugCopyOfPod(admin, { namespace: 'demo', podName: 'node-app' }, { skipPrivilegedConfirmation: true }, {});
    const command = kubectlDeletePodsCommand({ namespace: 'demo', pods: [copy.copyName], gracePeriodSeconds: COPY_DELETE_GRACE_SECONDS });
    assert.equal(command, `kubectl -n 'demo' delete pod '${copy.copyName}' --grace-period=1`);
    await runScript(command);
    let gone = false;
    for (let i = 0; i < 150 && !gone; i++) {
      gone = await admin.readPod('demo', copy.copyName).then(() => false, (error: unknown) => (error as { code?: number }).code === 404);
      if (!gone) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.ok(gone, `${copy.copyName} is still there after ${command}`);
  });

  it('Stop Debug Container: kubectl has none; the printed exec ends the debug container as Stop does', async () => {
    const result = await attachDebugContainer(admin, { namespace: 'demo', podName: 'node-app' }, {}, { chooseReattach: async () => 'add-new' });
    const command = kubectlStopCommand({ namespace: 'demo', pod: 'node-app', container: result.containerName });
    assert.match(command, /^# kubectl has no command to stop an ephemeral container/);
    await runScript(command);
    let state: unknown;
    for (let i = 0; i < 150; i++) {
      state = (await admin.readPod('demo', 'node-app')).status?.ephemeralContainerStatuses?.find((s) => s.name === result.containerName)?.state;
      if ((state as { terminated?: unknown } | undefined)?.terminated !== undefined) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.ok((state as { terminated?: unknown } | undefined)?.terminated !== undefined, `${result.containerName} is ${JSON.stringify(state)}, not terminated`);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function get(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port, path, timeout: 5000 }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve(body));
      response.on('error', reject);
    }).on('error', reject).end();
  });
}

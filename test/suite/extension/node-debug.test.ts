/**
 * Issue #14, node debugging, against the test cluster through the real ClusterApi: the Nodes folder of the
 * explorer (Ready, roles, kubelet version; watched only while expanded; "needs list nodes" without RBAC), the
 * Debug Node engine (the pod as the API server created it, governance refusing before anything is sent, Clean Up
 * removing ours and only ours, the equivalent kubectl command), and on a real node (not the loopback, whose
 * kubelet refuses host namespaces and hostPath, see hostAccessOf in test/cluster/kubelet/kubelet.ts) the terminal
 * seeing the node's processes and the node's files through the target filesystem at /host.
 */
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { createClusterApi } from '../../../src/cluster/client';
import { ClusterError, type ClusterApi } from '../../../src/cluster/clusterApi';
import { deleteDebugCopies, listDebugCopies } from '../../../src/debug/debugCopies';
import { DEBUG_CONTAINER_NAME_ALPHABET } from '../../../src/debug/debugContainerSpec';
import { DebugFlowError } from '../../../src/debug/debugFlowError';
import { kubectlDebugNodeCommand } from '../../../src/debug/kubectlEquivalent';
import { debugNode, type NodeDebugResult } from '../../../src/debug/nodeDebugFlow';
import { KUBECTL_DEBUG_MANAGER, KUBECTL_MANAGED_BY_LABEL, NODE_DEBUG_LABEL } from '../../../src/debug/nodeDebugPods';
import type { NodeDescriptor } from '../../../src/explorer/descriptors';
import { ExplorerModel } from '../../../src/explorer/explorerModel';
import { TargetFsError } from '../../../src/targetfs/errors';
import { TargetFileSystem } from '../../../src/targetfs/targetFileSystem';
import { HOST_ROOT } from '../../../src/targetfs/targetUri';
import { AttachTerminal } from '../../../src/terminal/attachTerminal';
import { startTestCluster, testClusterKind, type TestCluster } from '../../cluster/testCluster';
import { isRunning, waitForPod } from '../loopback/helpers/client';
import { requireRealPods } from '../loopback/helpers/requirePods';
import { loopbackOnly } from './helpers/loopbackOnly';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const NAMESPACE = 'node-debug-test';
const IMAGE = 'busybox:1.36';
const onLoopback = testClusterKind() === 'loopback';

async function until<T>(probe: () => T | undefined, what: () => string, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) assert.fail(`timed out waiting: ${what()}`);
    await sleep(50);
  }
}

async function waitUntilGone(api: ClusterApi, namespace: string, name: string): Promise<void> {
  const end = Date.now() + 60_000;
  for (;;) {
    try {
      await api.readPod(namespace, name);
    } catch (error) {
      if (error instanceof ClusterError && error.code === 404) return;
      throw error;
    }
    if (Date.now() > end) assert.fail(`pod ${namespace}/${name} is still there a minute after Clean Up deleted it`);
    await sleep(200);
  }
}

describe('issue #14 node debugging on the test cluster', function () {
  this.timeout(180_000);
  let cluster: TestCluster;
  let admin: ClusterApi;
  let nodeName: string;
  let kubeletVersion: string;

  before(async function () {
    requireRealPods(this);
    cluster = await startTestCluster({ pullDelayMs: 20, backoffBaseMs: 200 });
    admin = createClusterApi(cluster.kubeConfig('admin'));
    const nodes = (await admin.listNodes!()).items;
    assert.ok(nodes.length >= 1, 'the test cluster has a node');
    nodeName = nodes[0]!.metadata!.name!;
    kubeletVersion = nodes[0]!.status?.nodeInfo?.kubeletVersion ?? '';
    // Host namespaces and hostPath need a namespace Pod Security does not restrict.
    await cluster.createNamespace(NAMESPACE, { 'pod-security.kubernetes.io/enforce': 'privileged' });
  });

  after(async () => {
    await cluster?.stop();
  });

  describe('the Nodes folder', () => {
    let model: ExplorerModel | undefined;
    afterEach(() => model?.dispose());

    const explorer = (user: 'admin' | 'debugger'): ExplorerModel => new ExplorerModel({
      contexts: [{ name: cluster.context(user), server: cluster.server, current: true, createApi: () => createClusterApi(cluster.kubeConfig(user), { context: cluster.context(user) }) }],
      backoff: { initialMs: 50, maxMs: 400 },
    });
    const folderOf = async (m: ExplorerModel): Promise<NodeDescriptor> => {
      const root = m.roots()[0]!;
      return until(() => m.children(root).find((n) => n.kind === 'nodes'), () => m.children(root).map((n) => n.label).join(', '));
    };

    it('issue #14 nodes: lists the node with Ready, roles and kubelet version, and watches only while expanded', async () => {
      model = explorer('admin');
      const folder = await folderOf(model);
      assert.equal(folder.label, 'Nodes');
      assert.equal(model.getNode(folder.contextName, nodeName), undefined, 'nothing is listed before the folder is expanded');
      const node = await until(() => model!.children(folder).find((n) => n.kind === 'node' && n.label === nodeName), () => model!.children(folder).map((n) => n.label).join(', '));
      assert.match(node.description ?? '', /^Ready · /);
      assert.ok(kubeletVersion !== '' && node.description!.endsWith(kubeletVersion), node.description);
      assert.match(node.tooltip, /\| Kubelet \|/);
      assert.equal(node.contextValue, 'ephemeralDebug.node.ready');
      assert.equal(node.nodeName, nodeName);
      assert.match(model.nodesFolder(folder.contextName)?.description ?? '', /^\d+ nodes?$/);
      if (onLoopback) assert.match(node.description ?? '', /control-plane/);
      // Collapsing stops the watch and forgets the nodes; expanding again lists afresh.
      model.collapsed(folder);
      assert.equal(model.getNode(folder.contextName, nodeName), undefined);
      assert.equal(model.children(folder)[0]?.label, 'Loading…');
      await until(() => model!.getNode(folder.contextName, nodeName), () => 'the node after expanding again');
    });

    it('issue #14 nodes: without cluster-scope list nodes the folder says "needs list nodes" in one line, and the namespaces still show', async () => {
      model = explorer('debugger');
      const folder = await folderOf(model);
      const [message] = await until(() => {
        const children = model!.children(folder);
        return children[0]?.label !== 'Loading…' ? children : undefined;
      }, () => 'the folder to settle');
      assert.equal(message?.kind, 'message');
      assert.match(message?.label ?? '', /^You may not list nodes \(needs cluster-scope RBAC list on nodes\)$/);
      assert.equal(model.nodesFolder(folder.contextName)?.description, 'needs list nodes');
      assert.equal(model.status(folder.contextName)?.phase, 'ready');
      assert.ok(model.children(model.roots()[0]!).some((n) => n.kind === 'namespace'));
    });

    loopbackOnly.it('issue #14 nodes: a node going NotReady refreshes the folder while it is expanded, and not once it is collapsed', async () => {
      model = explorer('admin');
      const changes: string[] = [];
      model.onDidChange((batch) => changes.push(...batch.map((c) => c.kind)));
      const folder = await folderOf(model);
      await until(() => model!.children(folder).find((n) => n.kind === 'node'), () => 'the node');
      const store = cluster.loopback!.api.store;
      try {
        changes.length = 0;
        store.setNodeReady(nodeName, false);
        await until(() => model!.children(folder).find((n) => n.kind === 'node' && /^NotReady/.test(n.description ?? '')), () => JSON.stringify(model!.children(folder)));
        assert.ok(changes.includes('nodes'));
        assert.match(model.nodesFolder(folder.contextName)?.description ?? '', /1 not ready/);
        changes.length = 0;
        model.collapsed(folder);
        await until(() => changes.includes('nodes') || undefined, () => 'the collapse to be announced (so expanding lists again)');
        changes.length = 0;
        store.setNodeReady(nodeName, true);
        await sleep(300);
        assert.deepEqual(changes.filter((c) => c === 'nodes'), []);
      } finally {
        store.setNodeReady(nodeName, true);
      }
    });
  });

  describe('Debug Node', () => {
    it('issue #14 governance: with allowNodeDebug off nothing is sent to the cluster, and the one-line error says how to enable it', async () => {
      const calls: string[] = [];
      const counting = new Proxy(admin, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver) as unknown;
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            calls.push(String(property));
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
      for (const policy of [undefined, {}, { allowNodeDebug: false }]) {
        await assert.rejects(debugNode(counting, { nodeName, namespace: NAMESPACE, image: IMAGE }, { policy }), (error: unknown) =>
          error instanceof DebugFlowError && error.code === 'spec' && /node debugging is off.*allowNodeDebug/.test(error.message) && !error.message.includes('\n'));
      }
      assert.deepEqual(calls, []);
      assert.deepEqual((await listDebugCopies(admin, { namespace: NAMESPACE })).filter((c) => c.kind === 'node'), []);
    });

    it("issue #14 node: the pod as the API server created it has kubectl's node-debug semantics; Clean Up removes it, and only pods of ours", async () => {
      let created: V1Pod | undefined;
      let result: NodeDebugResult | undefined;
      const run = debugNode(admin, { nodeName, namespace: NAMESPACE, image: IMAGE, profile: 'general', sessionId: 'node-session-1' }, { policy: { allowNodeDebug: true }, waitTimeoutMs: 120_000 }, {
        onCreated: (pod) => {
          created = pod;
          cluster.track(NAMESPACE, pod.metadata!.name!);
        },
      });
      if (onLoopback) {
        // The loopback's kubelet refuses host access with a clear status; the wait ends at once with it.
        await assert.rejects(run, (error: unknown) => error instanceof DebugFlowError && error.code === 'container-config'
          && /container debugger of node debug pod node-debugger-.* cannot start \(CreateContainerConfigError\): the loopback kubelet does not run pods with hostPID, hostNetwork, hostIPC, hostPath \//.test(error.message)
          && !error.message.includes('\n'));
      } else {
        result = await run;
        assert.equal(result.pod.status?.phase, 'Running');
      }
      assert.ok(created !== undefined, 'the pod was created');
      const name = created.metadata!.name!;
      if (result !== undefined) assert.equal(result.podName, name);
      const pod = await admin.readPod(NAMESPACE, name);
      const escaped = nodeName.replace(/[.]/g, '\\.');
      assert.match(name, new RegExp(`^node-debugger-${escaped}-[${DEBUG_CONTAINER_NAME_ALPHABET}]{5}$`));
      assert.equal(pod.spec?.nodeName, nodeName);
      assert.deepEqual([pod.spec?.hostPID, pod.spec?.hostNetwork, pod.spec?.hostIPC], [true, true, true]);
      assert.equal(pod.spec?.restartPolicy, 'Never');
      assert.ok(pod.spec?.tolerations?.some((t) => t.operator === 'Exists' && t.key === undefined && t.effect === undefined), JSON.stringify(pod.spec?.tolerations));
      const hostRoot = pod.spec?.volumes?.find((v) => v.name === 'host-root');
      assert.equal(hostRoot?.hostPath?.path, '/');
      const container = pod.spec!.containers[0]!;
      assert.equal(container.name, 'debugger');
      assert.deepEqual([container.stdin, container.tty], [true, true]);
      assert.ok(container.volumeMounts?.some((m) => m.name === 'host-root' && m.mountPath === '/host'));
      assert.equal(container.env?.find((e) => e.name === 'DEBUG_SESSION_ID')?.value, 'node-session-1');
      assert.equal(pod.metadata?.labels?.[KUBECTL_MANAGED_BY_LABEL], KUBECTL_DEBUG_MANAGER);
      assert.equal(pod.metadata?.labels?.[NODE_DEBUG_LABEL], 'true');
      // The equivalent kubectl command, from the pod as the server holds it (with the pull policy it defaulted).
      assert.equal(kubectlDebugNodeCommand(pod), `kubectl debug 'node/${nodeName}' -it --image='${IMAGE}' --image-pull-policy='IfNotPresent' --profile=general -n '${NAMESPACE}' --env='DEBUG_SESSION_ID=node-session-1'`);

      // A kubectl node debug pod that is not ours carries kubectl's label only: Clean Up neither lists nor deletes it.
      const theirs = `node-debugger-${nodeName}-theirs`.slice(0, 63).replace(/[^a-z0-9]+$/, '');
      await cluster.createPod(NAMESPACE, {
        metadata: { name: theirs, labels: { [KUBECTL_MANAGED_BY_LABEL]: KUBECTL_DEBUG_MANAGER } },
        spec: { restartPolicy: 'Never', containers: [{ name: 'debugger', image: IMAGE, command: ['sleep', '3600'] }] },
      });
      const listed = await listDebugCopies(admin, { namespace: NAMESPACE });
      const ours = listed.find((c) => c.name === name);
      assert.equal(ours?.kind, 'node');
      assert.equal(ours?.origin, `node/${nodeName}`);
      assert.ok(!listed.some((c) => c.name === theirs), 'a pod without our label is not listed');
      const [refused] = await deleteDebugCopies(admin, [{ namespace: NAMESPACE, name: theirs }]);
      assert.equal(refused?.outcome, 'refused');
      assert.match(refused?.message ?? '', /is not a debug pod of ours/);
      const [deleted] = await deleteDebugCopies(admin, [{ namespace: NAMESPACE, name }]);
      assert.equal(deleted?.outcome, 'deleted');
      await waitUntilGone(admin, NAMESPACE, name);
      assert.equal((await admin.readPod(NAMESPACE, theirs)).metadata?.name, theirs, 'their pod is still there');
    });

    it("issue #14 targetfs: the node's filesystem opens only with allowNodeDebug on and only on a container that mounts the node's / at /host", async () => {
      const kc = cluster.kubeConfig('admin');
      await waitForPod(kc, 'demo', 'node-app', isRunning('app'));
      const off = new TargetFileSystem(admin, { context: admin.contextName, namespace: 'demo', pod: 'node-app', container: 'app', root: HOST_ROOT }, { policy: () => ({}) });
      await assert.rejects(off.stat('/'), (error: unknown) => error instanceof TargetFsError && /node debugging is off/.test(error.message));
      const on = new TargetFileSystem(admin, { context: admin.contextName, namespace: 'demo', pod: 'node-app', container: 'app', root: HOST_ROOT }, { policy: () => ({ allowNodeDebug: true }) });
      await assert.rejects(on.stat('/'), (error: unknown) => error instanceof TargetFsError && /does not mount the node's \/ \(a hostPath \/ volume\) at \/host/.test(error.message));
    });

    it("issue #14 targetfs: the root-path variant reads, lists and follows links under /host of the pod's own container (hostPath simulated)", async () => {
      // A hostPath / cannot exist on the loopback, so the pod as read is given one; everything else is real: a
      // busybox container whose /host holds files, the probe and the protocol scripts run there by exec.
      const name = 'fake-node-root';
      await cluster.createPod(NAMESPACE, {
        metadata: { name },
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'debugger', image: IMAGE, command: ['sh', '-c', 'mkdir -p /host/etc /host/usr/lib && printf "ID=fake-node\\n" > /host/usr/lib/os-release && ln -s ../usr/lib/os-release /host/etc/os-release && touch "/host/etc/-odd name" && exec sleep 3600'] }],
        },
      });
      await waitForPod(cluster.kubeConfig('admin'), NAMESPACE, name, isRunning('debugger'));
      const withHostRoot = (pod: V1Pod): V1Pod => ({
        ...pod,
        spec: {
          ...pod.spec!,
          volumes: [...(pod.spec?.volumes ?? []), { name: 'host-root', hostPath: { path: '/' } }],
          containers: pod.spec!.containers.map((c) => ({ ...c, volumeMounts: [...(c.volumeMounts ?? []), { name: 'host-root', mountPath: '/host' }] })),
        },
      });
      const api = new Proxy(admin, {
        get(target, property, receiver) {
          if (property === 'readPod') return async (namespace: string, pod: string) => withHostRoot(await target.readPod(namespace, pod));
          const value = Reflect.get(target, property, receiver) as unknown;
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      const fs = new TargetFileSystem(api, { context: admin.contextName, namespace: NAMESPACE, pod: name, container: 'debugger', root: HOST_ROOT }, { policy: () => ({ allowNodeDebug: true }) });
      assert.equal(Buffer.from(await fs.readFile('/etc/os-release')).toString('utf8'), 'ID=fake-node\n');
      const names = (await fs.readDirectory('/etc')).map(([entry]) => entry).sort();
      assert.deepEqual(names, ['-odd name', 'os-release']);
      assert.equal((await fs.connect()).root, HOST_ROOT);
      // Without the (simulated) hostPath mount the same container is refused.
      const plain = new TargetFileSystem(admin, { context: admin.contextName, namespace: NAMESPACE, pod: name, container: 'debugger', root: HOST_ROOT }, { policy: () => ({ allowNodeDebug: true }) });
      await assert.rejects(plain.stat('/'), (error: unknown) => error instanceof TargetFsError && error.code === 'NoPermissions');
    });

    if (!onLoopback) {
      // Registered only off the loopback (its kubelet refuses host namespaces and hostPath): not a skip.
      it("issue #14 node (real node): the terminal sees the node's processes (the kubelet in ps); the target filesystem reads the node's /etc/os-release at /host; Clean Up removes the pod", async () => {
        const result = await debugNode(admin, { nodeName, namespace: NAMESPACE, image: IMAGE }, { policy: { allowNodeDebug: true }, waitTimeoutMs: 120_000 }, {
          onCreated: (pod) => cluster.track(NAMESPACE, pod.metadata!.name!),
        });
        assert.equal(result.profile, 'general');
        const terminal = new AttachTerminal(admin, { namespace: NAMESPACE, podName: result.podName, containerName: result.containerName });
        let shown = '';
        terminal.onOutput((text) => (shown += text));
        await terminal.open(200, 50);
        terminal.input('ps | grep -c "[k]ubelet"; echo node-$((6*7))\r');
        for (let i = 0; i < 150 && !/node-42/.test(shown); i++) await sleep(100);
        assert.match(shown, /\r?\n[1-9]\d*\r?\n[\s\S]*node-42/, `the kubelet is not among the processes the node debug pod sees: ${shown.slice(-800)}`);
        terminal.close();

        const fs = new TargetFileSystem(admin, { context: admin.contextName, namespace: NAMESPACE, pod: result.podName, container: result.containerName, root: HOST_ROOT }, { policy: () => ({ allowNodeDebug: true }) });
        const osRelease = Buffer.from(await fs.readFile('/etc/os-release')).toString('utf8');
        assert.match(osRelease, /^(ID|NAME|PRETTY_NAME)=/m);
        const entries = (await fs.readDirectory('/')).map(([entry]) => entry);
        for (const expected of ['etc', 'proc', 'usr']) assert.ok(entries.includes(expected), entries.join(', '));

        const [deleted] = await deleteDebugCopies(admin, [{ namespace: NAMESPACE, name: result.podName }]);
        assert.equal(deleted?.outcome, 'deleted');
        await waitUntilGone(admin, NAMESPACE, result.podName);
      });
    }
  });
});

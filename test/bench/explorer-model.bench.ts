/**
 * The explorer model on a big cluster: 5,000 pods in 50 namespaces in the loopback API server without a
 * kubelet (pods stay Pending), read through the real ClusterApi. Measures list → ready → every tree
 * descriptor, heap, and the time one watch event takes to reach a change event; `kubectl get pods -A -o json`
 * on the same server is the peer. Prints a Markdown table. Run: `npx tsx test/bench/explorer-model.bench.ts`.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { ApiServer } from '../cluster/api/server';
import { createClusterApi } from '../../src/cluster/client';
import { ClusterWatcher } from '../../src/explorer/clusterWatcher';
import type { NodeDescriptor } from '../../src/explorer/descriptors';
import { ExplorerModel } from '../../src/explorer/explorerModel';
import { testKubectl } from '../cluster/testCluster';

const run = promisify(execFile);
const NAMESPACES = 50;
const PODS_PER_NAMESPACE = 100;
const EVENTS = 200;
/** The kubectl compared with: the real node's own release when EPHEMERAL_DEBUG_KUBECTL is set. */
const KUBECTL = testKubectl();

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const ms = (value: number) => (value < 1 ? `${(value * 1000).toFixed(1)} µs` : `${value.toFixed(value < 10 ? 2 : 0)} ms`);
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const gc = () => (globalThis as { gc?: () => void }).gc?.();

function demoPod(namespace: string, index: number): V1Pod {
  return {
    metadata: { name: `app-${index}`, namespace, labels: { app: `app-${index % 10}`, tier: 'web' } },
    spec: {
      initContainers: [{ name: 'init', image: 'busybox:1.36', command: ['true'] }],
      containers: [{ name: 'app', image: 'node:22', ports: [{ containerPort: 8080 }], env: [{ name: 'MODE', value: 'bench' }] },
        { name: 'sidecar', image: 'busybox:1.36', command: ['sleep', 'infinity'] }],
    },
  };
}

function allDescriptors(model: ExplorerModel): NodeDescriptor[] {
  const out: NodeDescriptor[] = [];
  const walk = (nodes: NodeDescriptor[]) => {
    for (const node of nodes) {
      out.push(node);
      if (node.collapsible !== 'none') walk(model.children(node));
    }
  };
  walk(model.roots());
  return out;
}

async function main(): Promise<void> {
  const api = new ApiServer({ watchWindow: 20_000 });
  const { url } = await api.start(0);
  const dir = mkdtempSync(join(tmpdir(), 'explorer-bench-'));
  try {
    for (let n = 0; n < NAMESPACES; n++) {
      const namespace = `team-${String(n).padStart(2, '0')}`;
      api.store.createNamespace({ metadata: { name: namespace } });
      for (let p = 0; p < PODS_PER_NAMESPACE; p++) api.store.createPod(demoPod(namespace, p));
    }
    const yaml = api.kubeconfigYaml();
    const kubeconfigPath = join(dir, 'kubeconfig');
    writeFileSync(kubeconfigPath, yaml, { mode: 0o600 });
    const kc = new KubeConfig();
    kc.loadFromString(yaml);

    // Warm-up (TLS, JIT) so the first measured run is not a cold start.
    await createClusterApi(kc).listPods(undefined);

    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    const model = new ExplorerModel({ contexts: [{ name: 'loopback-admin', server: url, current: true, createApi: () => createClusterApi(kc) }] });
    model.watch('loopback-admin');
    while (model.status('loopback-admin')?.phase !== 'ready') await new Promise((resolve) => setTimeout(resolve, 1));
    const ready = performance.now() - started;
    const descriptorsStarted = performance.now();
    const descriptors = allDescriptors(model);
    const descriptorsMs = performance.now() - descriptorsStarted;
    const listToTree = performance.now() - started;
    gc();
    const heapAfter = process.memoryUsage().heapUsed;

    // One watch event: store change → API server → watch stream → model → coalesced change event.
    const eventTimes: number[] = [];
    for (let i = 0; i < EVENTS; i++) {
      const namespace = `team-${String(i % NAMESPACES).padStart(2, '0')}`;
      const name = `app-${i % PODS_PER_NAMESPACE}`;
      const seen = new Promise<void>((resolve) => {
        const off = model.onDidChange((changes) => {
          if (changes.some((c) => c.kind === 'pod' && c.pod === name && c.namespace === namespace)) {
            off();
            resolve();
          }
        });
      });
      const t0 = performance.now();
      api.store.updatePodStatus(namespace, name, (pod) => { pod.status = { ...pod.status, message: `tick ${i}` }; });
      await seen;
      eventTimes.push(performance.now() - t0);
    }
    model.dispose();

    // The model's own share of one event: applying it and rebuilding that pod's descriptors.
    const pods = api.store.listPods();
    const watcher = new ClusterWatcher(() => createClusterApi(kc), {}, { initialMs: 1000, maxMs: 1000 }, () => undefined);
    for (const pod of pods) watcher.applyPodEvent('ADDED', pod);
    const applyTimes: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const pod = pods[i % pods.length]!;
      const t0 = performance.now();
      watcher.applyPodEvent('MODIFIED', pod);
      applyTimes.push(performance.now() - t0);
    }

    const kubectlTimes: number[] = [];
    let kubectlNote = '';
    if (existsSync(KUBECTL)) {
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        await run(KUBECTL, ['--kubeconfig', kubeconfigPath, 'get', 'pods', '-A', '-o', 'json'], { maxBuffer: 512 * 1024 * 1024 });
        kubectlTimes.push(performance.now() - t0);
      }
    } else {
      kubectlNote = 'kubectl not installed';
    }
    const kubectl = kubectlTimes.length ? median(kubectlTimes) : NaN;

    console.log(`${NAMESPACES * PODS_PER_NAMESPACE} pods in ${NAMESPACES} namespaces, ${descriptors.length} tree nodes; Node ${process.version}\n`);
    console.log('| what | figure |');
    console.log('| --- | --- |');
    console.log(`| model: list + watch until ready (namespaces and all pods) | ${ms(ready)} |`);
    console.log(`| model: every tree descriptor (${descriptors.length} nodes) | ${ms(descriptorsMs)} |`);
    console.log(`| model: list → full tree | ${ms(listToTree)} |`);
    console.log(`| heap used by the model${(globalThis as { gc?: unknown }).gc ? '' : ' (no --expose-gc: approximate)'} | ${mib(heapAfter - heapBefore)} |`);
    console.log(`| one watch event → change event, median of ${EVENTS} | ${ms(median(eventTimes))} |`);
    console.log(`| model's own apply of one event, median of 2000 | ${ms(median(applyTimes))} |`);
    console.log(`| peer: \`kubectl get pods -A -o json\`, median of 3 | ${kubectlNote || ms(kubectl)} |`);
    if (!kubectlNote) console.log(`| ratio list → full tree / kubectl | ${(listToTree / kubectl).toFixed(2)}× |`);
  } finally {
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (error: unknown) => {
  console.error(error);
  process.exit(1);
});

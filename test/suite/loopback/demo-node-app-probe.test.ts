/**
 * The demo's node-app answers its readiness probe outside the request handler a user breaks in: once the
 * kubelet has probed it (the pod is Ready), the first request to :8080 is still request number 1, and the
 * workload's probe names a port the handler does not serve.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { Kubelet } from '../../cluster/kubelet/kubelet';
import { MemoryPodStore } from './helpers/memory-pod-store';
import { unavailable } from './helpers/requirePods';

const repoRoot = path.resolve(__dirname, '../../..');

describe('demo node-app: readiness outside the request handler', function () {
  let store: MemoryPodStore;
  let kubelet: Kubelet;
  let nodeApp: V1Pod;

  before(async function () {
    this.timeout(300_000);
    const setup = await import('../../cluster/kubelet/setup-runtime.mjs' as string) as { setupRuntime(o: object): Promise<unknown> };
    await setup.setupRuntime({ quiet: true });
    const docs = parseAllDocuments(fs.readFileSync(path.join(repoRoot, 'test/cluster/demo/workloads.yaml'), 'utf8')).map((d) => d.toJS() as V1Pod & { kind: string });
    nodeApp = docs.find((d) => d.kind === 'Pod' && d.metadata?.name === 'node-app')!;
    store = new MemoryPodStore();
    kubelet = new Kubelet({ store, cacheDir: path.join(repoRoot, '.cache/cluster'), backoffBaseMs: 500 });
    if (kubelet.isolation !== 'namespaces') unavailable(this, `this suite needs real pods, and ${kubelet.isolationReason ?? 'the kubelet has no namespaces here'}`);
    await kubelet.start();
    store.createPod(nodeApp);
  });

  after(async () => {
    await kubelet?.stop();
  });

  it('probes /healthz on a port of its own, not the handler\'s', () => {
    const container = nodeApp.spec!.containers[0]!;
    const probePort = container.readinessProbe?.httpGet?.port;
    const portNumber = typeof probePort === 'string' ? container.ports?.find((p) => p.name === probePort)?.containerPort : probePort;
    assert.equal(container.readinessProbe?.httpGet?.path, '/healthz');
    assert.notEqual(portNumber, 8080, 'the probe must not go through the request handler on :8080');
  });

  it('is Ready (probed) and the first request to :8080 is request 1: no probe went through the handler', async function () {
    this.timeout(60_000);
    await store.waitFor('demo', 'node-app', (p) => p?.status?.containerStatuses?.[0]?.ready === true, 'node-app Ready');
    const socket = await kubelet.portForward('demo', 'node-app', 8080);
    socket.write('GET /first HTTP/1.0\r\nHost: x\r\n\r\n');
    let text = '';
    for await (const chunk of socket) text += (chunk as Buffer).toString();
    const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as { path: string; requests: number };
    assert.equal(body.path, '/first');
    assert.equal(body.requests, 1, `the handler counted ${body.requests} requests before this one's`);
  });
});

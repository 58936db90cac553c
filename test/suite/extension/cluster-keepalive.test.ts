/**
 * Issue 16: API calls share kept-alive connections. client-node 2.x gives every request a connection pool of its
 * own, so each call paid a TCP + TLS handshake and left an idle socket behind; the facade keeps one pool per
 * context. Connections are counted by a relay in front of the test cluster's API server (countingProxy.ts).
 */
import assert from 'node:assert/strict';
import { createClusterApi } from '../../../src/cluster/client';
import { startTestCluster, type TestCluster } from '../../cluster/testCluster';
import { startCountingProxy, type CountingProxy } from './helpers/countingProxy';

describe('cluster client: one kept-alive connection pool per context', function () {
  this.timeout(60_000);
  let cluster: TestCluster;
  let proxy: CountingProxy;

  before(async () => {
    cluster = await startTestCluster();
    proxy = await startCountingProxy(cluster.server);
  });

  after(async () => {
    await proxy?.close();
    await cluster?.stop();
  });

  it('serves a burst of 30 sequential reads, and 10 more at once, over a handful of connections', async () => {
    const api = createClusterApi(proxy.kubeConfig(cluster.kubeConfig()));
    const before = proxy.opened;
    for (let i = 0; i < 30; i++) assert.equal((await api.readNamespace('demo')).metadata?.name, 'demo');
    assert.ok(proxy.opened - before <= 2, `30 sequential reads opened ${proxy.opened - before} connections (one per request without a kept pool)`);
    const afterSequential = proxy.opened;
    await Promise.all(Array.from({ length: 10 }, () => api.readNamespace('demo')));
    assert.ok(proxy.opened - afterSequential <= 10, `10 concurrent reads opened ${proxy.opened - afterSequential} connections`);
    for (let i = 0; i < 10; i++) await api.readNamespace('demo');
    assert.equal(proxy.opened - afterSequential <= 10, true, 'the sequential reads after the concurrent ones reuse the pool');
  });

  it('keeps one pool per facade: a second context opens its own; idle connections close by themselves', async () => {
    const kc = proxy.kubeConfig(cluster.kubeConfig());
    const admin = createClusterApi(kc, { context: cluster.context('admin') });
    const viewer = createClusterApi(kc, { context: cluster.context('viewer') });
    const before = proxy.opened;
    for (let i = 0; i < 5; i++) {
      await admin.readNamespace('demo');
      await viewer.readNamespace('demo');
    }
    assert.ok(proxy.opened - before <= 4, `two contexts, 10 reads: ${proxy.opened - before} connections`);
    // undici's keep-alive timeout (seconds) ends idle connections: kept, not piled up.
    for (let i = 0; i < 300 && proxy.open > 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(proxy.open, 0, 'idle kept connections closed');
  });
});

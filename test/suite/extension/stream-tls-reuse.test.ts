/**
 * Stream upgrades (exec, attach, one per port-forward connection) on the test cluster: every upgrade used to parse
 * the CA and client certificate into a new TLS context. streamOptions keeps one TLS context per KubeConfig and TLS
 * identity: later upgrades use it and resume the TLS session (client-node's agent caches it), no upgrade offers
 * permessage-deflate, and a changed TLS identity gets a context of its own.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import * as k8s from '@kubernetes/client-node';
import WebSocket from 'ws';
import { streamOptions } from '../../../src/cluster/streamSocket';
import { startTestCluster, type TestCluster } from '../../cluster/testCluster';

interface Upgrade {
  readonly sessionReused: boolean;
  readonly offeredExtensions: string | undefined;
}

/** Asks for a port-forward upgrade to a pod that does not exist; the answer (404 or 403) comes over TLS all the same. */
function upgradeAttempt(kc: k8s.KubeConfig, options: WebSocket.ClientOptions): Promise<Upgrade> {
  const server = kc.getCurrentCluster()!.server.replace(/^http/, 'ws');
  const ws = new WebSocket(`${server}/api/v1/namespaces/no-such-namespace/pods/no-such-pod/portforward?ports=80`, ['v4.channel.k8s.io'], options);
  return new Promise((resolve, reject) => {
    const settle = (response: IncomingMessage, request: { getHeader(name: string): unknown; destroy(): void }) => {
      resolve({
        sessionReused: (response.socket as TLSSocket).isSessionReused(),
        offeredExtensions: request.getHeader('sec-websocket-extensions') as string | undefined,
      });
      request.destroy();
    };
    ws.on('unexpected-response', (request, response) => settle(response, request));
    ws.on('upgrade', () => reject(new Error('the upgrade to a missing pod was accepted')));
    ws.on('error', (error) => reject(error));
  });
}

describe('stream upgrades: one kept TLS context per KubeConfig and TLS identity', function () {
  this.timeout(60_000);
  let cluster: TestCluster;

  before(async () => {
    cluster = await startTestCluster({ pullDelayMs: 0 });
  });

  after(async () => {
    await cluster?.stop();
  });

  it('resumes the TLS session on later upgrades and offers no permessage-deflate', async () => {
    const kc = cluster.kubeConfig();
    assert.match(kc.getCurrentCluster()!.server, /^https:/, 'both test clusters serve HTTPS');
    const first = await upgradeAttempt(kc, await streamOptions(kc));
    assert.equal(first.sessionReused, false, 'the first upgrade makes a full handshake');
    assert.equal(first.offeredExtensions, undefined);
    for (let i = 0; i < 3; i++) {
      const later = await upgradeAttempt(kc, await streamOptions(kc));
      assert.equal(later.sessionReused, true, `upgrade ${i + 2} resumes the first TLS session`);
      assert.equal(later.offeredExtensions, undefined);
    }
  });

  it('keeps one TLS context while the TLS identity stays, and builds another once it changes', async () => {
    const kc = cluster.kubeConfig();
    const first = await streamOptions(kc);
    const again = await streamOptions(kc);
    assert.ok(first.secureContext !== undefined);
    assert.equal(again.secureContext, first.secureContext);
    // Another TLS identity (here: verification turned off) gets a TLS context of its own.
    kc.loadFromOptions({
      clusters: kc.clusters.map((c) => ({ ...c, skipTLSVerify: true })),
      users: kc.users,
      contexts: kc.contexts,
      currentContext: kc.currentContext,
    });
    const changed = await streamOptions(kc);
    assert.notEqual(changed.secureContext, first.secureContext);
    assert.equal(await streamOptions(kc).then((o) => o.secureContext), changed.secureContext);
  });
});

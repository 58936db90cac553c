/**
 * Who the journal says ran a session: the API server's own SelfSubjectReview answer for each loopback user,
 * and the kubeconfig user when the server has no answer or the call fails.
 */
import assert from 'node:assert/strict';
import { KubeConfig } from '@kubernetes/client-node';
import { LoopbackCluster } from '../../cluster/cluster';
import { createClusterApi } from '../../../src/cluster/client';
import { ClusterError, type ClusterApi } from '../../../src/cluster/clusterApi';
import { resolveIdentity, UNKNOWN_USER } from '../../../src/session';

describe('session identity', function () {
  this.timeout(60_000);
  let cluster: LoopbackCluster;
  let kc: KubeConfig;

  before(async () => {
    // No pods are needed: only the API server answers here.
    cluster = await LoopbackCluster.start({});
    kc = new KubeConfig();
    kc.loadFromString(cluster.kubeconfigYaml());
  });

  after(async () => {
    await cluster?.stop();
  });

  for (const [context, username, group] of [
    ['loopback-admin', 'admin', 'system:masters'],
    ['loopback-debugger', 'debugger', 'loopback:debuggers'],
    ['loopback-viewer', 'viewer', 'loopback:viewers'],
  ] as const) {
    it(`takes ${context}'s identity from the server's SelfSubjectReview`, async () => {
      const api = createClusterApi(kc, { context });
      // A kubeconfig name the server does not know, so the test shows which source was used.
      const identity = await resolveIdentity(api, 'name-in-kubeconfig');
      assert.equal(identity.source, 'SelfSubjectReview');
      assert.equal(identity.username, username);
      assert.equal(identity.uid, `loopback-${username}`);
      assert.ok(identity.groups.includes(group), identity.groups.join(','));
      assert.ok(identity.groups.includes('system:authenticated'));
      assert.equal(identity.fallbackReason, undefined);
      const tokens = Object.values(cluster.api.tokens);
      assert.ok(!tokens.some((t) => JSON.stringify(identity).includes(t)), 'no token in the identity');
    });
  }

  it('falls back to the kubeconfig user when the server has no SelfSubjectReview', async () => {
    const real = createClusterApi(kc, { context: 'loopback-debugger' });
    const oldServer: Pick<ClusterApi, 'whoAmI'> = { whoAmI: async () => undefined };
    const identity = await resolveIdentity(oldServer, 'debugger-from-kubeconfig');
    assert.deepEqual({ ...identity, fallbackReason: undefined }, { username: 'debugger-from-kubeconfig', groups: [], source: 'kubeconfig', fallbackReason: undefined });
    assert.match(identity.fallbackReason ?? '', /does not offer SelfSubjectReview/);
    // The real facade still answers for the same user: the stand-in only removes the API.
    assert.equal((await real.whoAmI())?.username, 'debugger');
    assert.equal((await resolveIdentity(oldServer, undefined)).username, UNKNOWN_USER);
  });

  it('falls back, keeping why, when SelfSubjectReview fails, and never records credentials', async () => {
    // A real failure from the real server: a token it does not accept.
    const badKc = new KubeConfig();
    badKc.loadFromString(cluster.kubeconfigYaml());
    const user = badKc.users.find((u) => u.name === 'viewer')!;
    (user as { token?: string }).token = 'not-a-valid-token-0123456789';
    const rejected = createClusterApi(badKc, { context: 'loopback-viewer' });
    const identity = await resolveIdentity(rejected, 'viewer');
    assert.equal(identity.source, 'kubeconfig');
    assert.equal(identity.username, 'viewer');
    assert.match(identity.fallbackReason ?? '', /^SelfSubjectReview failed: /);
    assert.doesNotMatch(JSON.stringify(identity), /not-a-valid-token/);

    const leaky: Pick<ClusterApi, 'whoAmI'> = {
      whoAmI: async () => { throw new ClusterError('request failed\nAuthorization: Bearer abc.def.ghi token=s3cr3t', 0, 'ECONNRESET'); },
    };
    const masked = await resolveIdentity(leaky, 'me');
    assert.equal(masked.fallbackReason?.includes('\n'), false, 'one line');
    assert.doesNotMatch(masked.fallbackReason ?? '', /abc\.def\.ghi|s3cr3t/);
  });
});

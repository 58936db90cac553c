/**
 * Who the journal says ran a session: the API server's own SelfSubjectReview answer for each test cluster user
 * (compared with the review client-node makes directly), and the kubeconfig user when the server has no answer
 * or the call fails.
 */
import assert from 'node:assert/strict';
import { AuthenticationV1Api, type KubeConfig, type V1UserInfo } from '@kubernetes/client-node';
import { startTestCluster, type TestCluster, type TestUser } from '../../cluster/testCluster';
import { createClusterApi } from '../../../src/cluster/client';
import { ClusterError, type ClusterApi } from '../../../src/cluster/clusterApi';
import { resolveIdentity, UNKNOWN_USER } from '../../../src/session';
import { withCredentials } from './helpers/kubeconfigs';

/** The server's own answer, asked by client-node directly rather than through the facade under test. */
async function serverUserInfo(kc: KubeConfig): Promise<V1UserInfo> {
  const review = await kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
  return review.status!.userInfo!;
}

describe('session identity', function () {
  this.timeout(60_000);
  let cluster: TestCluster;
  let kc: KubeConfig;

  before(async () => {
    // No pods are needed: only the API server answers here.
    cluster = await startTestCluster({ demo: false });
    kc = cluster.kubeConfig();
  });

  after(async () => {
    await cluster?.stop();
  });

  for (const user of ['admin', 'debugger', 'viewer'] as const satisfies readonly TestUser[]) {
    it(`takes the ${user} context's identity from the server's SelfSubjectReview`, async () => {
      const api = createClusterApi(kc, { context: cluster.context(user) });
      // A kubeconfig name the server does not know, so the test shows which source was used.
      const identity = await resolveIdentity(api, 'name-in-kubeconfig');
      const server = await serverUserInfo(cluster.kubeConfig(user));
      assert.equal(identity.source, 'SelfSubjectReview');
      assert.ok(server.username, 'the server names the user');
      assert.equal(identity.username, server.username);
      assert.equal(identity.uid, server.uid);
      assert.deepEqual(identity.groups, server.groups);
      assert.ok(identity.groups.includes('system:authenticated'));
      assert.equal(identity.fallbackReason, undefined);
      assert.ok(!cluster.credentials().some((c) => JSON.stringify(identity).includes(c)), 'no credential in the identity');
    });
  }

  it('tells the three users apart', async () => {
    const names = await Promise.all((['admin', 'debugger', 'viewer'] as const).map(async (user) => (await resolveIdentity(createClusterApi(kc, { context: cluster.context(user) }), 'x')).username));
    assert.equal(new Set(names).size, 3, names.join(', '));
  });

  it('falls back to the kubeconfig user when the server has no SelfSubjectReview', async () => {
    const real = createClusterApi(kc, { context: cluster.context('debugger') });
    const debuggerName = (await serverUserInfo(cluster.kubeConfig('debugger'))).username;
    const oldServer: Pick<ClusterApi, 'whoAmI'> = { whoAmI: async () => undefined };
    const identity = await resolveIdentity(oldServer, 'debugger-from-kubeconfig');
    assert.deepEqual({ ...identity, fallbackReason: undefined }, { username: 'debugger-from-kubeconfig', groups: [], source: 'kubeconfig', fallbackReason: undefined });
    assert.match(identity.fallbackReason ?? '', /does not offer SelfSubjectReview/);
    // The real facade still answers for the same user: the stand-in only removes the API.
    assert.equal((await real.whoAmI())?.username, debuggerName);
    assert.equal((await resolveIdentity(oldServer, undefined)).username, UNKNOWN_USER);
  });

  it('falls back, keeping why, when SelfSubjectReview fails, and never records credentials', async () => {
    // A real failure from the real server: a token it does not accept.
    const rejected = createClusterApi(withCredentials(cluster.kubeConfig('viewer'), { token: 'not-a-valid-token-0123456789' }));
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

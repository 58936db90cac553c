/**
 * Security #12.6 and #12.7: a long session time limit does not stop the container at once, and a
 * port-forward whose user may get but not watch pods does not call the API server in a loop. The loopback
 * cluster has no user allowed get but not watch, so a stand-in ClusterApi answers here (like such RBAC would:
 * watch 403, get 200), and counts the calls.
 */
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { ClusterError, type ClusterApi } from '../../../src/cluster/clusterApi';
import { enforceTimeLimit } from '../../../src/debug/sessionTimeLimit';
import { startPortForward } from '../../../src/launch/portForward';

const runningPod: V1Pod = { metadata: { name: 'web', namespace: 'shop', resourceVersion: '7' }, spec: { containers: [{ name: 'app', image: 'app:1' }] }, status: { phase: 'Running' } };

/** A macrotask later, as a real HTTP answer comes (so a tight retry loop cannot starve the test's timers). */
const later = <T>(produce: () => T): Promise<Awaited<T>> => new Promise((resolve, reject) => setImmediate(() => {
  try {
    resolve(produce() as Awaited<T>);
  } catch (error) {
    reject(error);
  }
}));

describe('security #12.6 and #12.7: timers and retry loops', () => {
  it('security #12.6: a deadline more than 24.8 days away does not stop the container at once', async () => {
    const calls: string[] = [];
    const api = {
      readPod: async () => {
        calls.push('readPod');
        return runningPod;
      },
    } as unknown as ClusterApi;
    const abort = new AbortController();
    const limit = { namespace: 'shop', pod: 'web', container: 'debugger-abcde', deadline: new Date(Date.now() + 30 * 24 * 3_600_000) };
    const outcome = enforceTimeLimit(api, limit, { warningMs: 0, signal: abort.signal });
    // Let a timer that fired at once (the overflow) run its course before cancelling.
    await new Promise((resolve) => setTimeout(resolve, 50));
    abort.abort();
    assert.equal(await outcome, 'cancelled');
    assert.deepEqual(calls, [], 'the pod was not read, so nothing was stopped');
  });

  it('security #12.6: with a warning time, neither the warning nor the stop come early', async () => {
    const warnings: number[] = [];
    const api = { readPod: async () => assert.fail('read the pod before the deadline') } as unknown as ClusterApi;
    const abort = new AbortController();
    const limit = { namespace: 'shop', pod: 'web', container: 'debugger-abcde', deadline: new Date(Date.now() + 40 * 24 * 3_600_000) };
    const outcome = enforceTimeLimit(api, limit, { warningMs: 5 * 60_000, onWarning: (_c, left) => warnings.push(left), signal: abort.signal });
    await new Promise((resolve) => setTimeout(resolve, 50));
    abort.abort();
    assert.equal(await outcome, 'cancelled');
    assert.deepEqual(warnings, []);
  });

  it('security #12.7: when watching pods is forbidden but get works, the forward reads the pod slowly instead of looping', async () => {
    let watches = 0;
    let reads = 0;
    const api = {
      readPod: () => later(() => {
        reads++;
        return runningPod;
      }),
      watchPods: () => later(() => {
        watches++;
        throw new ClusterError('pods is forbidden: User "viewer" cannot watch resource "pods"', 403, 'Forbidden');
      }),
      portForward: async () => assert.fail('no connection was made'),
    } as unknown as ClusterApi;
    const forward = await startPortForward(api, { namespace: 'shop', pod: 'web', remotePort: 8080, localPort: 0 });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(watches, 1, `watch was tried ${watches} times`);
      assert.ok(reads <= 2, `the pod was read ${reads} times`);
      assert.equal(forward.isEnded, false, 'the forward keeps running');
    } finally {
      await forward.stop();
    }
  });

  it('security #12.7: a watch that keeps failing for other reasons is retried after growing pauses', async () => {
    let watches = 0;
    const api = {
      readPod: () => later(() => runningPod),
      watchPods: () => later(() => {
        watches++;
        throw new ClusterError('the server is currently unable to handle the request', 503, 'ServiceUnavailable');
      }),
      portForward: async () => assert.fail('no connection was made'),
    } as unknown as ClusterApi;
    const forward = await startPortForward(api, { namespace: 'shop', pod: 'web', remotePort: 8080, localPort: 0 });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(watches, 1, `watch was tried ${watches} times`);
    } finally {
      await forward.stop();
    }
  });
});

/**
 * Capture conditions judged from pod status as the API server reports it: restarts after arming (not before),
 * OOMKilled, CrashLoopBackOff, and readiness failing for N seconds in a row (the clock injected).
 */
import assert from 'node:assert/strict';
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { captureBaseline, evaluateCondition } from '../../../src/capture/conditions';

function pod(statuses: Partial<V1ContainerStatus>[], ready = true): V1Pod {
  return {
    metadata: { name: 'web', uid: 'u1' },
    status: {
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: statuses.map((s) => ({ name: 'app', image: 'x', imageID: '', ready, restartCount: 0, ...s }) as V1ContainerStatus),
    },
  };
}

describe('capture conditions', () => {
  it('restart: only restarts after arming count, with the last exit in the reason', () => {
    const armed = pod([{ restartCount: 2 }]);
    const baseline = captureBaseline(armed);
    assert.deepEqual(baseline, { podUid: 'u1', restartCounts: { app: 2 } });
    assert.equal(evaluateCondition({ kind: 'restart' }, armed, baseline, undefined, 0, undefined).fired, false);
    const verdict = evaluateCondition({ kind: 'restart' }, pod([{ restartCount: 3, lastState: { terminated: { exitCode: 3, reason: 'Error' } } }]), baseline, undefined, 0, undefined);
    assert.deepEqual(verdict, { fired: true, reason: 'app restarted (restart count 2 → 3; last exit 3 (Error))' });
  });

  it('restart: a rule on one container ignores the others', () => {
    const two = (a: number, b: number) => pod([{ name: 'app', restartCount: a }, { name: 'sidecar', restartCount: b }]);
    const baseline = captureBaseline(two(0, 0));
    assert.equal(evaluateCondition({ kind: 'restart' }, two(0, 1), baseline, 'app', 0, undefined).fired, false);
    assert.equal(evaluateCondition({ kind: 'restart' }, two(0, 1), baseline, undefined, 0, undefined).fired, true);
  });

  it('oomKilled: a kill since arming, not an old one', () => {
    const old = pod([{ restartCount: 1, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }]);
    const baseline = captureBaseline(old);
    assert.equal(evaluateCondition({ kind: 'oomKilled' }, old, baseline, undefined, 0, undefined).fired, false);
    const again = pod([{ restartCount: 2, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }]);
    assert.deepEqual(evaluateCondition({ kind: 'oomKilled' }, again, baseline, undefined, 0, undefined), { fired: true, reason: 'app was OOMKilled' });
    const now = pod([{ restartCount: 1, state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }]);
    assert.equal(evaluateCondition({ kind: 'oomKilled' }, now, baseline, undefined, 0, undefined).fired, true);
  });

  it('crashLoopBackOff: a container waiting in it', () => {
    const baseline = captureBaseline(pod([{}]));
    assert.equal(evaluateCondition({ kind: 'crashLoopBackOff' }, pod([{ state: { waiting: { reason: 'ContainerCreating' } } }]), baseline, undefined, 0, undefined).fired, false);
    assert.equal(evaluateCondition({ kind: 'crashLoopBackOff' }, pod([{ state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1 } } }]), baseline, undefined, 0, undefined).fired, true);
  });

  it('notReady: fires only after N seconds not Ready in a row; Ready in between starts over', () => {
    const condition = { kind: 'notReady', seconds: 30 } as const;
    const baseline = captureBaseline(pod([{}]));
    const first = evaluateCondition(condition, pod([{}], false), baseline, undefined, 1_000, undefined);
    assert.deepEqual(first, { fired: false, notReadySince: 1_000, checkAgainAt: 31_000 });
    assert.equal(evaluateCondition(condition, pod([{}], false), baseline, undefined, 30_999, 1_000).fired, false);
    assert.equal(evaluateCondition(condition, pod([{}], true), baseline, undefined, 20_000, 1_000).fired, false);
    assert.deepEqual(evaluateCondition(condition, pod([{}], true), baseline, undefined, 20_000, 1_000), { fired: false });
    assert.deepEqual(evaluateCondition(condition, pod([{}], false), baseline, undefined, 31_000, 1_000), { fired: true, reason: 'the pod not Ready for 30 s' });
  });
});

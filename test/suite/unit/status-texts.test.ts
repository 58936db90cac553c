/**
 * Small texts a user reads first: a container ended by a signal (Stop Debug Container) says "stopped", not
 * "terminated: Error (137)"; a log channel closed at shutdown does not turn a request's log line into an error.
 */
import assert from 'node:assert/strict';
import { shutdownSafeLogger } from '../../../src/cluster/requestLog';
import { describeContainerState } from '../../../src/explorer/podStatus';

const terminated = (exitCode: number, reason?: string) => ({ name: 'debugger-a', image: 'busybox', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode, ...(reason !== undefined ? { reason } : {}) } } });

describe('status texts', () => {
  it('a container ended by SIGKILL or SIGTERM reads "stopped"; other ends keep reason and code', () => {
    assert.equal(describeContainerState(terminated(137, 'Error')).text, 'stopped (SIGKILL)');
    assert.equal(describeContainerState(terminated(143)).text, 'stopped (SIGTERM)');
    assert.equal(describeContainerState(terminated(137, 'OOMKilled')).text, 'terminated: OOMKilled (137)');
    assert.equal(describeContainerState(terminated(1, 'Error')).text, 'terminated: Error (1)');
    assert.equal(describeContainerState(terminated(0, 'Completed')).text, 'terminated: Completed (0)');
  });

  it('drops a log line the closed channel refuses instead of throwing', () => {
    const lines: string[] = [];
    let closed = false;
    const channel = { debug: (m: string) => { if (closed) throw new Error('Channel has been closed'); lines.push(m); }, info: () => undefined, warn: () => undefined, error: () => undefined };
    const logger = shutdownSafeLogger(channel);
    logger.debug('GET /api 200 1ms');
    closed = true;
    assert.doesNotThrow(() => logger.debug('GET /api 200 2ms'));
    assert.deepEqual(lines, ['GET /api 200 1ms']);
  });
});

/** Security #12 (attach): the attach terminal says, as kubectl 1.34+ does, that the session stays in the container's log. */
import assert from 'node:assert/strict';
import type { ClusterApi } from '../../../src/cluster/clusterApi';
import { AttachTerminal } from '../../../src/terminal/attachTerminal';
import { ExecTerminal } from '../../../src/terminal/execTerminal';

const strip = (text: string): string => text.replace(/\x1b\[[0-9;]*m/g, '');

describe('security #12: the attach terminal banner', () => {
  const target = { namespace: 'demo', podName: 'node-app', containerName: 'debugger-abcde', image: 'busybox:1.36', profile: 'general', targetContainer: 'app' };

  it('security #12 attach log: the attach banner says input and output stay in the container\'s log', () => {
    const lines = strip(new AttachTerminal({} as ClusterApi, target).banner()).split('\r\n');
    assert.equal(lines[0], 'Attached to demo/node-app · container debugger-abcde · image busybox:1.36 · profile general · target app');
    assert.match(lines[1] ?? '', /^Everything typed and printed in this session stays in the container's log \(kubectl logs\), passwords and other secrets included, until the pod is deleted\.$/);
  });

  it('security #12 attach log: an exec shell (not written to the container log) does not say so', () => {
    assert.doesNotMatch(strip(new ExecTerminal({} as ClusterApi, target).banner()), /container's log/);
  });
});

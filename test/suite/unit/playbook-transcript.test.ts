import assert from 'node:assert/strict';
import { BUILT_IN_PLAYBOOKS } from '../../../src/playbooks/catalog';
import { artifactKindFor, renderPlaybookTranscript } from '../../../src/playbooks/transcript';

describe('playbooks: transcript', () => {
  const playbook = BUILT_IN_PLAYBOOKS.find((p) => p.id === 'node-heap')!;
  it('renders each step with its status and output, safe against backticks, input names only', () => {
    const text = renderPlaybookTranscript(playbook, { namespace: 'demo', pod: 'web', inputs: { password: 'hunter2' } }, {
      playbookId: 'node-heap', containerName: 'debugger-abcde', targetPid: 7, targetNote: 'the only process', ok: false,
      steps: [
        { title: 'Handles', status: 'ok', exitCode: 0, output: 'uses ``` fences\n', truncated: false, artifacts: [] },
        { title: 'Snapshot', status: 'failed', exitCode: 3, output: '', truncated: true, artifacts: [{ name: 'heap.heapsnapshot', size: 10 }] },
      ],
    }, new Date('2026-11-21T12:00:00Z'));
    assert.match(text, /^# /);
    assert.match(text, /## 1\. Handles\n\nStatus: \*\*ok\*\* \(exit 0\)/);
    assert.match(text, /\n````\nuses ``` fences\n````\n/, 'a fence longer than any backticks inside');
    assert.match(text, /Status: \*\*failed\*\* \(exit 3\), output truncated/);
    assert.match(text, /Artifact: `heap\.heapsnapshot` \(10 bytes\)/);
    assert.match(text, /Inputs: `password`/);
    assert.doesNotMatch(text, /hunter2/, 'input values are not written');
  });

  it('files heap snapshots and thread dumps under their kinds', () => {
    assert.equal(artifactKindFor(playbook, 'node-1.heapsnapshot'), 'heap-dump');
    assert.equal(artifactKindFor(BUILT_IN_PLAYBOOKS.find((p) => p.id === 'jvm-threads')!, 'dump.txt'), 'thread-dump');
    assert.equal(artifactKindFor(BUILT_IN_PLAYBOOKS.find((p) => p.id === 'memory')!, 'smaps.txt'), 'other');
  });
});

/** kubectl's STATUS column, READY and RESTARTS for the pod shapes users meet, and the descriptors built on them. */
import assert from 'node:assert/strict';
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { containerNodes, md, podNode } from '../../../src/explorer/descriptors';
import { summarizePod } from '../../../src/explorer/podStatus';

function pod(phase: string, statuses: Partial<V1ContainerStatus>[], extra: Partial<V1Pod> = {}, init: Partial<V1ContainerStatus>[] = []): V1Pod {
  return {
    metadata: { name: 'p', namespace: 'ns', ...extra.metadata },
    spec: { containers: statuses.map((s, i) => ({ name: s.name ?? `c${i}`, image: 'img' })), initContainers: init.map((s, i) => ({ name: s.name ?? `i${i}`, image: 'img' })), ...extra.spec },
    status: {
      phase,
      containerStatuses: statuses.map((s, i) => ({ name: `c${i}`, image: 'img', imageID: '', ready: false, restartCount: 0, ...s })),
      initContainerStatuses: init.map((s, i) => ({ name: `i${i}`, image: 'img', imageID: '', ready: false, restartCount: 0, ...s })),
      ...extra.status,
    },
  };
}

describe('explorer pod status (kubectl STATUS column)', () => {
  const cases: [string, V1Pod, string, string][] = [
    ['running', pod('Running', [{ ready: true, state: { running: {} } }], { status: { conditions: [{ type: 'Ready', status: 'True' }] } }), 'Running', 'ok'],
    ['pending', pod('Pending', []), 'Pending', 'pending'],
    ['creating', pod('Pending', [{ state: { waiting: { reason: 'ContainerCreating' } } }]), 'ContainerCreating', 'pending'],
    ['crashloop', pod('Running', [{ restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } } }]), 'CrashLoopBackOff', 'crashing'],
    ['pull', pod('Pending', [{ state: { waiting: { reason: 'ImagePullBackOff' } } }]), 'ImagePullBackOff', 'crashing'],
    ['completed', pod('Succeeded', [{ state: { terminated: { exitCode: 0, reason: 'Completed' } } }]), 'Completed', 'completed'],
    ['error', pod('Failed', [{ state: { terminated: { exitCode: 1, reason: 'Error' } } }]), 'Error', 'crashing'],
    ['exit code', pod('Failed', [{ state: { terminated: { exitCode: 3 } } }]), 'ExitCode:3', 'crashing'],
    ['init', pod('Pending', [{}], {}, [{ state: { running: {} } }]), 'Init:0/1', 'pending'],
    ['init crash', pod('Pending', [{}], {}, [{ state: { waiting: { reason: 'CrashLoopBackOff' } } }]), 'Init:CrashLoopBackOff', 'crashing'],
    ['unready', pod('Running', [{ ready: false, state: { running: {} } }]), 'Running', 'unready'],
    ['terminating', pod('Running', [{ ready: true, state: { running: {} } }], { metadata: { name: 'p', namespace: 'ns', deletionTimestamp: new Date() } }), 'Terminating', 'terminating'],
  ];
  for (const [title, input, status, health] of cases) {
    it(`${title}: ${status}`, () => {
      const summary = summarizePod(input);
      assert.equal(summary.status, status);
      assert.equal(summary.health, health);
    });
  }

  it('counts ready containers and restarts', () => {
    const summary = summarizePod(pod('Running', [{ ready: true, restartCount: 2, state: { running: {} } }, { ready: false, restartCount: 1, state: { running: {} } }]));
    assert.deepEqual([summary.ready, summary.total, summary.restarts], [1, 2, 3]);
  });

  it('marks crashing and unready pods for Debug and describes containers of each kind', () => {
    const crashing = podNode('ctx', pod('Running', [{ restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } } }]));
    assert.equal(crashing.contextValue, 'ephemeralDebug.pod.debuggable.troubled');
    assert.equal(crashing.description, 'CrashLoopBackOff · 0/1 · 4 restarts');
    assert.equal(podNode('ctx', pod('Running', [{ state: { running: {} } }])).contextValue, 'ephemeralDebug.pod.debuggable.troubled');
    const withDebug = pod('Running', [{ ready: true, state: { running: {} } }], {}, [{ state: { terminated: { exitCode: 0, reason: 'Completed' } } }]);
    withDebug.spec!.ephemeralContainers = [{ name: 'debugger-x', image: 'busybox', targetContainerName: 'c0' }];
    withDebug.status!.ephemeralContainerStatuses = [{ name: 'debugger-x', image: 'busybox', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: 'no such image' } } }];
    const nodes = containerNodes('ctx', withDebug);
    assert.deepEqual(nodes.map((n) => n.contextValue), ['ephemeralDebug.container.init.started', 'ephemeralDebug.container.regular.running.started.targetable', 'ephemeralDebug.container.ephemeral.hasTarget']);
    assert.equal(nodes[2]!.description, 'ephemeral · busybox · → c0 · waiting: ImagePullBackOff');
    assert.equal(nodes[2]!.id, 'container:ctx/ns/p/ephemeral/debugger-x');
    assert.match(nodes[2]!.tooltip, /no such image/);
  });

  it('escapes Markdown in names', () => {
    assert.equal(md('a_b*[c]'), 'a\\_b\\*\\[c\\]');
  });
});

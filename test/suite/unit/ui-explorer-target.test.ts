import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { ClusterError } from '../../../src/cluster/clusterApi';
import { DebugFlowError } from '../../../src/debug/debugFlowError';
import { DebugSpecError } from '../../../src/debug/errors';
import { clusterExplorerFromBrokerAnswer, resolveClusterExplorerPod } from '../../../src/ui/pure/clusterExplorerTarget';
import { clusterContextValue, containerContextValue, podContextValue } from '../../../src/explorer/contextValues';
import { isCancellation, presentError } from '../../../src/ui/pure/errorText';

describe('ui: Cluster Explorer targets', () => {
  it('reads a pod node resolved by the clusterexplorer v1 API', () => {
    const node = { nodeType: 'resource', resourceKind: { manifestKind: 'Pod', abbreviation: 'pod' }, name: 'web-1', namespace: 'shop', metadata: {} };
    assert.deepEqual(resolveClusterExplorerPod(node), { value: { pod: 'web-1', namespace: 'shop' } });
    assert.deepEqual(resolveClusterExplorerPod({ ...node, namespace: null }), { value: { pod: 'web-1' } });
  });

  it('reads the raw tree node by shape when the API is unavailable', () => {
    assert.deepEqual(resolveClusterExplorerPod({ nodeType: 'resource', kind: { manifestKind: 'Pod', abbreviation: 'pod' }, kindName: 'pod/web-2', namespace: 'shop' }), {
      value: { pod: 'web-2', namespace: 'shop' },
    });
    assert.deepEqual(resolveClusterExplorerPod({ kind: { abbreviation: 'po' }, metadata: { name: 'web-3', namespace: 'x' } }), { value: { pod: 'web-3', namespace: 'x' } });
  });

  it('refuses what is not a pod with a line saying what to click', () => {
    assert.match((resolveClusterExplorerPod({ nodeType: 'context', name: 'kind' }) as { error: string }).error, /is a context, not a pod/);
    assert.match((resolveClusterExplorerPod({ nodeType: 'resource', resourceKind: { manifestKind: 'Deployment', abbreviation: 'deployment' }, name: 'web' }) as { error: string }).error, /a Deployment, not a pod/);
    assert.match((resolveClusterExplorerPod(undefined) as { error: string }).error, /did not pass a node/);
  });

  it('accepts only an available API from the broker', () => {
    const api = { resolveCommandTarget: () => undefined };
    assert.equal(clusterExplorerFromBrokerAnswer({ available: true, api }), api);
    assert.equal(clusterExplorerFromBrokerAnswer({ available: false, reason: 'version-unknown' }), undefined);
    assert.equal(clusterExplorerFromBrokerAnswer(undefined), undefined);
  });
});

describe('ui: context values', () => {
  const pod: V1Pod = {
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      initContainers: [{ name: 'init' }, { name: 'logs', restartPolicy: 'Always' }],
      containers: [{ name: 'app' }],
      ephemeralContainers: [{ name: 'debugger-abcde', image: 'busybox', targetContainerName: 'app' }, { name: 'plain', image: 'busybox' }],
    },
    status: {
      phase: 'Running',
      initContainerStatuses: [{ name: 'init', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0 } } }],
      containerStatuses: [{ name: 'app', image: '', imageID: '', ready: true, restartCount: 0, state: { running: {} } }],
      ephemeralContainerStatuses: [
        { name: 'debugger-abcde', image: '', imageID: '', ready: false, restartCount: 0, state: { running: {} } },
        { name: 'plain', image: '', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff' } } },
      ],
    },
  };
  // The menus' regular expressions, as in package.json.
  const shellInTargetRoot = /^ephemeralDebug\.container\b.*\.ephemeral\b.*\.running\b.*\.hasTarget\b/;
  const attach = /^ephemeralDebug\.(pod\b.*\.debuggable|container\b.*\.targetable)\b/;
  const inlineDebug = /^ephemeralDebug\.pod\b.*\.troubled\b/;

  it('flags containers for their menus', () => {
    assert.equal(containerContextValue(pod, 'ephemeral', 'debugger-abcde'), 'ephemeralDebug.container.ephemeral.running.started.hasTarget');
    assert.match(containerContextValue(pod, 'ephemeral', 'debugger-abcde'), shellInTargetRoot);
    assert.equal(containerContextValue(pod, 'ephemeral', 'plain'), 'ephemeralDebug.container.ephemeral');
    assert.match(containerContextValue(pod, 'regular', 'app'), attach);
    assert.match(containerContextValue(pod, 'init', 'logs'), attach);
    assert.doesNotMatch(containerContextValue(pod, 'init', 'init'), attach);
    assert.equal(containerContextValue(pod, 'init', 'init'), 'ephemeralDebug.container.init.started');
  });

  it('offers Debug on troubled pods (a finished one too: its action is a copy) and marks debug copies', () => {
    assert.match(podContextValue(pod, true), inlineDebug);
    assert.doesNotMatch(podContextValue(pod, false), inlineDebug);
    assert.match(podContextValue(pod, false), attach);
    const finished: V1Pod = { ...pod, status: { phase: 'Failed' } };
    assert.equal(podContextValue(finished, true), 'ephemeralDebug.pod.troubled', 'no Attach on a finished pod, but the Debug quick action (a copy)');
    assert.doesNotMatch(podContextValue(finished, true), attach);
    const copy: V1Pod = { ...pod, metadata: { ...pod.metadata, labels: { 'ephemeral-debug.io/copy': 'true' } } };
    assert.equal(podContextValue(copy, false), 'ephemeralDebug.pod.debuggable.copy');
    assert.equal(clusterContextValue({ active: true, error: false }), 'ephemeralDebug.cluster.active');
    assert.doesNotMatch(clusterContextValue({ active: true, error: false }), /^ephemeralDebug\.cluster\b(?!.*\.active\b)/);
  });
});

describe('ui: error presentation', () => {
  it('shows one line, and Show Details shows the API server\'s Status itself', () => {
    const status = { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', code: 403, message: 'pods "web" is forbidden' };
    const presented = presentError(new ClusterError('cannot patch pods/ephemeralcontainers in shop: ask for the debugger role', 403, 'Forbidden', status), 'Attach to shop/web');
    assert.equal(presented.message, 'Attach to shop/web: cannot patch pods/ephemeralcontainers in shop: ask for the debugger role');
    assert.equal(presented.detailsLanguage, 'yaml');
    assert.deepEqual(parseYaml(presented.details ?? ''), status, 'the document is the Status, field for field');
    assert.doesNotMatch(presented.details ?? '', /ask for the debugger role/, 'not our message');
  });

  it('finds a Status in a wrapped cause; our own detail lines follow only as comments', () => {
    const cause = new ClusterError('x', 422, 'Invalid', { kind: 'Status', code: 422 });
    const error = new DebugFlowError('invalid', 'the API server rejected the container\nsecond line', undefined, ['runAsNonRoot must be true'], cause);
    const presented = presentError(error);
    assert.equal(presented.message, 'the API server rejected the container');
    assert.deepEqual(parseYaml(presented.details ?? ''), { kind: 'Status', code: 422 });
    assert.match(presented.details ?? '', /^# runAsNonRoot must be true$/m);
  });

  it('shows the cluster\'s report (container status, events) instead of our message', () => {
    const content = { containerStatus: { name: 'debugger-x', state: { waiting: { reason: 'ErrImagePull', message: 'failed to pull "no/such:1": not found' } } }, events: [{ type: 'Warning', reason: 'Failed', message: 'Error: ErrImagePull' }] };
    const error = new DebugFlowError('image-pull', 'Image no/such:1 could not be pulled (ErrImagePull); pick another', undefined, undefined, undefined, { source: 'status.ephemeralContainerStatuses[debugger-x] of pod demo/web', content });
    const presented = presentError(error, 'Attach to demo/web');
    assert.equal(presented.detailsLanguage, 'yaml');
    assert.deepEqual(parseYaml(presented.details ?? ''), content);
    assert.match(presented.details ?? '', /^# status\.ephemeralContainerStatuses\[debugger-x\] of pod demo\/web\n/);
    assert.doesNotMatch(presented.details ?? '', /pick another/);
  });

  it('has no details for plain refusals, and recognises cancellation', () => {
    assert.deepEqual(presentError(new DebugSpecError('invalid-image', 'invalid image name "A"')), { message: 'invalid image name "A"', details: JSON.stringify({ message: 'invalid image name "A"', error: 'DebugSpecError', code: 'invalid-image' }, undefined, 2), detailsLanguage: 'json' });
    assert.deepEqual(presentError(new Error('boom')), { message: 'boom' });
    assert.equal(isCancellation(new DebugFlowError('cancelled', 'Attach cancelled')), true);
    assert.equal(isCancellation(Object.assign(new Error('x'), { name: 'AbortError' })), true);
    assert.equal(isCancellation(new Error('x')), false);
  });
});

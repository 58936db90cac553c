import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import type { FeatureAccess } from '../../../src/access/checkAccess';
import { validateGroup } from '../../../src/access/rbacTemplate';
import { accessSummary, normalizeFeatureIds, validationMessage } from '../../../src/ui/pure/accessSummary';
import { chooseDiagnosticsContainer } from '../../../src/ui/pure/diagnosticsTarget';

function pod(options: { ephemeral?: { name: string; target?: string; running: boolean }[]; containers?: string[]; sharePids?: boolean } = {}): V1Pod {
  const containers = options.containers ?? ['app'];
  const ephemeral = options.ephemeral ?? [];
  return {
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      containers: containers.map((name) => ({ name, image: 'app:1' })),
      ephemeralContainers: ephemeral.map((e) => ({ name: e.name, image: 'busybox:1.36', ...(e.target !== undefined ? { targetContainerName: e.target } : {}) })),
      ...(options.sharePids ? { shareProcessNamespace: true } : {}),
    },
    status: {
      containerStatuses: containers.map((name) => ({ name, image: 'app:1', imageID: '', ready: true, restartCount: 0, state: { running: {} } })),
      ephemeralContainerStatuses: ephemeral.map((e) => ({ name: e.name, image: 'busybox:1.36', imageID: '', ready: false, restartCount: 0, state: e.running ? { running: {} } : { terminated: { exitCode: 0 } } })),
    },
  };
}

describe('ui: Collect Diagnostics container choice', () => {
  it('uses the debug container it was invoked on, with that container\'s target', () => {
    assert.deepEqual(chooseDiagnosticsContainer(pod({ ephemeral: [{ name: 'dbg', target: 'app', running: true }] }), 'dbg'), { use: 'dbg', targetContainer: 'app' });
  });

  it('refuses a stopped debug container; uses one without a target (issue #14: the pod\'s network report)', () => {
    assert.match((chooseDiagnosticsContainer(pod({ ephemeral: [{ name: 'dbg', target: 'app', running: false }] }), 'dbg') as { error: string }).error, /dbg in web is not running/);
    assert.deepEqual(chooseDiagnosticsContainer(pod({ ephemeral: [{ name: 'dbg', running: true }] }), 'dbg'), { use: 'dbg' });
    assert.deepEqual(chooseDiagnosticsContainer(pod({ ephemeral: [{ name: 'dbg', running: true }], sharePids: true }), 'dbg'), { use: 'dbg' });
  });

  it('finds a running debug container targeting the chosen app container, skipping stopped and other targets', () => {
    const p = pod({ containers: ['app', 'sidecar'], ephemeral: [{ name: 'old', target: 'app', running: false }, { name: 'side', target: 'sidecar', running: true }, { name: 'live', target: 'app', running: true }] });
    assert.deepEqual(chooseDiagnosticsContainer(p), { use: 'live', targetContainer: 'app' });
    assert.deepEqual(chooseDiagnosticsContainer(p, 'sidecar'), { use: 'side', targetContainer: 'sidecar' });
  });

  it('asks to add one when none fits, naming the target', () => {
    assert.deepEqual(chooseDiagnosticsContainer(pod({ ephemeral: [{ name: 'old', target: 'app', running: false }] })), { add: true, targetContainer: 'app' });
    assert.deepEqual(chooseDiagnosticsContainer(pod({ containers: ['app', 'sidecar'], ephemeral: [{ name: 'side', target: 'sidecar', running: true }] }), 'app'), { add: true, targetContainer: 'app' });
  });

  it('in a pod sharing one PID namespace, any running debug container sees the target', () => {
    assert.deepEqual(chooseDiagnosticsContainer(pod({ sharePids: true, ephemeral: [{ name: 'plain', running: true }] })), { use: 'plain', targetContainer: 'app' });
  });

  it('refuses a container the pod does not have', () => {
    assert.match((chooseDiagnosticsContainer(pod(), 'nope') as { error: string }).error, /pod web has no container nope; choose one of app/);
  });
});

describe('ui: Check My Access summary and RBAC arguments', () => {
  const access = (title: string, allowed: boolean): FeatureAccess => ({ id: 'browse', title, allowed, missing: allowed ? [] : ['create pods'], missingOptional: [] });

  it('summarizes what is available and names what is missing', () => {
    assert.equal(accessSummary([access('A', true), access('B', false), access('C', false)], { contextName: 'kind', namespace: 'demo' }), '1 of 3 features available in demo (kind); missing: B, C.');
    assert.equal(accessSummary([access('A', true), access('B', true)], { contextName: 'kind', namespace: 'demo' }), 'All 2 features available in demo (kind).');
  });

  it('accepts known feature ids, all by default, and names the unknown ones', () => {
    assert.deepEqual(normalizeFeatureIds(undefined), { value: undefined });
    assert.deepEqual(normalizeFeatureIds(['attach', 'logs']), { value: ['attach', 'logs'] });
    assert.match((normalizeFeatureIds(['attach', 'teleport']) as { error: string }).error, /unknown feature\(s\) teleport; choose from browse, attach/);
    assert.match((normalizeFeatureIds('attach') as { error: string }).error, /must be a list/);
    assert.match((normalizeFeatureIds([]) as { error: string }).error, /is empty/);
  });

  it('turns a validator\'s error into the input box message', () => {
    assert.equal(validationMessage(validateGroup, 'debuggers'), undefined);
    assert.match(validationMessage(validateGroup, 'system:authenticated') ?? '', /every signed-in user/);
  });
});

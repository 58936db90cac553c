/**
 * package.json's contributions against the code, since the manifest is only read by VS Code at run time:
 * every menu names a declared command, every declared command is registered, and every `viewItem` clause
 * of our tree matches a contextValue the explorer's descriptors really produce (and nothing it shouldn't).
 */
import assert from 'node:assert/strict';
import { buildNodeDebugPod } from '../../../src/debug/debugContainerSpec';
import { clusterNodeNode } from '../../../src/explorer/nodes';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { clusterNode, containerNodes, messageNode, namespaceNode, podNode } from '../../../src/explorer/descriptors';
import { workloadNode } from '../../../src/explorer/workloads';

const root = join(__dirname, '..', '..', '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  main: string;
  contributes: {
    commands: { command: string }[];
    menus: Record<string, { command: string; when?: string }[]>;
    configuration: { properties: Record<string, unknown> } | { properties: Record<string, unknown> }[];
  };
  capabilities?: { untrustedWorkspaces?: { restrictedConfigurations?: string[] } };
};

const declared = new Set(manifest.contributes.commands.map((c) => c.command));
const uiSources = readdirSync(join(root, 'src', 'ui')).filter((f) => f.endsWith('.ts'))
  .map((f) => readFileSync(join(root, 'src', 'ui', f), 'utf8')).join('\n');
const registered = new Set([...uiSources.matchAll(/registerCommand\(\s*'([^']+)'/g)].map((m) => m[1]!));

function running(name: string) {
  return { name, image: 'img', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: new Date() } } };
}

/** Pods in the states the tree shows: healthy with a debug container, crash-looping, finished, a debug copy. */
function fixtures(): V1Pod[] {
  const healthy: V1Pod = {
    metadata: { name: 'web', namespace: 'demo' },
    spec: {
      containers: [{ name: 'app', image: 'app:1' }],
      ephemeralContainers: [{ name: 'debugger-abcde', image: 'busybox', targetContainerName: 'app' }, { name: 'debugger-notgt', image: 'busybox' }],
    },
    status: { phase: 'Running', containerStatuses: [running('app')], ephemeralContainerStatuses: [running('debugger-abcde'), running('debugger-notgt')] },
  };
  const crashing: V1Pod = {
    metadata: { name: 'crash', namespace: 'demo' },
    spec: { containers: [{ name: 'app', image: 'app:1' }] },
    status: { phase: 'Running', containerStatuses: [{ name: 'app', image: 'app:1', imageID: '', ready: false, restartCount: 3,
      state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1 } } }] },
  };
  const finished: V1Pod = {
    metadata: { name: 'job', namespace: 'demo' },
    spec: { containers: [{ name: 'main', image: 'app:1' }] },
    status: { phase: 'Succeeded', containerStatuses: [{ name: 'main', image: 'app:1', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0 } } }] },
  };
  const copy: V1Pod = {
    metadata: { name: 'web-debug-abcde', namespace: 'demo', labels: { 'ephemeral-debug.io/copy': 'true', 'ephemeral-debug.io/copy-of': 'web' } },
    spec: { containers: [{ name: 'app', image: 'app:1' }, { name: 'debugger-fghij', image: 'busybox' }] },
    status: { phase: 'Running', containerStatuses: [running('app'), running('debugger-fghij')] },
  };
  return [healthy, crashing, finished, copy];
}

function producedContextValues(): string[] {
  const values = [
    clusterNode({ contextName: 'a', server: 'https://127.0.0.1', current: true, phase: 'ready', podCount: 1 }).contextValue,
    clusterNode({ contextName: 'b', server: 'https://127.0.0.1', current: false, phase: 'error', podCount: 0 }).contextValue,
    namespaceNode('a', 'demo', 3, 1).contextValue,
    messageNode('a', 'x', 'text', 'error').contextValue,
    // Nodes (src/explorer/nodes.ts) and a node debug pod made by Debug Node….
    clusterNodeNode('a', { metadata: { name: 'n1' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } }).contextValue,
    podNode('a', buildNodeDebugPod({ nodeName: 'n1', namespace: 'ops', image: 'busybox:1.36' }, { creator: 'me', policy: { allowNodeDebug: true } }).pod).contextValue,
  ];
  for (const pod of fixtures()) {
    values.push(podNode('a', pod).contextValue, ...containerNodes('a', pod).map((n) => n.contextValue));
  }
  values.push(...workloadFixtures().map((n) => n.contextValue));
  return values;
}

/** A Deployment with a ready pod, and one without. */
function workloadFixtures() {
  const ready: V1Pod = { metadata: { name: 'web-1', namespace: 'demo' }, spec: { containers: [{ name: 'app' }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [running('app')] } };
  const ref = { kind: 'Deployment' as const, namespace: 'demo', name: 'web' };
  const deployment = { metadata: { name: 'web', namespace: 'demo' }, spec: { replicas: 1, selector: {}, template: {} }, status: { readyReplicas: 1 } };
  return [workloadNode('a', ref, deployment, [ready]), workloadNode('a', ref, deployment, [fixtures()[1]!])];
}

/** `viewItem =~ /re/flags` clauses of menu entries shown in a given view. */
function viewItemPatterns(view: string): { command: string; pattern: RegExp }[] {
  const found: { command: string; pattern: RegExp }[] = [];
  for (const entries of Object.values(manifest.contributes.menus)) {
    for (const entry of entries) {
      if (!entry.when?.includes(`view == ${view}`)) continue;
      const match = /viewItem =~ \/(.+?)\/([a-z]*)(?:\s|$)/.exec(entry.when);
      if (match) found.push({ command: entry.command, pattern: new RegExp(match[1]!, match[2]) });
    }
  }
  return found;
}

describe('package.json contributions', () => {
  it('names only declared commands in menus', () => {
    for (const [menu, entries] of Object.entries(manifest.contributes.menus)) {
      for (const entry of entries) assert.ok(declared.has(entry.command), `${menu} names undeclared ${entry.command}`);
    }
  });

  it('registers every declared command, and declares every registered one', () => {
    assert.deepEqual([...declared].filter((c) => !registered.has(c)), [], 'declared but never registered');
    assert.deepEqual([...registered].filter((c) => !declared.has(c)), [], 'registered but not declared');
    for (const command of declared) assert.match(command, /^ephemeralDebug\./);
  });

  it('matches each tree menu to contextValues the explorer produces', () => {
    const values = producedContextValues();
    const patterns = viewItemPatterns('ephemeralDebug.explorer');
    assert.ok(patterns.length > 5, 'the tree has context menus');
    for (const { command, pattern } of patterns) {
      assert.ok(values.some((v) => pattern.test(v)), `${command}: ${pattern} matches no contextValue (${values.join(', ')})`);
    }
  });

  it('offers the right actions on the right nodes', () => {
    const patterns = viewItemPatterns('ephemeralDebug.explorer');
    const commandsFor = (contextValue: string) => new Set(patterns.filter((p) => p.pattern.test(contextValue)).map((p) => p.command));
    const [healthy, crashing, finished, copy] = fixtures().map((pod) => ({ pod: podNode('a', pod), containers: containerNodes('a', pod) }));
    assert.ok(commandsFor(copy!.pod.contextValue).has('ephemeralDebug.copyKubectlCommand'), 'Copy kubectl Command on a debug copy');
    assert.ok(!commandsFor(healthy!.pod.contextValue).has('ephemeralDebug.copyKubectlCommand'), 'no Copy kubectl Command on a pod the extension did not make');
    assert.ok(commandsFor(crashing!.pod.contextValue).has('ephemeralDebug.debugPod'), 'inline Debug on a crashing pod');
    assert.ok(!commandsFor(healthy!.pod.contextValue).has('ephemeralDebug.debugPod'), 'no inline Debug on a healthy pod');
    assert.ok(!commandsFor(finished!.pod.contextValue).has('ephemeralDebug.attach'), 'a finished pod cannot get a debug container');
    const [app, targeted, untargeted] = healthy!.containers.map((c) => commandsFor(c.contextValue));
    assert.ok(app!.has('ephemeralDebug.attach') && !app!.has('ephemeralDebug.stopDebugContainer'));
    assert.ok(targeted!.has('ephemeralDebug.shellInTargetRoot') && targeted!.has('ephemeralDebug.stopDebugContainer') && targeted!.has('ephemeralDebug.reattach'));
    assert.ok(!untargeted!.has('ephemeralDebug.shellInTargetRoot'), 'Shell in Target Root needs a target');
    const [withReady, withoutReady] = workloadFixtures().map((n) => commandsFor(n.contextValue));
    assert.deepEqual([...withReady!].sort(), ['ephemeralDebug.attach', 'ephemeralDebug.attachDebugger', 'ephemeralDebug.captureWhen', 'ephemeralDebug.collectDiagnostics', 'ephemeralDebug.debugCopy', 'ephemeralDebug.disarmCapture'],
      'a workload offers the debug actions that pick one of its ready pods, and capture rules');
    assert.deepEqual([...withoutReady!].sort(), ['ephemeralDebug.captureWhen', 'ephemeralDebug.disarmCapture'], 'no ready pod: only a capture rule, for when one comes up or fails');
  });

  it('lets breakpoints be set in Python and Go files when their own extensions (which would allow it) are absent', () => {
    const languages = ((manifest.contributes as { breakpoints?: { language: string }[] }).breakpoints ?? []).map((b) => b.language);
    assert.deepEqual(languages.sort(), ['go', 'python']);
  });

  it('offers Attach on the Kubernetes extension\'s pod nodes', () => {
    const patterns = viewItemPatterns('extension.vsKubernetesExplorer');
    assert.ok(patterns.some((p) => p.command === 'ephemeralDebug.attach' && p.pattern.test('vsKubernetes.resource.podk8s-watchable')));
    assert.ok(!patterns.some((p) => p.pattern.test('vsKubernetes.resource.deployment')));
  });

  it('restricts only settings that exist, and ships the bundle esbuild writes', () => {
    const groups = Array.isArray(manifest.contributes.configuration) ? manifest.contributes.configuration : [manifest.contributes.configuration];
    const settings = new Set(groups.flatMap((g) => Object.keys(g.properties)));
    for (const name of manifest.capabilities?.untrustedWorkspaces?.restrictedConfigurations ?? []) assert.ok(settings.has(name), name);
    assert.equal(manifest.main, './dist/extension.js');
  });
});

import { mergeGovernance } from '../../../src/ui/pure/governanceSettings';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import {
  ATTACH_STEPS,
  choicesAfterImagePick,
  defaultImageFor,
  imageEntries,
  normalizeAttachArguments,
  planAttach,
  prefersNoTarget,
  profileAddsPrivilege,
  profileEntries,
  rememberImage,
  targetCandidates,
  visibleSteps,
  type AttachPlan,
  type NormalizedAttachArguments,
} from '../../../src/ui/pure/attachPlan';
import { normalizeSettings, type DebugTemplate } from '../../../src/ui/pure/settingsModel';

function pod(options: { running?: string[]; containers?: string[]; sidecar?: string } = {}): V1Pod {
  const containers = options.containers ?? ['app', 'proxy'];
  return {
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      initContainers: [{ name: 'migrate', image: 'migrate:1' }, ...(options.sidecar ? [{ name: options.sidecar, image: 'log:1', restartPolicy: 'Always' }] : [])],
      containers: containers.map((name) => ({ name, image: `${name}:1` })),
    },
    status: {
      phase: 'Running',
      containerStatuses: containers.map((name) => ({
        name,
        image: `${name}:1`,
        imageID: '',
        ready: true,
        restartCount: 0,
        state: (options.running ?? containers).includes(name) ? { running: {} } : { waiting: { reason: 'CrashLoopBackOff' } },
      })),
    },
  };
}

function args(raw?: unknown): NormalizedAttachArguments {
  const result = normalizeAttachArguments(raw);
  assert.ok('value' in result, 'error' in result ? result.error : '');
  return result.value;
}

const template: DebugTemplate = { name: 'node-inspect', image: 'node:22', profile: 'general', env: [{ name: 'NODE_OPTIONS', value: '--inspect' }] };
const settings = normalizeSettings({ templates: [template] });

function plan(raw?: unknown, p = pod(), presetTarget?: string): AttachPlan {
  const result = planAttach({ args: args(raw), settings, pod: p, presetTarget });
  assert.ok('value' in result, 'error' in result ? result.error : '');
  return result.value;
}

describe('ui: attach picker plan', () => {
  it('asks every step with Enter-able defaults when invoked bare', () => {
    const { steps, choices } = plan();
    assert.deepEqual(steps, ATTACH_STEPS);
    assert.equal(choices.image, 'busybox:1.36');
    assert.equal(choices.target, 'app');
    assert.equal(choices.profile, 'auto');
    assert.deepEqual(choices.env, []);
    assert.deepEqual(choices.command, []);
    assert.equal(choices.name, undefined, 'a generated name lets the engine offer a running container');
  });

  it('defaults the target to the only, else the first running container', () => {
    assert.equal(plan(undefined, pod({ containers: ['solo'], running: [] })).choices.target, 'solo');
    assert.equal(plan(undefined, pod({ running: ['proxy'] })).choices.target, 'proxy');
    assert.equal(plan(undefined, pod({ running: [] })).choices.target, 'app');
  });

  it('issue #14: no target for a network image given up front, and offered first for it and for a shared-PID pod', () => {
    assert.equal(plan({ image: 'nicolaka/netshoot:v0.13' }).choices.target, undefined, 'netshoot runs without a target');
    assert.equal(plan({ image: 'nicolaka/netshoot:v0.13', target: 'proxy' }).choices.target, 'proxy', 'a named target still wins');
    assert.equal(plan({ image: 'busybox:1.36' }).choices.target, 'app');
    assert.equal(plan({ target: null }).choices.target, undefined, 'null: explicitly none');
    assert.equal(prefersNoTarget(pod(), 'registry.example/tools/netshoot@sha256:ab'), true);
    assert.equal(prefersNoTarget(pod(), 'busybox:1.36'), false);
    assert.equal(prefersNoTarget({ ...pod(), spec: { ...pod().spec!, shareProcessNamespace: true } }, 'busybox:1.36'), true);
  });

  it('skips the steps that arguments or the invoking container node answer', () => {
    const result = plan({ image: 'ubuntu', profile: 'baseline', env: { A: '1' }, command: 'bash', name: 'dbg' });
    assert.deepEqual(result.steps, ['target']);
    assert.equal(result.choices.name, 'dbg');
    assert.deepEqual(result.choices.command, ['bash']);
    assert.deepEqual(plan(undefined, pod(), 'proxy').steps, ['image', 'profile', 'env', 'command', 'name']);
    assert.equal(plan(undefined, pod(), 'proxy').choices.target, 'proxy');
  });

  it('asks nothing when not interactive, filling defaults', () => {
    const result = plan({ pod: 'web', interactive: false });
    assert.deepEqual(result.steps, []);
    assert.equal(result.choices.image, 'busybox:1.36');
  });

  it('applies a template given as an argument, arguments still winning', () => {
    const result = plan({ template: 'node-inspect', profile: 'baseline' });
    assert.equal(result.choices.image, 'node:22');
    assert.equal(result.choices.profile, 'baseline');
    assert.deepEqual(result.choices.env, template.env);
    assert.deepEqual(result.steps, ['target', 'command', 'name']);
    const missing = planAttach({ args: args({ template: 'nope' }), settings, pod: pod() });
    assert.match((missing as { error: string }).error, /no debug template named "nope".*node-inspect/);
  });

  it('a template picked in the image step skips what it answers; picking an image after Back restores', () => {
    const initial = plan();
    const withTemplate = choicesAfterImagePick(initial, initial.choices, { template }, args());
    assert.equal(withTemplate.image, 'node:22');
    assert.equal(withTemplate.profile, 'general');
    assert.deepEqual(visibleSteps(initial, withTemplate.template), ['image', 'target', 'command', 'name']);
    const back = choicesAfterImagePick(initial, withTemplate, { image: 'ubuntu' }, args());
    assert.equal(back.template, undefined);
    assert.equal(back.image, 'ubuntu');
    assert.equal(back.profile, 'auto');
    assert.deepEqual(back.env, []);
    assert.deepEqual(visibleSteps(initial, back.template), ATTACH_STEPS);
  });

  it('orders image entries: templates, default, recent, presets, custom; hides disallowed images', () => {
    const entries = imageEntries(settings, ['ubuntu:24.04', 'busybox:1.36', 'my/tool:1']);
    const labels = entries.map((e) => (e.kind === 'template' ? `t:${e.template.name}` : e.kind === 'image' ? `${e.source}:${e.image}` : 'custom'));
    assert.deepEqual(labels.slice(0, 4), ['t:node-inspect', 'default:busybox:1.36', 'recent:ubuntu:24.04', 'recent:my/tool:1']);
    assert.equal(labels.at(-1), 'custom');
    assert.ok(labels.includes('preset:nicolaka/netshoot:v0.13'));
    assert.equal(labels.filter((l) => l.endsWith(':ubuntu:24.04')).length, 1, 'no duplicates');

    const strict = normalizeSettings({ templates: [template] }, false, mergeGovernance({ 'governance.allowedImages': { globalValue: ['registry.example.com/**', 'nicolaka/*'] } }, true));
    const allowed = imageEntries(strict, ['ubuntu']).map((e) => (e.kind === 'image' ? e.image : e.kind));
    assert.deepEqual(allowed, ['nicolaka/netshoot:v0.13', 'custom']);
    assert.equal(defaultImageFor(strict), 'nicolaka/netshoot:v0.13');
  });

  it('lists target candidates: regular containers and sidecars, not plain init containers', () => {
    assert.deepEqual(
      targetCandidates(pod({ sidecar: 'logs' })).map((c) => `${c.kind}:${c.name}`),
      ['regular:app', 'regular:proxy', 'sidecar:logs'],
    );
  });

  it('marks the profiles that ask for confirmation', () => {
    assert.deepEqual(
      profileEntries().filter((p) => p.addsPrivilege).map((p) => p.profile),
      ['general', 'netadmin', 'sysadmin'],
    );
    assert.equal(profileEntries()[0].profile, 'auto');
    assert.equal(profileAddsPrivilege('baseline'), false);
  });

  it('keeps recently used images most recent first, bounded', () => {
    assert.deepEqual(rememberImage(['a', 'b', 'c'], 'b', 3), ['b', 'a', 'c']);
    assert.deepEqual(rememberImage(['a', 'b', 'c'], 'd', 3), ['d', 'a', 'b']);
  });

  it('validates command arguments with one-line errors', () => {
    const bad = (raw: unknown): string => {
      const result = normalizeAttachArguments(raw);
      assert.ok('error' in result);
      return result.error;
    };
    assert.match(bad('web'), /expects one object argument/);
    assert.match(bad({ pods: 'web' }), /unknown argument "pods"/);
    assert.match(bad({ profile: 'root' }), /"profile" must be one of auto/);
    assert.match(bad({ pod: '' }), /"pod" must be a non-empty string/);
    assert.match(bad({ reuse: 'maybe' }), /"reuse"/);
    assert.match(bad({ customSpec: 'a: [' }), /custom/);
    assert.equal(args({ target: '' }).target, null);
    assert.deepEqual(args({ customSpec: 'securityContext: {runAsUser: 0}' }).customSpec, { securityContext: { runAsUser: 0 } });
  });
});

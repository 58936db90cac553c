/**
 * The pure parts of "Debug a Copy of Pod…" and "Clean Up Debug Pods…": arguments, defaults (keep a crashing
 * container alive), the engine request (checked against the real copy builder), crash text, terminal counting,
 * cleanup preselection and summaries.
 */
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { crashingContainers, type CrashInfo } from '../../../src/debug/crashInfo';
import { DEBUG_SESSION_DEADLINE_ENV, DEBUG_SESSION_ENV } from '../../../src/debug/debugContainerSpec';
import type { DebugCopy } from '../../../src/debug/debugCopies';
import { buildPodCopy } from '../../../src/debug/podCopy';
import { copyDeadline, describeCandidate, formatAge, normalizeCleanupArguments, planCleanup, summarizeCleanup } from '../../../src/ui/pure/cleanupPlan';
import {
  CopyTerminalCounter,
  KEEP_ALIVE_COMMAND,
  choicesFromArguments,
  crashDetail,
  crashHeadline,
  defaultCopyChoices,
  normalizeCopyArguments,
  parseSetImages,
  toCopyRequest,
  type NormalizedCopyArguments,
} from '../../../src/ui/pure/copyPlan';

const now = new Date('2026-03-01T12:00:00.000Z');

function pod(options: { crashing?: string } = {}): V1Pod {
  const names = ['app', 'proxy'];
  return {
    metadata: { name: 'web', namespace: 'shop' },
    spec: { containers: names.map((name) => ({ name, image: `${name}:1`, command: [name] })) },
    status: {
      phase: 'Running',
      containerStatuses: names.map((name) => ({
        name,
        image: `${name}:1`,
        imageID: '',
        ready: name !== options.crashing,
        restartCount: name === options.crashing ? 4 : 0,
        state: name === options.crashing ? { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } } : { running: { startedAt: now } },
        lastState: name === options.crashing ? { terminated: { exitCode: 1, reason: 'Error' } } : {},
      })),
    },
  };
}

function args(value: Record<string, unknown>): NormalizedCopyArguments {
  const parsed = normalizeCopyArguments(value);
  assert.ok('value' in parsed, 'error' in parsed ? parsed.error : '');
  return parsed.value;
}

describe('ui copy plan', () => {
  describe('arguments', () => {
    it('accepts the documented object and defaults openTerminal and interactive to true', () => {
      const a = args({ namespace: 'demo', pod: 'crashloop', keepAlive: true, setImages: { '*': 'busybox:1.36' }, debugImage: null, shareProcesses: false });
      assert.equal(a.pod, 'crashloop');
      assert.equal(a.keepAlive, true);
      assert.deepEqual(a.setImages, { '*': 'busybox:1.36' });
      assert.equal(a.debugImage, null);
      assert.equal(a.shareProcesses, false);
      assert.equal(a.openTerminal, true);
      assert.equal(a.interactive, true);
      assert.deepEqual(args({ pod: 'p', command: 'sh -c "echo hi"' }).command, ['sh', '-c', 'echo hi']);
    });

    it('rejects what would be ambiguous or malformed, naming each problem', () => {
      const bad = normalizeCopyArguments({ keepAlive: 'yes', setImages: { app: 3 }, command: ['sleep'], keep: { labels: 'x' }, profile: 'root' });
      assert.ok('error' in bad);
      assert.match(bad.error, /"pod" is required/);
      assert.match(bad.error, /"keepAlive" must be true or false/);
      assert.match(bad.error, /"setImages" must map/);
      assert.match(bad.error, /"keep" must be/);
      assert.match(bad.error, /"profile" "root" is unknown/);
      const both = normalizeCopyArguments({ pod: 'p', keepAlive: true, command: ['sh'] });
      assert.ok('error' in both && /not both/.test(both.error));
      assert.ok('error' in normalizeCopyArguments({ pod: 'p', command: [] }));
    });
  });

  describe('choices', () => {
    it('keeps a crashing container alive by default and adds the default debug image', () => {
      const p = pod({ crashing: 'proxy' });
      const crashing = crashingContainers(p);
      assert.deepEqual(defaultCopyChoices(p, crashing, 'busybox:1.36').app, { kind: 'keep-alive', container: 'proxy' });
      const fromArgs = choicesFromArguments(args({ pod: 'web' }), p, crashing, 'busybox:1.36');
      assert.ok('value' in fromArgs);
      assert.deepEqual(fromArgs.value.app, { kind: 'keep-alive', container: 'proxy' });
      assert.equal(fromArgs.value.debugImage, 'busybox:1.36');
      assert.equal(fromArgs.value.shareProcesses, true);
    });

    it('keeps a healthy pod as it is unless asked; keepAlive targets the first container', () => {
      const p = pod();
      assert.deepEqual(defaultCopyChoices(p, [], 'busybox').app, { kind: 'keep' });
      const alive = choicesFromArguments(args({ pod: 'web', keepAlive: true }), p, [], 'busybox');
      assert.ok('value' in alive);
      assert.deepEqual(alive.value.app, { kind: 'keep-alive', container: 'app' });
      const off = choicesFromArguments(args({ pod: 'web', keepAlive: false }), pod({ crashing: 'app' }), crashingContainers(pod({ crashing: 'app' })), 'busybox');
      assert.ok('value' in off);
      assert.deepEqual(off.value.app, { kind: 'keep' });
      const missing = choicesFromArguments(args({ pod: 'web', container: 'db' }), p, [], 'busybox');
      assert.ok('error' in missing && /no container "db".*app, proxy/.test(missing.error));
    });

    it('makes a request the copy builder turns into the intended pod', () => {
      const p = pod({ crashing: 'app' });
      const choices = choicesFromArguments(args({ pod: 'web', keepAlive: true, setImages: { proxy: 'busybox:1.36' } }), p, crashingContainers(p), 'busybox:1.36');
      assert.ok('value' in choices);
      const request = toCopyRequest('shop', 'web', { ...choices.value, copyName: 'web-debug-abcde' }, 'session-1');
      assert.deepEqual(request.replaceCommand, { container: 'app', command: KEEP_ALIVE_COMMAND });
      assert.equal(request.debugContainer?.sessionId, 'session-1');
      const built = buildPodCopy(p, { ...request, debugContainer: { ...request.debugContainer!, image: request.debugContainer!.image! } }, { creator: 'me', now: () => now });
      assert.equal(built.copyName, 'web-debug-abcde');
      const containers = built.pod.spec!.containers;
      assert.deepEqual(containers.find((c) => c.name === 'app')?.command, [...KEEP_ALIVE_COMMAND]);
      assert.equal(containers.find((c) => c.name === 'proxy')?.image, 'busybox:1.36');
      assert.equal(built.pod.spec!.shareProcessNamespace, true);
      const debug = containers.find((c) => c.name === built.debugContainerName);
      assert.equal(debug?.env?.find((e) => e.name === DEBUG_SESSION_ENV)?.value, 'session-1');
      assert.equal(built.primaryContainer, built.debugContainerName);
      assert.equal(built.interactive, true);
    });

    it('gives a custom command a TTY and leaves out the debug container when none is wanted', () => {
      const p = pod();
      const choices = choicesFromArguments(args({ pod: 'web', command: ['sh'], container: 'proxy', debugImage: null, shareProcesses: false }), p, [], 'busybox');
      assert.ok('value' in choices);
      const request = toCopyRequest('shop', 'web', choices.value, 's');
      assert.deepEqual(request.replaceCommand, { container: 'proxy', command: ['sh'], interactive: true });
      assert.equal(request.debugContainer, undefined);
      const built = buildPodCopy(p, { ...request, debugContainer: undefined }, { creator: 'me', now: () => now });
      assert.equal(built.primaryContainer, 'proxy');
      assert.equal(built.interactive, true);
      assert.equal(built.pod.spec!.shareProcessNamespace, false);
    });
  });

  describe('set images', () => {
    it('parses container=image and *=image, and explains mistakes', () => {
      assert.deepEqual(parseSetImages('app=busybox:1.36, *=ubuntu', ['app', 'proxy']), { value: { app: 'busybox:1.36', '*': 'ubuntu' } });
      assert.deepEqual(parseSetImages('  ', ['app']), { value: {} });
      const wrong = parseSetImages('busybox', ['app']);
      assert.ok('error' in wrong && /not container=image/.test(wrong.error));
      const unknown = parseSetImages('db=postgres', ['app', 'proxy']);
      assert.ok('error' in unknown && /no container "db".*app, proxy/.test(unknown.error));
      assert.ok('error' in parseSetImages('app=a app=b', ['app']));
    });
  });

  describe('crash text', () => {
    it('shows the reason, exit code, restarts and the last log lines of the instance that died', () => {
      const info: CrashInfo = {
        namespace: 'demo',
        podName: 'crashloop',
        containers: [{ ...crashingContainers(pod({ crashing: 'app' }))[0], logLines: ['starting', 'crashloop: failed to load config'], logSource: 'previous' }],
      };
      assert.match(crashHeadline(info), /^app: CrashLoopBackOff, exit code 1 \(Error\), 4 restarts: crashloop: failed to load config$/);
      const detail = crashDetail(info);
      assert.match(detail, /Last log lines of the instance that died:\n {2}starting\n {2}crashloop: failed to load config/);
      assert.match(crashDetail({ ...info, containers: [{ ...info.containers[0], logLines: [], logSource: 'none', logError: 'forbidden' }] }), /no log: forbidden/);
    });
  });

  describe('terminal counter', () => {
    it('reports the copy only when its last counted terminal closes', () => {
      const counter = new CopyTerminalCounter<object>();
      const [a, b, other] = [{}, {}, {}];
      counter.opened('ctx/shop/web-debug-1', a);
      counter.opened('ctx/shop/web-debug-1', b);
      counter.opened('ctx/shop/web-debug-1', b); // counted once
      assert.equal(counter.count('ctx/shop/web-debug-1'), 2);
      assert.equal(counter.closed(other), undefined);
      assert.equal(counter.closed(a), undefined);
      assert.equal(counter.closed(b), 'ctx/shop/web-debug-1');
      assert.equal(counter.closed(b), undefined);
      assert.equal(counter.count('ctx/shop/web-debug-1'), 0);
    });
  });
});

describe('ui cleanup plan', () => {
  const copy = (name: string, hoursOld: number | undefined): DebugCopy => ({
    namespace: 'shop',
    name,
    origin: 'shop/web',
    creator: 'alice',
    ...(hoursOld !== undefined ? { createdAt: new Date(now.getTime() - hoursOld * 3_600_000), ageMs: hoursOld * 3_600_000 } : {}),
    phase: 'Running',
  });
  const copyPod = (name: string, deadline?: Date): V1Pod => ({
    metadata: { name, namespace: 'shop' },
    spec: { containers: [{ name: 'app', image: 'a' }, { name: 'debugger-x', image: 'busybox', env: deadline !== undefined ? [{ name: DEBUG_SESSION_DEADLINE_ENV, value: deadline.toISOString() }] : [] }] },
  });

  it('normalizes its arguments', () => {
    assert.deepEqual(normalizeCleanupArguments({ olderThanHours: 0, interactive: false }), { value: { context: undefined, namespace: undefined, olderThanHours: 0, stopExpired: true, interactive: false } });
    const bad = normalizeCleanupArguments({ olderThanHours: -1, interactive: 'no' });
    assert.ok('error' in bad && /olderThanHours/.test(bad.error) && /interactive/.test(bad.error));
  });

  it('preselects copies older than the limit, past their deadline, or chosen; never one of unknown age for its age', () => {
    const copies = [copy('old', 30), copy('young', 1), copy('expired', 2), copy('unknown', undefined), copy('clicked', 0.5)];
    const pods = [copyPod('old'), copyPod('young', new Date(now.getTime() + 60_000)), copyPod('expired', new Date(now.getTime() - 60_000))];
    const plan = planCleanup(copies, pods, { maxAgeHours: 24, now, clicked: 'shop/clicked' });
    const preselected = Object.fromEntries(plan.copies.map((c) => [c.copy.name, c.reason ?? '']));
    assert.deepEqual(preselected, { old: 'older than 24 h', young: '', expired: 'past its session time limit', unknown: '', clicked: 'chosen' });
    assert.equal(copyDeadline(pods[1])?.getTime(), now.getTime() + 60_000);
    assert.match(describeCandidate(plan.copies[0]).description, /^shop · 30 h · Running$/);
    assert.match(describeCandidate(plan.copies[0]).detail, /copy of shop\/web · by alice · older than 24 h/);
  });

  it('finds running ephemeral debug containers past their deadline', () => {
    const withEphemeral = (deadline: Date, running: boolean): V1Pod => ({
      metadata: { name: 'api', namespace: 'shop' },
      spec: { containers: [{ name: 'app' }], ephemeralContainers: [{ name: 'debugger-a', env: [{ name: DEBUG_SESSION_DEADLINE_ENV, value: deadline.toISOString() }] }] },
      status: { ephemeralContainerStatuses: [{ name: 'debugger-a', image: 'busybox', imageID: '', ready: false, restartCount: 0, state: running ? { running: {} } : { terminated: { exitCode: 0 } } }] },
    });
    assert.deepEqual(planCleanup([], [withEphemeral(new Date(now.getTime() - 1000), true)], { maxAgeHours: 24, now }).expired.map((e) => `${e.pod}/${e.container}`), ['api/debugger-a']);
    assert.equal(planCleanup([], [withEphemeral(new Date(now.getTime() - 1000), false)], { maxAgeHours: 24, now }).expired.length, 0);
    assert.equal(planCleanup([], [withEphemeral(new Date(now.getTime() + 1000), true)], { maxAgeHours: 24, now }).expired.length, 0);
  });

  it('formats ages and summarizes outcomes, failures first-hand', () => {
    assert.deepEqual([formatAge(5_000), formatAge(125_000), formatAge(3 * 3_600_000), formatAge(72 * 3_600_000), formatAge(undefined)], ['5 s', '2 min', '3 h', '3 d', 'age unknown']);
    const ok = summarizeCleanup([{ namespace: 'shop', name: 'a', outcome: 'deleted' }, { namespace: 'shop', name: 'b', outcome: 'gone' }], []);
    assert.equal(ok.ok, true);
    assert.equal(ok.message, 'Clean Up Debug Pods: deleted 2 debug copies (a, b).');
    const mixed = summarizeCleanup(
      [{ namespace: 'shop', name: 'a', outcome: 'failed', message: 'You cannot delete pod shop/a' }],
      [{ namespace: 'shop', pod: 'api', container: 'debugger-a', outcome: 'stopped' }],
    );
    assert.equal(mixed.ok, false);
    assert.equal(mixed.message, 'Clean Up Debug Pods: deleted 0 debug copies; stopped 1 expired debug container; 1 failed: You cannot delete pod shop/a.');
  });
});

/**
 * The pure pieces of "Debug a Copy of Pod": the copy builder (names, stripping, keep options, marks, images,
 * replaced commands, the debug container and its policy), the crash summary and the age selection.
 */
import assert from 'node:assert/strict';
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { crashingContainers, summarizeCrash } from '../../../src/debug/crashInfo';
import { selectOlderThan, type DebugCopy } from '../../../src/debug/debugCopies';
import { DEBUG_CONTAINER_NAME_ALPHABET, DEBUG_SESSION_DEADLINE_ENV, DEBUG_SESSION_ENV } from '../../../src/debug/debugContainerSpec';
import { DebugSpecError } from '../../../src/debug/errors';
import {
  COPIED_FROM_ANNOTATION,
  COPY_LABEL,
  COPY_OF_LABEL,
  CREATED_AT_ANNOTATION,
  CREATED_BY_ANNOTATION,
  buildPodCopy,
  generateCopyName,
  toLabelValue,
  type PodCopyContext,
  type PodCopyOptions,
} from '../../../src/debug/podCopy';

const now = new Date('2026-03-01T12:00:00.000Z');

function sourcePod(): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-7d4b9c6f5-x2x9q',
      namespace: 'shop',
      uid: '1b2c',
      resourceVersion: '4711',
      creationTimestamp: new Date('2026-02-01T00:00:00Z'),
      generateName: 'web-7d4b9c6f5-',
      labels: { app: 'web', 'pod-template-hash': '7d4b9c6f5' },
      annotations: { 'prometheus.io/scrape': 'true' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d4b9c6f5', uid: 'rs', controller: true }],
      managedFields: [{ manager: 'kube-controller-manager', operation: 'Update' }],
      finalizers: ['example.com/hold'],
    },
    spec: {
      nodeName: 'node-1',
      initContainers: [{ name: 'migrate', image: 'migrate:1', command: ['migrate'] }],
      containers: [
        {
          name: 'app',
          image: 'web:1',
          command: ['/web'],
          args: ['--port', '8080'],
          livenessProbe: { httpGet: { path: '/live', port: 8080 } },
          readinessProbe: { httpGet: { path: '/ready', port: 8080 } },
          startupProbe: { httpGet: { path: '/start', port: 8080 } },
        },
        { name: 'proxy', image: 'envoy:1', readinessProbe: { tcpSocket: { port: 9901 } } },
      ],
      ephemeralContainers: [{ name: 'debugger-old', image: 'busybox:1.36' }],
    },
    status: { phase: 'Running', podIP: '10.0.0.7' },
  };
}

/** Random source replaying fixed alphabet indexes, so names are predictable. */
function indexes(...values: number[]): () => number {
  let position = 0;
  return () => (values[position++ % values.length] + 0.5) / DEBUG_CONTAINER_NAME_ALPHABET.length;
}

const copyOf = (options: PodCopyOptions = {}, context: Partial<PodCopyContext> = {}, pod: V1Pod = sourcePod()) =>
  buildPodCopy(pod, options, { creator: 'alice@example.com', random: indexes(0, 1, 2, 3, 4), now: () => now, ...context });

function assertSpecError(action: () => unknown, code: string, message: RegExp): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof DebugSpecError, `expected DebugSpecError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, message);
    assert.ok(!error.message.includes('\n'), 'one line');
    return true;
  });
}

describe('debug copy: names', () => {
  it('defaults to <pod>-debug- and 5 characters of kubectl\'s alphabet', () => {
    const result = copyOf();
    assert.equal(result.copyName, 'web-7d4b9c6f5-x2x9q-debug-bcdfg');
    assert.equal(result.pod.metadata?.name, 'web-7d4b9c6f5-x2x9q-debug-bcdfg');
    for (let i = 0; i < 50; i++) {
      assert.match(generateCopyName('api'), /^api-debug-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    }
  });

  it('shortens a long pod name so the copy name stays within 63 characters and ends cleanly', () => {
    const long = `${'a'.repeat(50)}-${'b'.repeat(40)}`;
    const name = generateCopyName(long, indexes(26));
    assert.ok(name.length <= 63, `${name} is ${name.length} long`);
    assert.equal(name, `${'a'.repeat(50)}-debug-99999`);
    // The cut falls right after a '-': it is dropped, not doubled.
    assert.equal(generateCopyName(`${'c'.repeat(50)}-zz`, indexes(0)), `${'c'.repeat(50)}-debug-bbbbb`);
    assert.equal(generateCopyName(`${'c'.repeat(51)}.zz`, indexes(0)).length, 63);
  });

  it('refuses an invalid or the source\'s own name', () => {
    assertSpecError(() => copyOf({ copyName: 'Web_Copy' }), 'invalid-name', /invalid copy name "Web_Copy"/);
    assertSpecError(() => copyOf({ copyName: 'x'.repeat(254) }), 'invalid-name', /at most 253/);
    assertSpecError(() => copyOf({ copyName: 'web-7d4b9c6f5-x2x9q' }), 'invalid-name', /cannot be named like its source/);
    assert.equal(copyOf({ copyName: 'web-copy.v2' }).copyName, 'web-copy.v2');
  });

  it('makes label values of pod names', () => {
    assert.equal(toLabelValue('web'), 'web');
    assert.equal(toLabelValue(`${'a'.repeat(62)}-b`), 'a'.repeat(62));
    assert.equal(toLabelValue(`${'a'.repeat(61)}.bbbb`), `${'a'.repeat(61)}.b`);
    assert.equal(toLabelValue(`${'a'.repeat(62)}.bbbb`), 'a'.repeat(62));
  });
});

describe('debug copy: what is stripped and what is marked', () => {
  it('never copies status, ephemeral containers, server-owned metadata or the node', () => {
    const { pod } = copyOf();
    assert.equal(pod.status, undefined);
    assert.equal(pod.spec?.ephemeralContainers, undefined);
    assert.equal(pod.spec?.nodeName, undefined);
    const metadata = pod.metadata!;
    for (const field of ['uid', 'resourceVersion', 'creationTimestamp', 'ownerReferences', 'managedFields', 'generateName', 'finalizers'] as const) {
      assert.equal(metadata[field], undefined, field);
    }
    assert.equal(metadata.namespace, 'shop');
    assert.equal(pod.kind, 'Pod');
  });

  it('keeps the node with sameNode', () => {
    assert.equal(copyOf({ sameNode: true }).pod.spec?.nodeName, 'node-1');
  });

  it('does not change the source', () => {
    const source = sourcePod();
    const before = JSON.stringify(source);
    buildPodCopy(source, { setImages: { '*': 'busybox:1.36' }, replaceCommand: { container: 'app', command: ['sleep', '3600'] }, debugContainer: { image: 'busybox:1.36' } }, { creator: 'a', now: () => now });
    assert.equal(JSON.stringify(source), before);
  });

  it('strips labels, annotations, probes and init containers by default, and marks the copy', () => {
    const { pod } = copyOf();
    assert.deepEqual(pod.metadata?.labels, { [COPY_LABEL]: 'true', [COPY_OF_LABEL]: 'web-7d4b9c6f5-x2x9q' });
    assert.deepEqual(pod.metadata?.annotations, {
      [COPIED_FROM_ANNOTATION]: 'shop/web-7d4b9c6f5-x2x9q',
      [CREATED_BY_ANNOTATION]: 'alice@example.com',
      [CREATED_AT_ANNOTATION]: '2026-03-01T12:00:00.000Z',
    });
    assert.equal(pod.spec?.initContainers, undefined);
    for (const container of pod.spec!.containers) {
      assert.equal(container.livenessProbe, undefined);
      assert.equal(container.readinessProbe, undefined);
      assert.equal(container.startupProbe, undefined);
    }
  });

  it('keeps what the keep options name, and nothing else', () => {
    const { pod, warnings } = copyOf({ keep: { labels: true, annotations: true, livenessProbe: true, initContainers: true } });
    assert.equal(pod.metadata?.labels?.app, 'web');
    assert.equal(pod.metadata?.labels?.[COPY_LABEL], 'true', 'the mark is there with kept labels too');
    assert.equal(pod.metadata?.annotations?.['prometheus.io/scrape'], 'true');
    assert.equal(pod.metadata?.annotations?.[CREATED_BY_ANNOTATION], 'alice@example.com');
    assert.deepEqual(pod.spec?.initContainers?.map((c) => c.name), ['migrate']);
    const app = pod.spec!.containers[0];
    assert.deepEqual(app.livenessProbe, { httpGet: { path: '/live', port: 8080 } });
    assert.equal(app.readinessProbe, undefined);
    assert.equal(app.startupProbe, undefined);
    assert.ok(warnings.some((w) => /keeps the labels of a pod managed by ReplicaSet web-7d4b9c6f5/.test(w)), warnings.join(' | '));
  });

  it('legacy removes labels even when kept, and keeps annotations, probes and init containers', () => {
    const { pod, profile } = copyOf({ profile: 'legacy', keep: { labels: true } });
    assert.equal(profile, 'legacy');
    assert.deepEqual(Object.keys(pod.metadata?.labels ?? {}).sort(), [COPY_LABEL, COPY_OF_LABEL]);
    assert.equal(pod.metadata?.annotations?.['prometheus.io/scrape'], 'true');
    assert.ok(pod.spec?.containers[0].readinessProbe);
    assert.equal(pod.spec?.initContainers?.length, 1);
  });

  it('shares the process namespace by default, not when told, and never with hostPID', () => {
    assert.equal(copyOf().pod.spec?.shareProcessNamespace, true);
    assert.equal(copyOf({ shareProcesses: false }).pod.spec?.shareProcessNamespace, false);
    const hostPid = sourcePod();
    hostPid.spec!.hostPID = true;
    const result = copyOf({}, {}, hostPid);
    assert.equal(result.pod.spec?.shareProcessNamespace, undefined);
    assert.ok(result.warnings.some((w) => w.includes('hostPID')));
    assertSpecError(() => copyOf({ shareProcesses: true }, {}, hostPid), 'invalid-option', /hostPID.*turn process sharing off/);
  });

  it('refuses a namespace the policy does not allow', () => {
    assertSpecError(() => copyOf({}, { policy: { allowedNamespaces: ['dev-*'] } }), 'namespace-not-allowed', /namespace "shop" is not allowed/);
  });

  it('warns that replacing a pod managed by a controller brings a new one', () => {
    assert.ok(copyOf({ replace: true }).warnings.some((w) => /managed by ReplicaSet web-7d4b9c6f5: once it is deleted, the controller creates a new one/.test(w)));
    assert.equal(copyOf({ replace: true }).replaceOriginal, true);
  });
});

describe('debug copy: images and commands', () => {
  it('sets every image with *, a named entry winning', () => {
    const { pod, waitFor, primaryContainer } = copyOf({ setImages: { '*': 'busybox:1.36', proxy: 'nicolaka/netshoot:v0.13' } });
    assert.deepEqual(pod.spec?.containers.map((c) => c.image), ['busybox:1.36', 'nicolaka/netshoot:v0.13']);
    assert.deepEqual(waitFor, ['app', 'proxy'], 'no debug container and no replaced command: every container');
    assert.equal(primaryContainer, 'app');
  });

  it('refuses unknown containers, invalid images and images the policy forbids', () => {
    assertSpecError(() => copyOf({ setImages: { api: 'busybox:1.36' } }), 'invalid-target', /no such container; choose one of app, proxy, or \* for all/);
    assertSpecError(() => copyOf({ setImages: { app: 'Busy Box' } }), 'invalid-image', /invalid image name "Busy Box" for container "app"/);
    assertSpecError(() => copyOf({ setImages: { '*': 'evil.example.com/miner:1' } }, { policy: { allowedImages: ['docker.io/library/*'] } }), 'image-not-allowed', /not allowed by policy/);
    assertSpecError(() => copyOf({ setImages: { app: 'busybox:1.36' } }, { policy: { requireDigest: true } }), 'digest-required', /requires a digest/);
  });

  it('replaces a command, dropping the old args, and waits for that container', () => {
    const result = copyOf({ replaceCommand: { container: 'app', command: ['sleep', '3600'] } });
    const app = result.pod.spec!.containers[0];
    assert.deepEqual(app.command, ['sleep', '3600']);
    assert.equal(app.args, undefined);
    assert.equal(app.stdin, undefined);
    assert.deepEqual(result.waitFor, ['app']);
    assert.equal(result.primaryContainer, 'app');
    assert.equal(result.interactive, false);

    const shell = copyOf({ replaceCommand: { container: 'app', command: ['sh'], args: ['-i'], interactive: true } });
    assert.deepEqual(shell.pod.spec!.containers[0].args, ['-i']);
    assert.equal(shell.interactive, true);
  });

  it('warns when a kept liveness probe meets a replaced command', () => {
    const { warnings } = copyOf({ keep: { livenessProbe: true }, replaceCommand: { container: 'app', command: ['sleep', '3600'] } });
    assert.ok(warnings.some((w) => /keeps its livenessProbe but runs "sleep 3600"/.test(w)), warnings.join(' | '));
  });

  it('refuses an unknown container, an empty command, and an init container that is not kept', () => {
    assertSpecError(() => copyOf({ replaceCommand: { container: 'nope', command: ['sleep', '1'] } }), 'invalid-target', /container "nope": the copy has no such container/);
    assertSpecError(() => copyOf({ replaceCommand: { container: 'app', command: [] } }), 'invalid-option', /is empty; give one, e\.g\. sleep 3600/);
    assertSpecError(() => copyOf({ replaceCommand: { container: 'migrate', command: ['sleep', '1'] } }), 'invalid-target', /init containers are removed from the copy unless kept/);
    const kept = copyOf({ keep: { initContainers: true }, replaceCommand: { container: 'migrate', command: ['sleep', '1'] } });
    assert.deepEqual(kept.pod.spec?.initContainers?.[0].command, ['sleep', '1']);
  });
});

describe('debug copy: the debug container', () => {
  it('adds an attachable regular container with the profile\'s copy effect and the session env', () => {
    const result = copyOf(
      { debugContainer: { image: 'busybox:1.36', sessionId: 'session-1' } },
      { policy: { sessionTimeLimitMinutes: 30 }, random: indexes(5, 6, 7, 8, 9) },
    );
    const debug = result.pod.spec!.containers[2];
    assert.equal(result.debugContainerName, debug.name);
    assert.match(debug.name, /^debugger-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.equal(debug.image, 'busybox:1.36');
    assert.equal(debug.stdin, true);
    assert.equal(debug.tty, true);
    assert.equal(result.profile, 'general', 'auto in a privileged namespace');
    assert.deepEqual(debug.securityContext, { capabilities: { add: ['SYS_PTRACE'] } });
    assert.equal((debug as { targetContainerName?: string }).targetContainerName, undefined);
    assert.deepEqual(debug.env, [
      { name: DEBUG_SESSION_ENV, value: 'session-1' },
      { name: DEBUG_SESSION_DEADLINE_ENV, value: '2026-03-01T12:30:00.000Z' },
    ]);
    assert.deepEqual(result.waitFor, [debug.name]);
    assert.equal(result.primaryContainer, debug.name);
    assert.equal(result.interactive, true);
    assert.equal(result.deadline?.toISOString(), '2026-03-01T12:30:00.000Z');
  });

  it('builds a non-interactive debug container with a command', () => {
    const result = copyOf({ profile: 'baseline', debugContainer: { image: 'busybox:1.36', name: 'tools', command: ['sleep', 'infinity'], interactive: false } });
    const debug = result.pod.spec!.containers.find((c) => c.name === 'tools')!;
    assert.deepEqual(debug.command, ['sleep', 'infinity']);
    assert.equal(debug.stdin, false);
    assert.equal(debug.securityContext, undefined, 'baseline clears the securityContext');
    assert.equal(result.interactive, false);
  });

  it('refuses what the policy and the namespace\'s Pod Security level refuse', () => {
    assertSpecError(() => copyOf({ profile: 'sysadmin', debugContainer: { image: 'busybox:1.36' } }, { policy: { maxProfile: 'baseline' } }), 'profile-not-allowed', /exceeds the maximum profile "baseline"/);
    assertSpecError(() => copyOf({ debugContainer: { image: 'evil:1' } }, { policy: { allowedImages: ['busybox:*'] } }), 'image-not-allowed', /image "evil:1" is not allowed by policy/);
    assertSpecError(() => copyOf({ debugContainer: { image: 'busybox:1.36' } }, { policy: { requireDigest: true } }), 'digest-required', /requires a digest/);
    assertSpecError(
      () => copyOf({ profile: 'netadmin', debugContainer: { image: 'busybox:1.36' } }, { namespacePodSecurityLevel: 'baseline' }),
      'pod-security-container',
      /PodSecurity "baseline:latest" is enforced in namespace "shop".*use profile "baseline" instead/,
    );
    assertSpecError(() => copyOf({ debugContainer: { image: 'busybox:1.36', name: 'proxy' } }), 'duplicate-name', /"proxy" is already used/);
    assertSpecError(() => copyOf({ debugContainer: { image: 'busybox:1.36', name: 'Bad_Name' } }), 'invalid-name', /invalid container name "Bad_Name"/);
    assertSpecError(() => copyOf({ profile: 'root' as never }), 'unknown-profile', /unknown profile "root"/);
  });

  it('auto picks restricted in a restricted namespace and the copy passes the precheck', () => {
    const pod = sourcePod();
    pod.spec!.securityContext = { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } };
    const result = copyOf({ debugContainer: { image: 'busybox:1.36' } }, { namespacePodSecurityLevel: 'restricted' }, pod);
    assert.equal(result.profile, 'restricted');
    const debug = result.pod.spec!.containers.find((c) => c.name === result.debugContainerName)!;
    assert.equal(debug.securityContext?.allowPrivilegeEscalation, false);
    assert.deepEqual(debug.securityContext?.capabilities, { drop: ['ALL'] });
    assert.equal(debug.securityContext?.runAsUser, 1000, 'same user as the application');
  });
});

describe('debug copy: crash summary', () => {
  const status = (name: string, state: V1ContainerStatus['state'], extra: Partial<V1ContainerStatus> = {}): V1ContainerStatus => ({
    name,
    image: 'busybox:1.36',
    imageID: '',
    ready: false,
    restartCount: 0,
    state,
    ...extra,
  });

  it('finds CrashLoopBackOff, failed terminations and OOM restarts, and nothing else', () => {
    const pod: V1Pod = {
      metadata: { name: 'p', namespace: 'n' },
      status: {
        initContainerStatuses: [status('init-ok', { terminated: { exitCode: 0, reason: 'Completed' } })],
        containerStatuses: [
          status('looping', { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=looping' } }, {
            restartCount: 4,
            lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: new Date('2026-03-01T11:59:00Z') } },
          }),
          status('oom', { running: { startedAt: new Date() } }, { restartCount: 1, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }),
          status('failed', { terminated: { exitCode: 2, reason: 'Error', message: 'config missing' } }),
          status('fine', { running: {} }),
          status('done', { terminated: { exitCode: 0, reason: 'Completed' } }),
          status('pulling', { waiting: { reason: 'ContainerCreating' } }),
        ],
      },
    };
    const crashing = crashingContainers(pod);
    assert.deepEqual(crashing.map((c) => [c.container, c.reason, c.state, c.exitCode, c.restartCount]), [
      ['looping', 'CrashLoopBackOff', 'waiting', 1, 4],
      ['oom', 'OOMKilled', 'running', 137, 1],
      ['failed', 'Error', 'terminated', 2, 0],
    ]);
    assert.equal(crashing[0].lastTermination?.finishedAt?.toISOString(), '2026-03-01T11:59:00.000Z');
    assert.equal(summarizeCrash({ ...crashing[0], logLines: ['boom'], logSource: 'previous' }), 'looping: CrashLoopBackOff, exit code 1 (Error), 4 restarts: boom');
    assert.equal(summarizeCrash(crashing[2]), 'failed: Error, exit code 2: config missing');
  });
});

describe('debug copy: selecting old copies', () => {
  const copy = (name: string, createdAt?: string): DebugCopy => ({ namespace: 'n', name, origin: 'n/x', phase: 'Running', createdAt: createdAt ? new Date(createdAt) : undefined });

  it('selects copies strictly older than the limit, never one of unknown age', () => {
    const copies = [copy('old', '2026-03-01T09:00:00Z'), copy('edge', '2026-03-01T11:00:00Z'), copy('new', '2026-03-01T11:59:00Z'), copy('unknown')];
    assert.deepEqual(selectOlderThan(copies, 60 * 60_000, now).map((c) => c.name), ['old']);
    assert.deepEqual(selectOlderThan(copies, 0, now).map((c) => c.name), ['old', 'edge', 'new']);
  });
});

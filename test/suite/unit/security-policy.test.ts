/**
 * Security, the policy half of issue 12: the one gate (only the spec builders mint what ClusterApi's add and
 * create calls accept — proved at compile time by the @ts-expect-error lines, which `npm run typecheck`
 * checks), the session env a custom spec cannot drop, and every way of reusing a running debug container
 * passing the same namespace/image/profile/deadline checks as a new one.
 */
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import type { V1EphemeralContainer, V1Pod } from '@kubernetes/client-node';
import { createClusterApi } from '../../../src/cluster/client';
import { ClusterError, type ClusterApi } from '../../../src/cluster/clusterApi';
import { PolicyCheckedContainer, PolicyCheckedPod } from '../../../src/cluster/policyChecked';
import {
  DEBUG_SESSION_DEADLINE_ENV,
  DEBUG_SESSION_ENV,
  buildDebugContainer,
  checkReusableDebugContainer,
  type DebugPolicy,
} from '../../../src/debug/debugContainerSpec';
import { DebugSpecError } from '../../../src/debug/errors';
import { buildPodCopy } from '../../../src/debug/podCopy';
import { ephemeralSecurityContextFor } from '../../../src/debug/profiles';
import { findReusable } from '../../../src/launch/debugAttachSession';
import { privilegedProfileConfirmation, targetFilesystemAttach } from '../../../src/ui/pure/attachPlan';
import { chooseDiagnosticsContainer } from '../../../src/ui/pure/diagnosticsTarget';
import { normalizeSettings } from '../../../src/ui/pure/settingsModel';
import { passesReusePolicy } from '../../../src/debug/attachFlow';

const NOW = new Date('2026-01-01T12:00:00Z');

function appPod(ephemeral: V1EphemeralContainer[] = [], namespace = 'shop'): V1Pod {
  return {
    metadata: { name: 'web', namespace },
    spec: { containers: [{ name: 'app', image: 'app:1' }], ephemeralContainers: ephemeral },
    status: {
      phase: 'Running',
      ephemeralContainerStatuses: ephemeral.map((c) => ({ name: c.name, image: c.image ?? '', imageID: '', ready: false, restartCount: 0, state: { running: { startedAt: NOW } } })),
    },
  };
}

function debugContainer(overrides: Partial<V1EphemeralContainer> = {}): V1EphemeralContainer {
  return {
    name: 'debugger-abcde',
    image: 'busybox:1.36',
    targetContainerName: 'app',
    stdin: true,
    tty: true,
    securityContext: ephemeralSecurityContextFor('general'),
    env: [{ name: DEBUG_SESSION_DEADLINE_ENV, value: new Date(NOW.getTime() + 30 * 60_000).toISOString() }],
    ...overrides,
  };
}

/** Compiled by `npm run typecheck`, never run: each call below must be a type error. */
export function uncheckedSpecsDoNotCompile(api: ClusterApi, pod: V1Pod, plain: V1EphemeralContainer, checked: PolicyCheckedContainer, copy: PolicyCheckedPod): void {
  // @ts-expect-error a plain container spec, not made by the spec builder
  void api.addEphemeralContainer(pod, plain);
  // @ts-expect-error an object literal shaped like a checked one
  void api.addEphemeralContainer(pod, { container: plain });
  // @ts-expect-error a checked spec copied with a field changed loses the brand
  void api.addEphemeralContainer(pod, { ...checked, container: { ...checked.container, securityContext: { privileged: true } } });
  // @ts-expect-error a plain pod, not made by the copy builder
  void api.createPod('shop', pod);
  // @ts-expect-error a checked copy with its pod swapped
  void api.createPod('shop', { ...copy, pod });
  // @ts-expect-error the constructor is private: only the builders' mint makes one
  void new PolicyCheckedContainer(plain);
}

describe('security #12: one policy gate and reuse of running debug containers', () => {
  describe('the gate', () => {
    it('security #12 gate: the builders return frozen, policy-checked specs that later changes to their result cannot reach', () => {
      const built = buildDebugContainer({ image: 'busybox:1.36', profile: 'general', targetContainer: 'app' }, { pod: appPod(), namespacePodSecurityLevel: 'privileged', policy: { maxProfile: 'general' } });
      assert.ok(PolicyCheckedContainer.isChecked(built.checked));
      assert.deepEqual(built.checked.container, built.container);
      built.container.securityContext = { privileged: true };
      assert.notEqual(built.checked.container.securityContext?.privileged, true, 'the checked spec is a copy');
      assert.throws(() => {
        (built.checked.container as V1EphemeralContainer).image = 'evil';
      }, TypeError);
      const copy = buildPodCopy(appPod(), { debugContainer: { image: 'busybox:1.36' } }, { creator: 'me' });
      assert.ok(PolicyCheckedPod.isChecked(copy.checked));
      assert.equal(copy.checked.pod.metadata?.name, copy.pod.metadata?.name);
    });

    it('security #12 gate: ClusterApi refuses at run time a spec cast past the types (nothing is sent)', async () => {
      const kc = new k8s.KubeConfig();
      // Nothing listens on port 9: a request that went out would fail with ECONNREFUSED, not PolicyNotApplied.
      kc.loadFromOptions({
        clusters: [{ name: 'c', server: 'https://127.0.0.1:9', skipTLSVerify: true }],
        users: [{ name: 'u', token: 'x' }],
        contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
        currentContext: 'ctx',
      });
      const api = createClusterApi(kc);
      for (const attempt of [
        api.addEphemeralContainer(appPod(), { container: debugContainer() } as never),
        api.createPod('shop', { pod: appPod() } as never),
      ]) {
        await assert.rejects(attempt, (error: unknown) => error instanceof ClusterError && error.reason === 'PolicyNotApplied' && !error.message.includes('\n'));
      }
    });
  });

  describe('security #12.5: the session time limit cannot be dropped by a custom spec or template', () => {
    const policy: DebugPolicy = { sessionTimeLimitMinutes: 60 };
    const context = { pod: appPod(), namespacePodSecurityLevel: 'privileged' as const, policy, now: () => NOW };
    const expected = new Date(NOW.getTime() + 60 * 60_000).toISOString();
    const envOf = (c: V1EphemeralContainer): Record<string, string | undefined> => Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));

    it('security #12.5: a custom spec with env: null keeps DEBUG_SESSION_DEADLINE and DEBUG_SESSION_ID', () => {
      const built = buildDebugContainer({ image: 'busybox:1.36', profile: 'general', targetContainer: 'app', sessionId: 's-1', custom: { env: null } as never }, context);
      assert.equal(envOf(built.checked.container)[DEBUG_SESSION_DEADLINE_ENV], expected);
      assert.equal(envOf(built.checked.container)[DEBUG_SESSION_ENV], 's-1');
    });

    it('security #12.5: a custom spec setting its own DEBUG_SESSION_DEADLINE (value or valueFrom) does not move the deadline', () => {
      for (const own of [{ name: DEBUG_SESSION_DEADLINE_ENV, value: '2099-01-01T00:00:00Z' }, { name: DEBUG_SESSION_DEADLINE_ENV, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }]) {
        const built = buildDebugContainer({ image: 'busybox:1.36', profile: 'general', targetContainer: 'app', custom: { env: [own, { name: 'KEEP', value: 'me' }] } }, context);
        const deadlines = (built.checked.container.env ?? []).filter((e) => e.name === DEBUG_SESSION_DEADLINE_ENV);
        assert.deepEqual(deadlines, [{ name: DEBUG_SESSION_DEADLINE_ENV, value: expected }]);
        assert.equal(envOf(built.checked.container).KEEP, 'me', 'the custom spec\'s other variables stay');
      }
    });

    it('security #12.5: the debug container of a pod copy keeps its deadline too', () => {
      const copy = buildPodCopy(appPod(), { debugContainer: { image: 'busybox:1.36', custom: { env: [{ name: DEBUG_SESSION_DEADLINE_ENV, value: '2099-01-01T00:00:00Z' }] } } }, { creator: 'me', policy, now: () => NOW });
      const added = copy.checked.pod.spec?.containers.find((c) => c.name === copy.debugContainerName);
      assert.deepEqual(added?.env?.filter((e) => e.name === DEBUG_SESSION_DEADLINE_ENV), [{ name: DEBUG_SESSION_DEADLINE_ENV, value: expected }]);
    });
  });

  describe('security #12.5: reusing a running debug container passes the policy of a new one', () => {
    const refusals: { what: string; container: V1EphemeralContainer; policy: DebugPolicy; namespace?: string; message: RegExp }[] = [
      { what: 'namespace not allowed', container: debugContainer(), policy: { allowedNamespaces: ['dev-*'] }, message: /^debugging in namespace "shop" is not allowed by policy/ },
      { what: 'image not allowed', container: debugContainer(), policy: { allowedImages: ['registry.example.com/**'] }, message: /^cannot reuse: image "busybox:1\.36" of debug container "debugger-abcde" is not allowed by policy .*; add a new debug container instead/ },
      { what: 'unpinned image', container: debugContainer(), policy: { requireDigest: true }, message: /^cannot reuse: image "busybox:1\.36" of debug container "debugger-abcde" is not pinned/ },
      { what: 'more than the maximum profile', container: debugContainer({ securityContext: { privileged: true } }), policy: { maxProfile: 'general' }, message: /^cannot reuse debug container "debugger-abcde": it has more than the maximum profile "general" allowed by policy \(sets privileged=true\)/ },
      { what: 'no deadline under a time limit', container: debugContainer({ env: undefined }), policy: { sessionTimeLimitMinutes: 60 }, message: /carries no session deadline and policy limits sessions to 60 minutes/ },
      { what: 'a deadline beyond the time limit', container: debugContainer({ env: [{ name: DEBUG_SESSION_DEADLINE_ENV, value: '2099-01-01T00:00:00.000Z' }] }), policy: { sessionTimeLimitMinutes: 60 }, message: /its session deadline 2099-01-01T00:00:00\.000Z is later than the policy's 60 minutes allow/ },
      { what: 'a passed deadline', container: debugContainer({ env: [{ name: DEBUG_SESSION_DEADLINE_ENV, value: '2026-01-01T11:00:00.000Z' }] }), policy: { sessionTimeLimitMinutes: 60 }, message: /its session deadline 2026-01-01T11:00:00\.000Z has passed/ },
    ];
    for (const refusal of refusals) {
      it(`security #12.5: refuses reuse (${refusal.what}) with a one-line message`, () => {
        assert.throws(() => checkReusableDebugContainer(appPod([refusal.container]), refusal.container.name, refusal.policy, NOW), (error: unknown) => {
          assert.ok(error instanceof DebugSpecError);
          assert.match(error.message, refusal.message);
          assert.ok(!error.message.includes('\n'));
          return true;
        });
      });
    }

    it('security #12.5: allows a container within the policy (deadline inside the limit)', () => {
      assert.doesNotThrow(() => checkReusableDebugContainer(appPod([debugContainer()]), 'debugger-abcde', { allowedNamespaces: ['shop'], allowedImages: ['busybox:*'], maxProfile: 'general', sessionTimeLimitMinutes: 60 }, NOW));
    });

    it('security #12.5: the debugger does not reuse a container the policy refuses (it adds a new one)', () => {
      const pod = appPod([debugContainer({ env: undefined })]);
      assert.equal(findReusable(pod, 'busybox:1.36', 'app', true, undefined, undefined), 'debugger-abcde', 'reused without a policy');
      assert.equal(findReusable(pod, 'busybox:1.36', 'app', true, undefined, { sessionTimeLimitMinutes: 60 }), undefined);
      assert.equal(findReusable(pod, 'busybox:1.36', 'app', true, undefined, { maxProfile: 'baseline' }), undefined);
    });

    it('security #12.5: diagnostics do not pick a running container the policy refuses', () => {
      const pod = appPod([debugContainer({ env: undefined })]);
      const policy: DebugPolicy = { sessionTimeLimitMinutes: 60 };
      assert.deepEqual(chooseDiagnosticsContainer(pod, undefined), { use: 'debugger-abcde', targetContainer: 'app' });
      assert.deepEqual(chooseDiagnosticsContainer(pod, undefined, (name) => passesReusePolicy(pod, name, policy)), { add: true, targetContainer: 'app' });
    });
  });

  describe('security #12.3: Open Target Filesystem → Add Debug Container', () => {
    it('security #12.3: goes through the governance policy and a session id like every other way of adding one', () => {
      const settings = normalizeSettings({}, false, { policy: { allowedNamespaces: ['dev-*'], maxProfile: 'baseline', sessionTimeLimitMinutes: 30 }, timeLimitWarningMinutes: 5, problems: [] });
      const { request, settings: attach } = targetFilesystemAttach({ namespace: 'shop', pod: 'web', container: 'app' }, settings, 'session-1');
      assert.deepEqual(attach.policy, settings.policy);
      assert.equal(request.sessionId, 'session-1');
      assert.equal(request.profile, 'auto');
      assert.equal(attach.skipPrivilegedConfirmation, false);
    });
  });

  describe('security #12.11: interactive: false does not skip the privileged-profile question', () => {
    const info = { podName: 'web', profile: 'general' as const, grants: ['SYS_PTRACE'], profileReason: 'ptrace' };
    it('security #12.11: refuses, with what to do, when nobody can answer and the setting asks for a confirmation', async () => {
      let asked = 0;
      const confirm = privilegedProfileConfirmation({ confirmPrivilegedProfiles: true }, false, async () => (asked++, true));
      await assert.rejects(confirm(info), /needs a confirmation that a non-interactive call cannot give; run the command interactively, or turn off the user setting ephemeralDebug\.confirmPrivilegedProfiles$/);
      assert.equal(asked, 0);
    });
    it('security #12.11: asks when interactive; only the setting skips the question', async () => {
      let asked = 0;
      assert.equal(await privilegedProfileConfirmation({ confirmPrivilegedProfiles: true }, true, async () => (asked++, false))(info), false);
      assert.equal(asked, 1);
      assert.equal(await privilegedProfileConfirmation({ confirmPrivilegedProfiles: false }, false, async () => (asked++, false))(info), true);
      assert.equal(asked, 1);
    });
  });
});

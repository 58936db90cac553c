import assert from 'node:assert/strict';
import type { V1Container, V1EphemeralContainer, V1Pod, V1PodSecurityContext } from '@kubernetes/client-node';
import {
  DEBUG_PROFILES,
  NAMED_PROFILES,
  PROFILE_PRIVILEGE_RANK,
  applyContainerSecurityEffect,
  chooseAutoProfile,
  ephemeralSecurityContextFor,
  profilesWithin,
  securityContextExceedsProfile,
} from '../../../src/debug/profiles';
import {
  checkEphemeralContainer,
  evaluatePodSecurity,
  findNonCompliantEphemeralContainers,
  formatPodSecurityViolations,
  podSecurityLevelFromNamespaceLabels,
} from '../../../src/debug/podSecurity';

function pod(options: { container?: Partial<V1Container>; podSecurityContext?: V1PodSecurityContext; ephemeral?: V1EphemeralContainer[] } = {}): V1Pod {
  return {
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      securityContext: options.podSecurityContext,
      containers: [{ name: 'app', image: 'app:1', ...options.container }],
      ephemeralContainers: options.ephemeral,
    },
  };
}

describe('debug profiles (kubectl profiles.go)', () => {
  describe('ephemeral container securityContext per profile', () => {
    const expected = {
      legacy: undefined,
      general: { capabilities: { add: ['SYS_PTRACE'] } },
      baseline: undefined,
      restricted: {
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
        allowPrivilegeEscalation: false,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      netadmin: { capabilities: { add: ['NET_ADMIN', 'NET_RAW'] } },
      sysadmin: { privileged: true },
    } as const;
    for (const profile of NAMED_PROFILES) {
      it(profile, () => assert.deepEqual(ephemeralSecurityContextFor(profile), expected[profile]));
    }
  });

  it('applies effects over an existing context like kubectl (append, clear, replace capabilities)', () => {
    const existing = { runAsUser: 5, capabilities: { add: ['CHOWN'] } };
    assert.deepEqual(applyContainerSecurityEffect(DEBUG_PROFILES.general.ephemeral, existing), { runAsUser: 5, capabilities: { add: ['CHOWN', 'SYS_PTRACE'] } });
    assert.equal(applyContainerSecurityEffect(DEBUG_PROFILES.baseline.ephemeral, existing), undefined);
    assert.deepEqual(applyContainerSecurityEffect(DEBUG_PROFILES.restricted.ephemeral, existing), ephemeralSecurityContextFor('restricted'));
    assert.deepEqual(applyContainerSecurityEffect(DEBUG_PROFILES.sysadmin.ephemeral, existing), { ...existing, privileged: true });
    assert.deepEqual(existing, { runAsUser: 5, capabilities: { add: ['CHOWN'] } }, 'input not mutated');
  });

  it('describes copy-pod and node effects as data', () => {
    assert.equal(DEBUG_PROFILES.legacy.podCopy.removeLabels, 'always');
    assert.equal(DEBUG_PROFILES.legacy.podCopy.shareProcessNamespace, false);
    for (const profile of ['general', 'baseline', 'restricted', 'netadmin', 'sysadmin'] as const) {
      const copy = DEBUG_PROFILES[profile].podCopy;
      assert.deepEqual([copy.removeLabels, copy.removeAnnotations, copy.removeProbes, copy.removeInitContainers, copy.shareProcessNamespace], ['unless-kept', true, true, true, true], profile);
    }
    assert.deepEqual(DEBUG_PROFILES.general.podCopy.debugContainer.addCapabilities, ['SYS_PTRACE']);
    assert.equal(DEBUG_PROFILES.general.node.debugContainer.clearSecurityContext, true);
    assert.deepEqual(
      NAMED_PROFILES.filter((p) => DEBUG_PROFILES[p].node.mountHostRoot),
      ['legacy', 'general', 'sysadmin'],
    );
    assert.deepEqual(
      NAMED_PROFILES.filter((p) => DEBUG_PROFILES[p].node.useHostNamespaces),
      ['legacy', 'general', 'netadmin', 'sysadmin'],
    );
  });

  it('orders privilege restricted < baseline = legacy < general < netadmin < sysadmin', () => {
    const rank = PROFILE_PRIVILEGE_RANK;
    assert.ok(rank.restricted < rank.baseline && rank.baseline < rank.general && rank.general < rank.netadmin && rank.netadmin < rank.sysadmin);
    assert.equal(PROFILE_PRIVILEGE_RANK.legacy, PROFILE_PRIVILEGE_RANK.baseline);
    assert.deepEqual(profilesWithin('general'), ['legacy', 'general', 'baseline', 'restricted']);
    assert.deepEqual(profilesWithin('restricted'), ['restricted']);
  });

  it('judges a final securityContext against a maximum profile by its effects', () => {
    const p = pod();
    assert.equal(securityContextExceedsProfile({ capabilities: { add: ['SYS_PTRACE'] } }, p, 'general'), undefined);
    assert.equal(securityContextExceedsProfile({ capabilities: { add: ['SYS_PTRACE'] } }, p, 'baseline'), 'adds capabilities SYS_PTRACE');
    assert.equal(securityContextExceedsProfile({ privileged: true }, p, 'netadmin'), 'sets privileged=true');
    assert.equal(securityContextExceedsProfile({ privileged: true }, p, 'sysadmin'), undefined);
    assert.match(securityContextExceedsProfile(undefined, p, 'restricted') ?? '', /^allowPrivilegeEscalation != false/);
  });
});

describe('auto profile', () => {
  it('root target with default capabilities, privileged namespace → baseline: no SYS_PTRACE needed to read it', () => {
    const decision = chooseAutoProfile({ pod: pod({ container: { securityContext: { runAsUser: 0 } } }), targetContainerName: 'app', podSecurityLevel: 'privileged' });
    assert.equal(decision.profile, 'baseline');
    assert.equal(decision.targetFilesystemReadable, 'yes');
    assert.deepEqual(decision.identity, {});
    assert.match(decision.reason, /^baseline \(root, the runtime's default capabilities\): target container "app" runs as root with no capability beyond those/);
  });

  it('root target holding a capability beyond the defaults, privileged namespace → general', () => {
    const decision = chooseAutoProfile({ pod: pod({ container: { securityContext: { runAsUser: 0, capabilities: { add: ['SYS_ADMIN'] } } } }), podSecurityLevel: 'privileged' });
    assert.equal(decision.profile, 'general');
    assert.match(decision.reason, /SYS_ADMIN/);
  });

  it('uid from the container status (kubelet 1.33+) when the spec leaves it to the image', () => {
    const running = (uid: number, gid: number): V1Pod => ({ ...pod(), status: { containerStatuses: [{ name: 'app', image: 'app:1', imageID: '', ready: true, restartCount: 0, user: { linux: { uid, gid, supplementalGroups: [gid] } } }] } });
    const root = chooseAutoProfile({ pod: running(0, 0), podSecurityLevel: 'privileged' });
    assert.equal(root.profile, 'baseline');
    assert.match(root.reason, /runs as root \(as its status reports\)/);
    const nonRoot = chooseAutoProfile({ pod: running(65532, 65532), podSecurityLevel: 'privileged' });
    assert.equal(nonRoot.profile, 'restricted');
    assert.deepEqual(nonRoot.identity, { runAsUser: 65532, runAsGroup: 65532 });
  });

  it('a user chosen by the image and not reported → general, since only SYS_PTRACE reads any user', () => {
    const decision = chooseAutoProfile({ pod: pod(), podSecurityLevel: 'privileged' });
    assert.equal(decision.profile, 'general');
    assert.match(decision.reason, /does not report the user/);
  });

  it('root target, baseline namespace → baseline (same uid and default capabilities suffice)', () => {
    const decision = chooseAutoProfile({ pod: pod({ container: { securityContext: { runAsUser: 0 } } }), targetContainerName: 'app', podSecurityLevel: 'baseline' });
    assert.equal(decision.profile, 'baseline');
    assert.equal(decision.targetFilesystemReadable, 'yes');
    assert.match(decision.reason, /without SYS_PTRACE/);
  });

  it('root target holding extra capabilities, baseline ceiling → baseline but not readable', () => {
    const decision = chooseAutoProfile({
      pod: pod({ container: { securityContext: { runAsUser: 0, capabilities: { add: ['NET_ADMIN'] } } } }),
      podSecurityLevel: 'privileged',
      maxProfile: 'baseline',
    });
    assert.equal(decision.profile, 'baseline');
    assert.equal(decision.targetFilesystemReadable, 'no');
    assert.match(decision.reason, /NET_ADMIN/);
    assert.match(decision.reason, /policy maximum "baseline"/);
  });

  it('root target, restricted namespace → restricted with an explanation', () => {
    const decision = chooseAutoProfile({ pod: pod(), targetContainerName: 'app', podSecurityLevel: 'restricted' });
    assert.equal(decision.profile, 'restricted');
    assert.equal(decision.targetFilesystemReadable, 'no');
    assert.match(decision.reason, /probably runs as root/);
    assert.match(decision.reason, /requires a non-root debug container/);
  });

  it('uid 1000 target in a restricted namespace → restricted as uid/gid 1000', () => {
    const decision = chooseAutoProfile({
      pod: pod({ podSecurityContext: { runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true } }),
      targetContainerName: 'app',
      podSecurityLevel: 'restricted',
    });
    assert.equal(decision.profile, 'restricted');
    assert.deepEqual(decision.identity, { runAsUser: 1000, runAsGroup: 1000 });
    assert.equal(decision.targetFilesystemReadable, 'yes');
  });

  it('container-level uid wins over pod-level, and an unknown gid is reported', () => {
    const decision = chooseAutoProfile({
      pod: pod({ podSecurityContext: { runAsUser: 1000 }, container: { securityContext: { runAsUser: 2000 } } }),
      podSecurityLevel: 'privileged',
    });
    assert.deepEqual(decision.identity, { runAsUser: 2000 });
    assert.equal(decision.targetFilesystemReadable, 'unknown');
  });

  it('non-root target with an image-defined uid: general when allowed, otherwise a hint', () => {
    const nonRoot = pod({ podSecurityContext: { runAsNonRoot: true } });
    const privileged = chooseAutoProfile({ pod: nonRoot, podSecurityLevel: 'privileged' });
    assert.equal(privileged.profile, 'general');
    assert.deepEqual(privileged.identity, { runAsUser: 0, runAsNonRoot: false }, 'undo the inherited runAsNonRoot');
    const baseline = chooseAutoProfile({ pod: nonRoot, podSecurityLevel: 'baseline' });
    assert.equal(baseline.profile, 'baseline');
    assert.equal(baseline.targetFilesystemReadable, 'no');
    assert.match(baseline.reason, /runAsUser/);
  });
});

describe('Pod Security checks (pod-security-admission strings)', () => {
  const debuggerWith = (securityContext?: object) => ({ name: 'debugger-abcde', image: 'busybox', securityContext });

  it('reads the enforce label, failing closed on invalid values', () => {
    assert.equal(podSecurityLevelFromNamespaceLabels(undefined), 'privileged');
    assert.equal(podSecurityLevelFromNamespaceLabels({ 'pod-security.kubernetes.io/enforce': 'baseline' }), 'baseline');
    assert.equal(podSecurityLevelFromNamespaceLabels({ 'pod-security.kubernetes.io/enforce': 'bogus' }), 'restricted');
  });

  it('an unconfigured container in restricted gives the server message', () => {
    const violations = checkEphemeralContainer(debuggerWith(), pod(), 'restricted');
    assert.equal(
      formatPodSecurityViolations('restricted', violations),
      'violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "debugger-abcde" must set securityContext.allowPrivilegeEscalation=false), ' +
        'unrestricted capabilities (container "debugger-abcde" must set securityContext.capabilities.drop=["ALL"]), ' +
        'runAsNonRoot != true (pod or container "debugger-abcde" must set securityContext.runAsNonRoot=true), ' +
        'seccompProfile (pod or container "debugger-abcde" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
  });

  it('the restricted profile passes restricted; pod-level settings are inherited', () => {
    assert.deepEqual(checkEphemeralContainer(debuggerWith(ephemeralSecurityContextFor('restricted')), pod(), 'restricted'), []);
    const inherits = pod({ podSecurityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } } });
    assert.deepEqual(
      checkEphemeralContainer(debuggerWith({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }), inherits, 'restricted'),
      [],
    );
  });

  it('general in baseline: non-default capabilities', () => {
    const [violation, ...rest] = checkEphemeralContainer(debuggerWith(ephemeralSecurityContextFor('general')), pod(), 'baseline');
    assert.deepEqual(rest, []);
    assert.equal(violation.reason, 'non-default capabilities');
    assert.equal(violation.detail, 'container "debugger-abcde" must not include "SYS_PTRACE" in securityContext.capabilities.add');
  });

  it('sysadmin in baseline: privileged; netadmin in restricted: both capability details', () => {
    const [privileged] = checkEphemeralContainer(debuggerWith({ privileged: true }), pod(), 'baseline');
    assert.equal(privileged.detail, 'container "debugger-abcde" must not set securityContext.privileged=true');
    const capabilities = checkEphemeralContainer(debuggerWith(ephemeralSecurityContextFor('netadmin')), pod(), 'restricted').find(
      (v) => v.checkId === 'capabilities_restricted',
    );
    assert.equal(
      capabilities?.detail,
      'container "debugger-abcde" must set securityContext.capabilities.drop=["ALL"]; container "debugger-abcde" must not include "NET_ADMIN", "NET_RAW" in securityContext.capabilities.add',
    );
  });

  it('reports pod-level setters and explicit values', () => {
    const violations = checkEphemeralContainer(
      debuggerWith({ ...ephemeralSecurityContextFor('restricted'), runAsUser: 0, seccompProfile: { type: 'Unconfined' }, procMount: 'Unmasked' }),
      pod({ podSecurityContext: { runAsUser: 0 } }),
      'restricted',
    );
    assert.deepEqual(
      violations.map((v) => `${v.reason} (${v.detail})`),
      [
        'procMount (container "debugger-abcde" must not set securityContext.procMount to "Unmasked")',
        'runAsUser=0 (pod and container "debugger-abcde" must not set runAsUser=0)',
        'seccompProfile (container "debugger-abcde" must not set securityContext.seccompProfile.type to "Unconfined")',
      ],
    );
  });

  it('finds leftover ephemeral containers that block every later add', () => {
    const withLeftover = pod({
      container: { securityContext: ephemeralSecurityContextFor('restricted') },
      podSecurityContext: {},
      ephemeral: [
        { name: 'debugger-old', image: 'busybox', securityContext: ephemeralSecurityContextFor('general') },
        { name: 'debugger-ok', image: 'busybox', securityContext: ephemeralSecurityContextFor('restricted') },
      ],
    });
    const leftovers = findNonCompliantEphemeralContainers(withLeftover, 'restricted');
    assert.deepEqual(leftovers.map((l) => l.name), ['debugger-old']);
    assert.match(formatPodSecurityViolations('restricted', evaluatePodSecurity(withLeftover, 'restricted')), /container "debugger-old" must set securityContext\.allowPrivilegeEscalation=false/);
    assert.deepEqual(findNonCompliantEphemeralContainers(withLeftover, 'baseline').map((l) => l.name), ['debugger-old']);
    assert.deepEqual(findNonCompliantEphemeralContainers(withLeftover, 'privileged'), []);
  });
});

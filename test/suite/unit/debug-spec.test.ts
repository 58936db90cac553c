import assert from 'node:assert/strict';
import type { V1EphemeralContainer, V1Pod, V1PodSecurityContext } from '@kubernetes/client-node';
import {
  DEBUG_CONTAINER_NAME_ALPHABET,
  DebugSpecError,
  buildDebugContainer,
  generateDebugContainerName,
  type DebugContainerContext,
  type DebugContainerOptions,
} from '../../../src/debug/debugContainerSpec';
import { parseCustomContainerSpec } from '../../../src/debug/customSpec';
import { globMatches, parseImageReference } from '../../../src/debug/imageReference';
import { ephemeralSecurityContextFor } from '../../../src/debug/profiles';
import { STRATEGIC_MERGE_PATCH_CONTENT_TYPE, buildEphemeralContainerPatch } from '../../../src/debug/strategicPatch';

function makePod(options: { podSecurityContext?: V1PodSecurityContext; ephemeral?: V1EphemeralContainer[]; annotations?: Record<string, string> } = {}): V1Pod {
  return {
    metadata: { name: 'web', namespace: 'shop', annotations: options.annotations },
    spec: {
      securityContext: options.podSecurityContext,
      initContainers: [{ name: 'migrate', image: 'migrate:1' }],
      containers: [{ name: 'app', image: 'app:1' }],
      ephemeralContainers: options.ephemeral,
      volumes: [{ name: 'data', emptyDir: {} }],
    },
  };
}

/** A pod running as uid/gid 1000 that complies with the restricted level. */
function restrictedPod(): V1Pod {
  const pod = makePod({ podSecurityContext: { runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } } });
  for (const container of [...pod.spec!.containers, ...pod.spec!.initContainers!]) {
    container.securityContext = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };
  }
  return pod;
}

/** Random source replaying fixed alphabet indexes, so names are predictable. */
function indexes(...values: number[]): () => number {
  let position = 0;
  return () => (values[position++ % values.length] + 0.5) / DEBUG_CONTAINER_NAME_ALPHABET.length;
}

const build = (options: Partial<DebugContainerOptions> = {}, context: Partial<DebugContainerContext> = {}) =>
  buildDebugContainer(
    { image: 'busybox:1.36', profile: 'general', targetContainer: 'app', ...options },
    { pod: makePod(), namespacePodSecurityLevel: 'privileged', random: indexes(0), ...context },
  );

function assertSpecError(action: () => unknown, code: string, message: RegExp | string): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof DebugSpecError, `expected DebugSpecError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (typeof message === 'string') {
      assert.equal(error.message, message);
    } else {
      assert.match(error.message, message);
    }
    assert.ok(!error.message.includes('\n'), 'one line');
    return true;
  });
}

describe('buildDebugContainer', () => {
  it('builds kubectl\'s container: name, stdin/tty, File termination messages, target, env, session id', () => {
    const result = build({ env: [{ name: 'A', value: '1' }], sessionId: 's-42', command: ['sh'], args: ['-l'] });
    assert.deepEqual(result.container, {
      name: 'debugger-bbbbb',
      image: 'busybox:1.36',
      stdin: true,
      tty: true,
      terminationMessagePolicy: 'File',
      env: [
        { name: 'A', value: '1' },
        { name: 'DEBUG_SESSION_ID', value: 's-42' },
      ],
      command: ['sh'],
      args: ['-l'],
      targetContainerName: 'app',
      securityContext: { capabilities: { add: ['SYS_PTRACE'] } },
    });
    assert.equal(result.profile, 'general');
    assert.deepEqual(result.warnings, []);
  });

  it('regenerates the default name until it is unused across all container kinds', () => {
    const pod = makePod({ ephemeral: [{ name: 'debugger-bbbbb', image: 'busybox' }] });
    // First draw: bbbbb (taken), second draw: ccccc.
    assert.equal(generateDebugContainerName(pod, indexes(0, 0, 0, 0, 0, 1, 1, 1, 1, 1)), 'debugger-ccccc');
    assert.match(generateDebugContainerName(pod), /^debugger-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assertSpecError(() => generateDebugContainerName(pod, indexes(0)), 'duplicate-name', /pass a name explicitly/);
  });

  it('auto: uid 1000 target in a restricted namespace runs as 1000 and passes restricted', () => {
    const result = build({ profile: 'auto' }, { pod: restrictedPod(), namespacePodSecurityLevel: 'restricted' });
    assert.equal(result.profile, 'restricted');
    assert.deepEqual(result.container.securityContext, { ...ephemeralSecurityContextFor('restricted'), runAsUser: 1000, runAsGroup: 1000 });
    assert.deepEqual(result.warnings, []);
  });

  it('auto: root target in a restricted namespace warns that files are unreadable', () => {
    const result = build({ profile: 'auto' }, { namespacePodSecurityLevel: 'restricted', skipPodSecurityPrecheck: true });
    assert.equal(result.profile, 'restricted');
    assert.ok(result.warnings.some((w) => w.startsWith('auto profile: restricted:')));
    assert.ok(result.warnings.some((w) => w.includes('CreateContainerConfigError')));
  });

  it('emits kubectl\'s non-root warning when capabilities would be ineffective', () => {
    const result = build({}, { pod: makePod({ podSecurityContext: { runAsUser: 1000 } }) });
    assert.ok(result.warnings.some((w) => w.startsWith('Non-root user is configured for the entire target Pod')));
    const root = build({ custom: { securityContext: { runAsUser: 0 } } }, { pod: makePod({ podSecurityContext: { runAsUser: 1000 } }) });
    assert.ok(!root.warnings.some((w) => w.startsWith('Non-root user')));
  });

  it('warns that legacy is deprecated', () => {
    assert.match(build({ profile: 'legacy' }).warnings.join('|'), /"legacy" is deprecated/);
  });

  describe('validation errors', () => {
    it('image syntax', () => {
      assertSpecError(() => build({ image: 'BusyBox' }), 'invalid-image', /^invalid image name "BusyBox": the repository name must be lowercase; /);
      assertSpecError(() => build({ image: 'busybox@sha256:abc' }), 'invalid-image', /digest must look like @sha256/);
      assertSpecError(() => build({ image: `busybox@sha256:${'a'.repeat(63)}x` }), 'invalid-image', /invalid image name/);
      assertSpecError(() => build({ image: '' }), 'invalid-image', /the image is empty/);
    });

    it('image policy: allowed patterns and digests', () => {
      const policy = { allowedImages: ['ghcr.io/acme/**', 'docker.io/library/busybox:*'] };
      assert.equal(build({ image: 'busybox:1.36' }, { policy }).container.image, 'busybox:1.36');
      assertSpecError(
        () => build({ image: 'alpine:3' }, { policy }),
        'image-not-allowed',
        'image "alpine:3" is not allowed by policy (allowed: ghcr.io/acme/**, docker.io/library/busybox:*); pick a matching image or ask an administrator',
      );
      const digest = `sha256:${'0123456789abcdef'.repeat(4)}`;
      assert.ok(build({ image: `ghcr.io/acme/tools@${digest}` }, { policy: { ...policy, requireDigest: true } }));
      assertSpecError(() => build({}, { policy: { requireDigest: true } }), 'digest-required', /^image "busybox:1.36" is not pinned and policy requires a digest; use busybox:1.36@sha256:<digest>/);
    });

    it('maximum profile and namespaces', () => {
      assertSpecError(
        () => build({ profile: 'sysadmin' }, { policy: { maxProfile: 'general' } }),
        'profile-not-allowed',
        'profile "sysadmin" exceeds the maximum profile "general" allowed by policy; choose auto or one of legacy, general, baseline, restricted',
      );
      assertSpecError(
        () => build({ profile: 'baseline', custom: { securityContext: { capabilities: { add: ['SYS_ADMIN'] } } } }, { policy: { maxProfile: 'general' } }),
        'profile-not-allowed',
        /grants more than the maximum profile "general" allowed by policy: adds capabilities SYS_ADMIN/,
      );
      assertSpecError(() => build({}, { policy: { allowedNamespaces: ['dev-*'] } }), 'namespace-not-allowed', /^debugging in namespace "shop" is not allowed by policy \(allowed namespaces: dev-\*\)/);
      assert.equal(build({ profile: 'auto' }, { policy: { maxProfile: 'baseline' } }).profile, 'baseline');
      assertSpecError(() => build({ profile: 'superuser' as 'general' }), 'unknown-profile', /unknown profile "superuser"/);
    });

    it('names', () => {
      assertSpecError(() => build({ name: 'Debug_1' }), 'invalid-name', /^invalid container name "Debug_1": it must be a DNS-1123 label/);
      assertSpecError(() => build({ name: 'x'.repeat(64) }), 'invalid-name', /at most 63 characters/);
      assertSpecError(() => build({ name: 'migrate' }), 'duplicate-name', /^container name "migrate" is already used in this pod/);
      assert.equal(build({ name: 'my-debugger' }).container.name, 'my-debugger');
    });

    it('targets', () => {
      const pod = makePod({ ephemeral: [{ name: 'debugger-old', image: 'busybox' }] });
      assertSpecError(() => build({ targetContainer: 'debugger-old' }, { pod }), 'invalid-target', 'target "debugger-old" is an ephemeral container; a target must be a regular or init container (app, migrate)');
      assertSpecError(() => build({ targetContainer: 'nope' }), 'invalid-target', 'target container "nope" is not in pod "web"; choose one of app, migrate');
      assert.match(build({ targetContainer: 'migrate' }).warnings.join('|'), /init container that has finished/);
      assert.match(build({ targetContainer: undefined }).warnings.join('|'), /own process namespace/);
    });

    it('options', () => {
      assertSpecError(() => build({ stdin: false }), 'invalid-option', 'a TTY needs stdin: enable stdin or disable tty');
      assert.equal(build({ stdin: false, tty: false }).container.stdin, false);
      assertSpecError(() => build({ env: [{ name: 'A=B', value: '' }] }), 'invalid-option', /invalid environment variable name "A=B"/);
    });

    it('pods that cannot take ephemeral containers', () => {
      assertSpecError(() => build({}, { pod: makePod({ annotations: { 'kubernetes.io/config.mirror': 'x' } }) }), 'invalid-pod', /static \(mirror\) pod/);
      const finished = makePod();
      finished.status = { phase: 'Succeeded' };
      assertSpecError(() => build({}, { pod: finished }), 'invalid-pod', /has finished \(phase Succeeded\)/);
    });
  });

  describe('custom spec (kubectl --custom)', () => {
    it('is merged after the profile with strategic-merge rules', () => {
      const result = build({
        env: [{ name: 'A', value: '1' }],
        custom: {
          env: [{ name: 'A', value: 'overridden' }, { name: 'B', value: '2' }],
          securityContext: { runAsUser: 0, capabilities: { add: ['NET_ADMIN'] } },
          volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true }],
          args: ['-c', 'true'],
          workingDir: '/data',
        },
      });
      assert.deepEqual(result.container.env, [
        { name: 'A', value: 'overridden' },
        { name: 'B', value: '2' },
      ]);
      assert.deepEqual(result.container.securityContext, { runAsUser: 0, capabilities: { add: ['NET_ADMIN'] } }, 'lists inside objects are replaced');
      assert.deepEqual(result.container.volumeMounts, [{ name: 'data', mountPath: '/data', readOnly: true }]);
      assert.deepEqual(result.container.args, ['-c', 'true']);
      assert.equal(result.container.workingDir, '/data');
    });

    it('null removes a field', () => {
      assert.equal(build({ custom: { securityContext: null } }).container.securityContext, undefined);
    });

    it('parses JSON or YAML', () => {
      assert.deepEqual(parseCustomContainerSpec('{"stdin": true}'), { stdin: true });
      assert.deepEqual(parseCustomContainerSpec('securityContext:\n  runAsUser: 1000\n'), { securityContext: { runAsUser: 1000 } });
      assertSpecError(() => parseCustomContainerSpec('- a'), 'invalid-custom', /does not contain a valid container spec/);
    });

    it('rejects fields kubectl or the API server reject', () => {
      assertSpecError(() => build({ custom: { image: 'alpine' } }), 'invalid-custom', /^custom spec sets "image": name, command, image, lifecycle and volumeDevices are not modifiable via a custom profile/);
      assertSpecError(() => build({ custom: { command: ['sh'], name: 'x' } }), 'invalid-custom', /^custom spec sets "name", "command"/);
      assertSpecError(() => build({ custom: { lifecycle: {} } }), 'invalid-custom', /not modifiable/);
      for (const field of ['ports', 'resources', 'livenessProbe', 'readinessProbe', 'startupProbe', 'resizePolicy', 'restartPolicy']) {
        assertSpecError(() => build({ custom: { [field]: [] } }), 'invalid-custom', `custom spec field "${field}" cannot be set for an Ephemeral Container; remove it`);
      }
      assertSpecError(() => build({ custom: { volumeMounts: [{ name: 'data', mountPath: '/d', subPath: 'x' }] } }), 'invalid-custom', /volumeMounts\[0\]\.subPath cannot be set for an Ephemeral Container/);
      assertSpecError(() => build({ custom: { volumeMounts: [{ name: 'cache', mountPath: '/d' }] } }), 'invalid-custom', /names volume "cache", which the pod does not have \(volumes: data\)/);
      assertSpecError(() => build({ custom: { targetContainerName: 'app' } }), 'invalid-custom', /use the target container option/);
      assertSpecError(() => build({ custom: { securtyContext: {} } }), 'invalid-custom', /^custom spec has unknown field "securtyContext"/);
      assertSpecError(() => build({ custom: { tty: 'yes' } }), 'invalid-custom', 'custom spec field "tty" must be true or false');
    });
  });

  describe('Pod Security precheck', () => {
    it('names the violation and a profile that would pass', () => {
      assertSpecError(
        () => build({ profile: 'general' }, { namespacePodSecurityLevel: 'baseline' }),
        'pod-security-container',
        'debug container "debugger-bbbbb" would be rejected: PodSecurity "baseline:latest" is enforced in namespace "shop" and the container non-default capabilities (container "debugger-bbbbb" must not include "SYS_PTRACE" in securityContext.capabilities.add); use profile "baseline" instead',
      );
      assertSpecError(
        () => build({ profile: 'sysadmin' }, { pod: restrictedPod(), namespacePodSecurityLevel: 'restricted' }),
        'pod-security-container',
        /must not set securityContext.privileged=true\),.* use profile "restricted" instead$/,
      );
    });

    it('blames the custom spec when no profile can pass with it', () => {
      assertSpecError(
        () => build({ profile: 'restricted', custom: { securityContext: { privileged: true } } }, { namespacePodSecurityLevel: 'baseline' }),
        'pod-security-container',
        /no profile passes with this custom spec/,
      );
    });

    it('stops early on leftover ephemeral containers that block every add', () => {
      const pod = makePod({ ephemeral: [{ name: 'debugger-old', image: 'busybox', securityContext: { capabilities: { add: ['SYS_PTRACE'] } } }] });
      assertSpecError(
        () => build({ profile: 'baseline' }, { pod, namespacePodSecurityLevel: 'baseline' }),
        'pod-security-pod',
        /^pod "web" already has ephemeral container\(s\) "debugger-old" that violate PodSecurity "baseline:latest" \(non-default capabilities \(container "debugger-old" must not include "SYS_PTRACE" in securityContext.capabilities.add\)\); ephemeral containers cannot be removed/,
      );
      assert.ok(build({ profile: 'baseline' }, { pod, namespacePodSecurityLevel: 'baseline', skipPodSecurityPrecheck: true }));
    });

    it('reports a pod that itself violates the level', () => {
      assertSpecError(() => build({ profile: 'restricted' }, { namespacePodSecurityLevel: 'restricted' }), 'pod-security-pod', /^pod "web" itself violates PodSecurity "restricted:latest"/);
    });
  });
});

describe('image references', () => {
  it('accepts the docker reference grammar', () => {
    for (const image of ['busybox', 'busybox:1.36', 'library/busybox', 'localhost:5000/tools/debug:v1', 'registry.example.com/a/b-c__d.e:tag', `ghcr.io/x/y@sha256:${'a'.repeat(64)}`, '[::1]:5000/x']) {
      assert.ok(!('error' in parseImageReference(image)), image);
    }
    for (const image of ['busybox:', ':tag', 'a//b', 'a/-b', 'busybox:tag with space', `x@sha256:${'a'.repeat(65)}`]) {
      assert.ok('error' in parseImageReference(image), image);
    }
  });

  it('normalizes Docker Hub names', () => {
    const parsed = parseImageReference('busybox');
    assert.ok(!('error' in parsed));
    assert.equal(parsed.normalized, 'docker.io/library/busybox:latest');
  });

  it('globs: * stays within a path segment, ** crosses', () => {
    assert.ok(globMatches('ghcr.io/acme/*', 'ghcr.io/acme/tool:1'));
    assert.ok(!globMatches('ghcr.io/acme/*', 'ghcr.io/acme/team/tool:1'));
    assert.ok(globMatches('ghcr.io/acme/**', 'ghcr.io/acme/team/tool:1'));
  });
});

describe('ephemeralcontainers strategic-merge patch', () => {
  const container: V1EphemeralContainer = { name: 'debugger-new', image: 'busybox', targetContainerName: undefined };

  it('lists just the new container when the pod has none (no $setElementOrder, as apimachinery)', () => {
    assert.deepEqual(buildEphemeralContainerPatch(makePod(), container), { spec: { ephemeralContainers: [{ name: 'debugger-new', image: 'busybox' }] } });
    assert.equal(STRATEGIC_MERGE_PATCH_CONTENT_TYPE, 'application/strategic-merge-patch+json');
  });

  it('adds $setElementOrder with every name when containers exist', () => {
    const pod = makePod({ ephemeral: [{ name: 'debugger-old', image: 'busybox' }] });
    assert.deepEqual(buildEphemeralContainerPatch(pod, container), {
      spec: {
        '$setElementOrder/ephemeralContainers': [{ name: 'debugger-old' }, { name: 'debugger-new' }],
        ephemeralContainers: [{ name: 'debugger-new', image: 'busybox' }],
      },
    });
    assert.throws(() => buildEphemeralContainerPatch(pod, { name: 'debugger-old', image: 'x' }), /already has an ephemeral container named "debugger-old"/);
  });
});

/**
 * Issue #14, node debugging, the pure half: the node debug pod builder (kubectl's generateNodeDebugPod and the
 * profiles' node effects), the governance it applies (allowNodeDebug off by default and read from user settings
 * only, allowed images and namespaces, digests, the maximum profile), the one gate (only the builders mint a
 * PolicyCheckedPod: ESLint refuses any other file), and the equivalent kubectl command.
 */
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';
import type { V1Pod } from '@kubernetes/client-node';
import { buildNodeDebugPod, DEBUG_CONTAINER_NAME_ALPHABET, DEBUG_SESSION_DEADLINE_ENV, DEBUG_SESSION_ENV, generateNodeDebugPodName, NODE_DEBUG_PROFILES, type DebugPolicy, type NodeDebugOptions } from '../../../src/debug/debugContainerSpec';
import { DebugSpecError } from '../../../src/debug/errors';
import { kubectlDebugNodeCommand } from '../../../src/debug/kubectlEquivalent';
import { isNodeDebugPod, mountsHostRoot, NODE_DEBUG_LABEL, nodeOfDebugPod } from '../../../src/debug/nodeDebugPods';
import { DEBUG_PROFILES } from '../../../src/debug/profiles';
import { mergeGovernance } from '../../../src/ui/pure/governanceSettings';

const allowed: DebugPolicy = { allowNodeDebug: true };
const now = new Date('2026-12-07T21:00:00.000Z');
const request = (over: Partial<NodeDebugOptions> = {}): NodeDebugOptions => ({ nodeName: 'worker-1.example', namespace: 'ops', image: 'busybox:1.36', ...over });
const build = (over: Partial<NodeDebugOptions> = {}, policy: DebugPolicy = allowed, level?: 'privileged' | 'baseline' | 'restricted') =>
  buildNodeDebugPod(request(over), { creator: 'alice', policy, now: () => now, random: () => 0, ...(level ? { namespacePodSecurityLevel: level } : {}) });
const refusal = (code: string, pattern: RegExp) => (error: unknown) => error instanceof DebugSpecError && error.code === code && pattern.test(error.message) && !error.message.includes('\n');

describe('issue #14 node debugging: the node debug pod builder', () => {
  it('issue #14 node: general makes the pod of kubectl debug node/<node> (name, nodeName, host namespaces, / at /host, Never, tolerations, labels)', () => {
    const built = build({ sessionId: 'sess-1' });
    const pod = built.pod;
    assert.equal(built.podName, `node-debugger-worker-1.example-${DEBUG_CONTAINER_NAME_ALPHABET[0].repeat(5)}`);
    assert.equal(pod.metadata?.name, built.podName);
    assert.equal(pod.metadata?.namespace, 'ops');
    assert.equal(pod.spec?.nodeName, 'worker-1.example');
    assert.equal(pod.spec?.restartPolicy, 'Never');
    assert.deepEqual(pod.spec?.tolerations, [{ operator: 'Exists' }]);
    assert.deepEqual([pod.spec?.hostPID, pod.spec?.hostNetwork, pod.spec?.hostIPC], [true, true, true]);
    assert.deepEqual(pod.spec?.volumes, [{ name: 'host-root', hostPath: { path: '/' } }]);
    const container = pod.spec!.containers[0];
    assert.equal(container.name, 'debugger');
    assert.equal(container.image, 'busybox:1.36');
    assert.deepEqual([container.stdin, container.tty, container.terminationMessagePolicy], [true, true, 'File']);
    assert.deepEqual(container.volumeMounts, [{ name: 'host-root', mountPath: '/host' }]);
    assert.equal(container.securityContext, undefined, 'general clears the securityContext on a node');
    assert.deepEqual(container.env, [{ name: DEBUG_SESSION_ENV, value: 'sess-1' }]);
    assert.equal(pod.metadata?.labels?.['app.kubernetes.io/managed-by'], 'kubectl-debug');
    assert.equal(pod.metadata?.labels?.[NODE_DEBUG_LABEL], 'true');
    assert.equal(nodeOfDebugPod(pod), 'worker-1.example');
    assert.ok(isNodeDebugPod(pod) && mountsHostRoot(pod, 'debugger'));
    assert.equal(built.profile, 'general');
  });

  it("issue #14 node: each profile applies kubectl's node effect (profiles.go), legacy/general/sysadmin mount the root, baseline/restricted do not join the host", () => {
    const expected: Record<string, { host: boolean; root: boolean; sc: unknown }> = {
      general: { host: true, root: true, sc: undefined },
      legacy: { host: true, root: true, sc: undefined },
      sysadmin: { host: true, root: true, sc: { privileged: true } },
      netadmin: { host: true, root: false, sc: { capabilities: { add: ['NET_ADMIN', 'NET_RAW'] } } },
      baseline: { host: false, root: false, sc: undefined },
      restricted: { host: false, root: false, sc: { runAsNonRoot: true, capabilities: { drop: ['ALL'] }, allowPrivilegeEscalation: false, seccompProfile: { type: 'RuntimeDefault' } } },
    };
    assert.deepEqual([...NODE_DEBUG_PROFILES].sort(), Object.keys(expected).sort());
    for (const [profile, want] of Object.entries(expected)) {
      const built = build({ profile: profile as never });
      assert.equal(built.pod.spec?.hostPID === true, want.host, profile);
      assert.equal(built.pod.spec?.hostNetwork === true && built.pod.spec.hostIPC === true, want.host, profile);
      assert.equal(mountsHostRoot(built.pod, 'debugger'), want.root, profile);
      assert.deepEqual(built.pod.spec!.containers[0].securityContext, want.sc, profile);
      assert.equal(DEBUG_PROFILES[profile as never as 'general'].node.useHostNamespaces, want.host);
    }
  });

  it('issue #14 node: a node name too long for a pod name is shortened, never invalid; a bad node name is refused', () => {
    const long = `${'a'.repeat(240)}.x`;
    const name = generateNodeDebugPodName(long, () => 0.5);
    assert.ok(name.length <= 253 && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name), name);
    assert.throws(() => build({ nodeName: 'Bad_Node' }), refusal('invalid-option', /invalid node name "Bad_Node"/));
  });

  it('issue #14 node: a session time limit sets the deadline env and activeDeadlineSeconds, so the kubelet ends the pod', () => {
    const built = build({}, { allowNodeDebug: true, sessionTimeLimitMinutes: 30 });
    assert.equal(built.pod.spec?.activeDeadlineSeconds, 1800);
    assert.equal(built.pod.spec!.containers[0].env?.find((e) => e.name === DEBUG_SESSION_DEADLINE_ENV)?.value, new Date(now.getTime() + 1_800_000).toISOString());
  });
});

describe('issue #14 node debugging: governance', () => {
  it('issue #14 governance: without allowNodeDebug the builder refuses (the default policy), saying which user setting enables it', () => {
    for (const policy of [{}, { allowNodeDebug: false }, { maxProfile: 'sysadmin' as const }]) {
      assert.throws(() => build({}, policy), refusal('node-debug-not-allowed', /node debugging is off.*"ephemeralDebug\.governance\.allowNodeDebug": true.*workspace settings cannot/));
    }
  });

  it('issue #14 governance: allowNodeDebug is read from user settings only; a workspace value (trusted or not) never turns it on', () => {
    assert.equal(mergeGovernance({}, true).policy.allowNodeDebug, undefined);
    assert.equal(mergeGovernance({ 'governance.allowNodeDebug': { globalValue: true } }, true).policy.allowNodeDebug, true);
    for (const trusted of [true, false]) {
      const merged = mergeGovernance({ 'governance.allowNodeDebug': { workspaceValue: true, workspaceFolderValue: true } }, trusted);
      assert.equal(merged.policy.allowNodeDebug, undefined);
      assert.ok(merged.problems.some((p) => /allowNodeDebug: workspace values are ignored/.test(p)));
    }
    // A workspace cannot switch off the user's true either (it is not a tightening list): the user decides.
    assert.equal(mergeGovernance({ 'governance.allowNodeDebug': { globalValue: true, workspaceValue: false } }, true).policy.allowNodeDebug, true);
  });

  it('issue #14 governance: allowed images, required digests and allowed namespaces apply as for attach', () => {
    assert.throws(() => build({}, { ...allowed, allowedImages: ['registry.example.com/**'] }), refusal('image-not-allowed', /image "busybox:1\.36" is not allowed by policy/));
    assert.throws(() => build({}, { ...allowed, requireDigest: true }), refusal('digest-required', /not pinned/));
    assert.throws(() => build({}, { ...allowed, allowedNamespaces: ['debug-*'] }), refusal('namespace-not-allowed', /namespace "ops" is not allowed/));
    assert.equal(build({ namespace: 'debug-ops' }, { ...allowed, allowedNamespaces: ['debug-*'] }).namespace, 'debug-ops');
  });

  it('issue #14 governance: the maximum profile is judged on node effects (sysadmin highest; legacy ranks with general, since it mounts the root)', () => {
    assert.throws(() => build({ profile: 'sysadmin' }, { ...allowed, maxProfile: 'netadmin' }), refusal('profile-not-allowed', /"sysadmin" exceeds the maximum profile "netadmin"/));
    assert.throws(() => build({ profile: 'legacy' }, { ...allowed, maxProfile: 'baseline' }), refusal('profile-not-allowed', /"legacy" exceeds/));
    assert.throws(() => build({}, { ...allowed, maxProfile: 'baseline' }), refusal('profile-not-allowed', /choose one of baseline, restricted/));
    assert.equal(build({ profile: 'sysadmin' }, { ...allowed, maxProfile: 'sysadmin' }).profile, 'sysadmin');
    assert.equal(build({ profile: 'restricted' }, { ...allowed, maxProfile: 'restricted' }).pod.spec?.hostPID, undefined);
  });

  it('issue #14 governance: a namespace enforcing baseline is refused before sending, with what to do', () => {
    assert.throws(() => build({}, allowed, 'baseline'), refusal('pod-security-container', /PodSecurity "baseline:latest" is enforced in namespace "ops".*host namespaces.*namespace that allows privileged pods, or use profile "baseline"/));
    assert.equal(build({ profile: 'baseline' }, allowed, 'baseline').profile, 'baseline');
  });

  it('issue #14 gate: the node pod comes frozen as a PolicyCheckedPod, and ESLint refuses minting or casting one anywhere but the builders', async () => {
    const built = build();
    assert.ok(Object.isFrozen(built.checked.pod) && Object.isFrozen(built.checked.pod.spec?.containers[0]));
    const eslint = new ESLint();
    const sneaky = [
      "import { PolicyCheckedPod } from '../cluster/policyChecked';",
      "export const pod = PolicyCheckedPod.mint({ spec: { hostPID: true, containers: [] } });",
      'export const cast = {} as PolicyCheckedPod;',
    ].join('\n');
    for (const filePath of ['src/debug/nodeDebugFlow.ts', 'src/ui/nodeDebugCommand.ts', 'src/explorer/nodes.ts']) {
      const [result] = await eslint.lintText(sneaky, { filePath });
      const messages = result!.messages.filter((m) => m.ruleId === 'no-restricted-syntax').map((m) => m.message);
      assert.equal(messages.length, 2, `${filePath}: ${JSON.stringify(result!.messages)}`);
      assert.match(messages[0]!, /Only the spec builders mint/);
    }
  });
});

describe('issue #14 node debugging: the equivalent kubectl command', () => {
  it('issue #14 kubectl: kubectl debug node/<node> -it --image=<image> --profile=<profile> -n <ns>, from the pod as built', () => {
    for (const profile of NODE_DEBUG_PROFILES) {
      const { pod } = build({ profile, sessionId: 's1' });
      assert.equal(kubectlDebugNodeCommand(pod), `kubectl debug 'node/worker-1.example' -it --image='busybox:1.36' --profile=${profile} -n 'ops' --env='DEBUG_SESSION_ID=s1'`);
    }
    // Every word shell-quoted: a context name with a quote stays one word.
    assert.equal(kubectlDebugNodeCommand(build().pod, "it's"), `kubectl --context='it'\\''s' debug 'node/worker-1.example' -it --image='busybox:1.36' --profile=general -n 'ops'`);
  });

  it('issue #14 kubectl: refuses a pod that is not ours, or one changed after creation (no profile makes it)', () => {
    const plain: V1Pod = { metadata: { name: 'web' }, spec: { containers: [{ name: 'app', image: 'x' }] } };
    assert.throws(() => kubectlDebugNodeCommand(plain), /not a node debug pod made by Debug Node/);
    const changed = structuredClone(build().pod) as V1Pod;
    changed.spec!.containers[0].securityContext = { capabilities: { add: ['SYS_ADMIN'] } };
    assert.throws(() => kubectlDebugNodeCommand(changed), /was changed after it was created/);
  });
});

/**
 * The kubectl commands that do what the extension did to the cluster: for the log, "Copy kubectl Command" and
 * tickets, so a user can reproduce, review or hand on an action. One exported function per action, each returning
 * the lines of a POSIX shell script (every word shell-quoted), built from the objects as the cluster holds them
 * (what was really sent), not from the request:
 *
 * - attach a debug container: `kubectl debug` (kubectlDebugCommand);
 * - Debug a Copy: `kubectl debug --copy-to`, then `kubectl label` / `kubectl annotate` for the copy's marks; where
 *   kubectl debug cannot make the same pod (a command replaced *and* a debug container added), `kubectl create`
 *   of the copy as created (kubectlCopyCommand);
 * - port-forward: `kubectl port-forward` (kubectlPortForwardCommand);
 * - delete copies (Clean Up, the copy's last terminal, Replace original): `kubectl delete pod` (kubectlDeletePodsCommand);
 * - Stop Debug Container: kubectl has no such command; the exec that does what Stop does (kubectlStopCommand).
 *
 * Env values are never printed (they may be secrets): each is a placeholder to fill in, except the session id and
 * deadline this extension sets itself.
 */
import type { V1Container, V1EphemeralContainer, V1Pod } from '@kubernetes/client-node';
import { isDeepStrictEqual } from 'node:util';
import { shellQuote } from '../shell/shellScript';
import { DEBUG_SESSION_DEADLINE_ENV, DEBUG_SESSION_ENV } from './debugContainerSpec';
import { isNodeDebugPod, mountsHostRoot, NODE_DEBUG_PROFILE_ANNOTATION, nodeOfDebugPod } from './nodeDebugPods';
import { COPIED_FROM_ANNOTATION, COPY_LABEL, COPY_OF_LABEL, CREATED_AT_ANNOTATION, CREATED_BY_ANNOTATION } from './podCopy';
import { applyContainerSecurityEffect, DEBUG_PROFILES, ephemeralSecurityContextFor, isNamedProfile, type NamedProfile } from './profiles';
import { STOP_SCRIPT } from './stopDebugContainer';

export interface KubectlDebugTarget {
  readonly context?: string;
  readonly namespace: string;
  readonly pod: string;
  readonly container: V1EphemeralContainer;
  /** The profile the extension chose, tried first when naming one for kubectl. */
  readonly profile?: string;
  /** Add `--attach=false` (tests; scripts that attach later). */
  readonly noAttach?: boolean;
  /** Where the here-document writes the custom spec when one is needed. Default `debug-custom.json`. */
  readonly customFile?: string;
}

/** Not secrets: written by this extension (see debugContainerSpec.ts). */
const OWN_ENV = new Set([DEBUG_SESSION_ENV, DEBUG_SESSION_DEADLINE_ENV]);

/** The fields kubectl debug sets from its flags; anything else goes into the custom spec. */
const FLAG_FIELDS = new Set(['name', 'image', 'imagePullPolicy', 'targetContainerName', 'stdin', 'tty', 'command', 'args', 'env', 'securityContext', 'terminationMessagePolicy', 'terminationMessagePath']);

/** Lines of a POSIX shell script: a here-document with the custom spec when needed, then the kubectl line. */
export function kubectlDebugCommand(target: KubectlDebugTarget): string {
  const c = target.container;
  const words = [...kubectl(target), 'debug', shellQuote(target.pod), ...interactiveFlags(c)];
  if (target.noAttach === true) words.push('--attach=false');
  if (c.targetContainerName !== undefined) words.push(`--target=${shellQuote(c.targetContainerName)}`);
  const flags = debugContainerFlags(c, target.profile, target.customFile ?? 'debug-custom.json');
  words.push(...flags.words, ...commandWords(c));
  return [...flags.before, words.join(' ')].join('\n');
}

// ---- Debug a Copy ----------------------------------------------------------------------------------------------

export interface KubectlCopyTarget {
  readonly context?: string;
  /** The pod copied, as it was (for what kubectl copies itself); undefined when it is gone. */
  readonly source: V1Pod | undefined;
  /** The copy as the cluster holds it. */
  readonly copy: V1Pod;
  /** The profile the extension chose for the debug container, tried first when naming one for kubectl. */
  readonly profile?: string;
  /** Name the copy otherwise (tests: a twin next to ours). */
  readonly copyName?: string;
  /** The copy was asked to run on the original's node (known when it is made, not from the pod). */
  readonly sameNode?: boolean;
  /** Add `--attach=false` (tests; scripts that attach later). */
  readonly noAttach?: boolean;
  /** Where here-documents write the custom spec or the pod. Default `debug-custom.json` / `debug-copy.json`. */
  readonly customFile?: string;
  readonly podFile?: string;
}

/** The copy's own marks, which kubectl debug does not set: added after it by kubectl label / annotate. */
const COPY_LABELS = [COPY_LABEL, COPY_OF_LABEL];
const COPY_ANNOTATIONS = [COPIED_FROM_ANNOTATION, CREATED_BY_ANNOTATION, CREATED_AT_ANNOTATION];

/**
 * `kubectl debug SOURCE --copy-to=COPY …` with the flags that make the same pod (images set, processes shared,
 * same node, what is kept, the added debug container or the replaced command), then the copy's labels and
 * annotations. Where kubectl debug cannot make it (a command replaced and a debug container added, several
 * containers changed, the source gone), `kubectl create` of the copy as created, env values left out.
 */
export function kubectlCopyCommand(target: KubectlCopyTarget): string {
  const name = target.copyName ?? target.copy.metadata?.name ?? '';
  const namespace = target.copy.metadata?.namespace ?? 'default';
  const plan = target.source !== undefined ? copyPlan(target.source, target.copy) : { why: 'the original pod is gone' };
  if ('why' in plan) return createCopyCommand(target, name, namespace, plan.why);
  const words = [...kubectl({ context: target.context, namespace }), 'debug', shellQuote(target.source!.metadata?.name ?? ''), `--copy-to=${shellQuote(name)}`];
  const before: string[] = [];
  const primary = plan.added ?? plan.changed;
  if (primary !== undefined) words.push(...interactiveFlags(primary));
  if (target.noAttach === true) words.push('--attach=false');
  // Not read from spec.nodeName: the scheduler sets it on every pod.
  if (target.sameNode === true) words.push('--same-node');
  if (target.copy.spec?.shareProcessNamespace !== true) words.push('--share-processes=false');
  if (plan.images.length > 0) words.push(`--set-image=${shellQuote(plan.images.map(([c, image]) => `${c}=${image}`).join(','))}`);
  words.push(...plan.keep);
  if (plan.added !== undefined) {
    const flags = debugContainerFlags(plan.added, target.profile, target.customFile ?? 'debug-custom.json');
    before.push(...flags.before);
    words.push(...flags.words, ...commandWords(plan.added));
  } else if (plan.changed !== undefined) {
    // No --image: kubectl changes the named container of the copy (its command, stdin and tty) and applies the
    // profile to it; baseline's (clearing its securityContext) leaves one without a securityContext as it is.
    words.push('--profile=baseline', '-c', shellQuote(plan.changed.name), ...commandWords(plan.changed));
  } else {
    words.push('--profile=baseline');
  }
  const pod = ['pod', shellQuote(name)];
  const marks = (keys: readonly string[], values: Record<string, string> | undefined): string[] =>
    keys.filter((k) => values?.[k] !== undefined).map((k) => shellQuote(`${k}=${values![k]}`));
  return [
    ...before,
    words.join(' '),
    [...kubectl({ context: target.context, namespace }), 'label', ...pod, ...marks(COPY_LABELS, target.copy.metadata?.labels)].join(' '),
    [...kubectl({ context: target.context, namespace }), 'annotate', ...pod, ...marks(COPY_ANNOTATIONS, target.copy.metadata?.annotations)].join(' '),
  ].join('\n');
}

type CopyPlan = { images: [string, string][]; keep: string[]; added?: V1Container; changed?: V1Container } | { why: string };

/** What kubectl debug --copy-to must be told to make `copy` from `source`, or why it cannot. */
function copyPlan(source: V1Pod, copy: V1Pod): CopyPlan {
  const before = new Map((source.spec?.containers ?? []).map((c) => [c.name, c]));
  const containers = copy.spec?.containers ?? [];
  const added = containers.filter((c) => !before.has(c.name));
  if (added.length > 1) return { why: 'the copy adds several containers' };
  const images: [string, string][] = [];
  const changed: V1Container[] = [];
  for (const c of containers.filter((c) => before.has(c.name))) {
    const original = before.get(c.name)!;
    if (c.image !== original.image) images.push([c.name, c.image ?? '']);
    const comparable = (x: V1Container): unknown => normalize({ ...x, image: undefined, livenessProbe: undefined, readinessProbe: undefined, startupProbe: undefined });
    if (!isDeepStrictEqual(comparable(c), comparable(original))) changed.push(c);
  }
  if (changed.length > 1) return { why: 'the copy changes several containers' };
  if (changed.length === 1 && added.length === 1) return { why: 'kubectl debug cannot both replace a container\'s command and add a debug container' };
  if (changed.length === 1 && normalize(changed[0]!.securityContext) !== undefined) return { why: `kubectl debug would change the securityContext of ${changed[0]!.name}` };
  const keep: string[] = [];
  const own = (labels: Record<string, string> | undefined, marks: readonly string[]): boolean => Object.keys(labels ?? {}).some((k) => !marks.includes(k));
  if (own(copy.metadata?.labels, COPY_LABELS)) keep.push('--keep-labels');
  if (own(copy.metadata?.annotations, COPY_ANNOTATIONS)) keep.push('--keep-annotations');
  for (const [probe, flag] of [['livenessProbe', '--keep-liveness'], ['readinessProbe', '--keep-readiness'], ['startupProbe', '--keep-startup']] as const) {
    if (containers.some((c) => c[probe] !== undefined)) keep.push(flag);
  }
  if ((source.spec?.initContainers ?? []).length > 0 && (copy.spec?.initContainers ?? []).length === 0) keep.push('--keep-init-containers=false');
  return { images, keep, added: added[0], changed: changed[0] };
}

/** The copy as created, for `kubectl create -f`: no server-set fields, env values left out. */
function createCopyCommand(target: KubectlCopyTarget, name: string, namespace: string, why: string): string {
  const { copy } = target;
  const withoutValues = (c: V1Container): V1Container => ({ ...c, ...(c.env !== undefined ? { env: c.env.map((e) => (e.value !== undefined && !OWN_ENV.has(e.name) ? { ...e, value: '<value>' } : e)) } : {}) });
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: copy.metadata?.labels, annotations: copy.metadata?.annotations },
    spec: { ...copy.spec, containers: (copy.spec?.containers ?? []).map(withoutValues), ...(copy.spec?.initContainers !== undefined ? { initContainers: copy.spec.initContainers.map(withoutValues) } : {}) },
  };
  const file = target.podFile ?? 'debug-copy.json';
  return [`# ${why}: the copy as created (env values left out as '<value>')`, hereDocument(file, pod), [...kubectl({ context: target.context, namespace }), 'create', '-f', shellQuote(file)].join(' ')].join('\n');
}

// ---- Port forward, delete, stop --------------------------------------------------------------------------------

export interface KubectlPodRef {
  readonly context?: string;
  readonly namespace: string;
  readonly pod: string;
}

/** `kubectl port-forward`, on 127.0.0.1 only as ours. */
export function kubectlPortForwardCommand(target: KubectlPodRef & { readonly localPort: number; readonly remotePort: number }): string {
  return [...kubectl(target), 'port-forward', '--address=127.0.0.1', shellQuote(`pod/${target.pod}`), `${target.localPort}:${target.remotePort}`].join(' ');
}

/** `kubectl delete pod` of pods of one namespace (Clean Up, a copy's last terminal, Replace original). */
export function kubectlDeletePodsCommand(target: { readonly context?: string; readonly namespace: string; readonly pods: readonly string[]; readonly gracePeriodSeconds?: number }): string {
  const words = [...kubectl(target), 'delete', 'pod', ...target.pods.map(shellQuote)];
  if (target.gracePeriodSeconds !== undefined) words.push(`--grace-period=${target.gracePeriodSeconds}`);
  return words.join(' ');
}

/**
 * kubectl cannot stop (or remove) an ephemeral container. Stop Debug Container ends its processes from inside by
 * exec, TERM first then KILL, until none is left (stopDebugContainer.sh prints "none"): the same, by kubectl exec.
 */
export function kubectlStopCommand(target: KubectlPodRef & { readonly container: string }): string {
  const exec = [...kubectl(target), 'exec', shellQuote(target.pod), '-c', shellQuote(target.container), '--', 'sh', '-c', shellQuote(STOP_SCRIPT), 'stop-debug-container', '"$signal"'].join(' ');
  return [
    '# kubectl has no command to stop an ephemeral container; this ends its processes as Stop Debug Container does',
    `for signal in TERM TERM TERM KILL KILL KILL; do [ "$(${exec})" = none ] && break; sleep 0.2; done`,
  ].join('\n');
}

// ---- Shared words ----------------------------------------------------------------------------------------------

function kubectl(target: { readonly context?: string; readonly namespace: string }): string[] {
  return ['kubectl', ...(target.context !== undefined ? [`--context=${shellQuote(target.context)}`] : []), '-n', shellQuote(target.namespace)];
}

function interactiveFlags(c: V1Container | V1EphemeralContainer): string[] {
  if (c.stdin === true) return [c.tty === true ? '-it' : '-i'];
  return c.tty === true ? ['-t'] : [];
}

/** --image, --profile (and --custom with its here-document), -c and --env of a debug container kubectl adds. */
function debugContainerFlags(c: V1Container | V1EphemeralContainer, chosenProfile: string | undefined, customFile: string): { words: string[]; before: string[] } {
  const { profile, customSecurityContext } = profileFor(c, chosenProfile);
  const custom: Record<string, unknown> = {};
  if (customSecurityContext !== undefined) custom.securityContext = customSecurityContext;
  for (const [key, value] of Object.entries(c)) {
    if (!FLAG_FIELDS.has(key) && normalize(value) !== undefined) custom[key] = value;
  }
  const words = [`--image=${shellQuote(c.image ?? '')}`];
  if (c.imagePullPolicy !== undefined) words.push(`--image-pull-policy=${shellQuote(c.imagePullPolicy)}`);
  words.push(`--profile=${profile}`);
  const before: string[] = [];
  if (Object.keys(custom).length > 0) {
    words.push(`--custom=${shellQuote(customFile)}`);
    before.push(hereDocument(customFile, custom));
  }
  words.push('-c', shellQuote(c.name), ...envFlags(c));
  return { words, before };
}

function envFlags(c: V1Container | V1EphemeralContainer): string[] {
  return (c.env ?? []).map((env) => (OWN_ENV.has(env.name) ? `--env=${shellQuote(`${env.name}=${env.value ?? ''}`)}` : `--env=${shellQuote(`${env.name}=`)}'<value>'`));
}

function commandWords(c: V1Container | V1EphemeralContainer): string[] {
  const command = c.command ?? [];
  const args = c.args ?? [];
  if (command.length > 0) return ['--', ...[...command, ...args].map(shellQuote)];
  return args.length > 0 ? ['--arguments-only', '--', ...args.map(shellQuote)] : [];
}

/** JSON.stringify writes one line, so the quoted here-document's end marker can never occur inside it. */
function hereDocument(file: string, value: unknown): string {
  return `cat > ${shellQuote(file)} <<'JSON'\n${JSON.stringify(value)}\nJSON`;
}

/**
 * A kubectl profile that gives exactly this securityContext (the chosen one first); otherwise `baseline`, which
 * leaves the ephemeral container's securityContext empty, with the exact one in the custom spec.
 */
function profileFor(container: V1Container | V1EphemeralContainer, chosen: string | undefined): { profile: NamedProfile; customSecurityContext?: V1EphemeralContainer['securityContext'] } {
  const actual = normalize(container.securityContext);
  const candidates: NamedProfile[] = [...(chosen !== undefined && isNamedProfile(chosen) ? [chosen] : []), 'general', 'baseline', 'restricted', 'netadmin', 'sysadmin'];
  for (const profile of candidates) {
    if (isDeepStrictEqual(normalize(ephemeralSecurityContextFor(profile)), actual)) return { profile };
  }
  return { profile: 'baseline', customSecurityContext: container.securityContext };
}

/** Drops empty and undefined members, so `{}` and undefined compare equal. */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => [k, normalize(v)] as const)
    .filter(([, v]) => v !== undefined && !(typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0));
  return entries.length === 0 ? undefined : Object.fromEntries(entries);
}

/**
 * `kubectl debug node/<node> -it --image=<image> --profile=<profile> -n <ns>`: the command that makes a node debug
 * pod like this one (Debug Node…), from the pod as the server holds it. The profile is the one recorded on the
 * pod (legacy and general make the same pod), checked against the pod's own securityContext and host access.
 */
export function kubectlDebugNodeCommand(pod: V1Pod, context?: string): string {
  const container = pod.spec?.containers?.[0];
  const node = nodeOfDebugPod(pod);
  if (container === undefined || node === undefined || !isNodeDebugPod(pod)) {
    throw new Error(`${pod.metadata?.name ?? 'this pod'} is not a node debug pod made by Debug Node…`);
  }
  const recorded = pod.metadata?.annotations?.[NODE_DEBUG_PROFILE_ANNOTATION];
  const candidates: NamedProfile[] = [...(recorded !== undefined && isNamedProfile(recorded) ? [recorded] : []), 'general', 'sysadmin', 'netadmin', 'baseline', 'restricted', 'legacy'];
  const profile = candidates.find((p) => nodeEffectMatches(pod, container, p));
  if (profile === undefined) {
    throw new Error(`node debug pod ${pod.metadata?.name ?? ''} was changed after it was created: no kubectl profile makes it`);
  }
  const words = ['kubectl'];
  if (context !== undefined) words.push(`--context=${shellQuote(context)}`);
  words.push('debug', shellQuote(`node/${node}`));
  if (container.stdin === true) words.push(container.tty === true ? '-it' : '-i');
  words.push(`--image=${shellQuote(container.image ?? '')}`);
  if (container.imagePullPolicy !== undefined) words.push(`--image-pull-policy=${shellQuote(container.imagePullPolicy)}`);
  words.push(`--profile=${profile}`, '-n', shellQuote(pod.metadata?.namespace ?? 'default'));
  for (const env of container.env ?? []) {
    words.push(OWN_ENV.has(env.name) ? `--env=${shellQuote(`${env.name}=${env.value ?? ''}`)}` : `--env=${shellQuote(`${env.name}=`)}'<value>'`);
  }
  if ((container.command ?? []).length > 0) words.push('--', ...[...container.command!, ...(container.args ?? [])].map(shellQuote));
  return words.join(' ');
}

function nodeEffectMatches(pod: V1Pod, container: V1Container, profile: NamedProfile): boolean {
  const effect = DEBUG_PROFILES[profile].node;
  const spec = pod.spec;
  const hostNamespaces = spec?.hostPID === true && spec.hostNetwork === true && spec.hostIPC === true;
  const noHostNamespaces = spec?.hostPID !== true && spec?.hostNetwork !== true && spec?.hostIPC !== true;
  if (effect.useHostNamespaces ? !hostNamespaces : !noHostNamespaces) return false;
  if (effect.mountHostRoot !== mountsHostRoot(pod, container.name)) return false;
  return isDeepStrictEqual(normalize(applyContainerSecurityEffect(effect.debugContainer, undefined)), normalize(container.securityContext));
}

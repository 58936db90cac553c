/**
 * The kubectl command that adds the same debug container: for the log, "Copy kubectl Command" and tickets, so a
 * user can reproduce, review or hand on what the extension did. Built from the ephemeral container as the pod
 * holds it (what was really sent), not from the request. Env values are never printed (they may be secrets):
 * each one is a placeholder to fill in, except the session id and deadline this extension sets itself.
 */
import type { V1Container, V1EphemeralContainer, V1Pod } from '@kubernetes/client-node';
import { isDeepStrictEqual } from 'node:util';
import { shellQuote } from '../shell/shellScript';
import { DEBUG_SESSION_DEADLINE_ENV, DEBUG_SESSION_ENV } from './debugContainerSpec';
import { isNodeDebugPod, mountsHostRoot, NODE_DEBUG_PROFILE_ANNOTATION, nodeOfDebugPod } from './nodeDebugPods';
import { applyContainerSecurityEffect, DEBUG_PROFILES, ephemeralSecurityContextFor, isNamedProfile, type NamedProfile } from './profiles';

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
  const { profile, customSecurityContext } = profileFor(c, target.profile);
  const custom: Record<string, unknown> = {};
  if (customSecurityContext !== undefined) custom.securityContext = customSecurityContext;
  for (const [key, value] of Object.entries(c)) {
    if (!FLAG_FIELDS.has(key) && normalize(value) !== undefined) custom[key] = value;
  }
  const customFile = target.customFile ?? 'debug-custom.json';
  const words = ['kubectl'];
  if (target.context !== undefined) words.push(`--context=${shellQuote(target.context)}`);
  words.push('debug', '-n', shellQuote(target.namespace), shellQuote(target.pod));
  if (c.stdin === true) words.push(c.tty === true ? '-it' : '-i');
  else if (c.tty === true) words.push('-t');
  if (target.noAttach === true) words.push('--attach=false');
  words.push(`--image=${shellQuote(c.image ?? '')}`);
  if (c.imagePullPolicy !== undefined) words.push(`--image-pull-policy=${shellQuote(c.imagePullPolicy)}`);
  if (c.targetContainerName !== undefined) words.push(`--target=${shellQuote(c.targetContainerName)}`);
  words.push(`--profile=${profile}`);
  if (Object.keys(custom).length > 0) words.push(`--custom=${shellQuote(customFile)}`);
  words.push('-c', shellQuote(c.name));
  for (const env of c.env ?? []) {
    words.push(OWN_ENV.has(env.name) ? `--env=${shellQuote(`${env.name}=${env.value ?? ''}`)}` : `--env=${shellQuote(`${env.name}=`)}'<value>'`);
  }
  const command = c.command ?? [];
  const args = c.args ?? [];
  if (command.length > 0) words.push('--', ...[...command, ...args].map(shellQuote));
  else if (args.length > 0) words.push('--arguments-only', '--', ...args.map(shellQuote));
  const line = words.join(' ');
  if (Object.keys(custom).length === 0) return line;
  // JSON.stringify writes one line, so the quoted here-document's end marker can never occur inside it.
  return `cat > ${shellQuote(customFile)} <<'JSON'\n${JSON.stringify(custom)}\nJSON\n${line}`;
}

/**
 * A kubectl profile that gives exactly this securityContext (the chosen one first); otherwise `baseline`, which
 * leaves the ephemeral container's securityContext empty, with the exact one in the custom spec.
 */
function profileFor(container: V1EphemeralContainer, chosen: string | undefined): { profile: NamedProfile; customSecurityContext?: V1EphemeralContainer['securityContext'] } {
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

/**
 * Which investigation to start with, from the pod's status alone (pure): a container that keeps exiting
 * cannot host an ephemeral container's target, so it gets "debug a copy"; an image that cannot be pulled or
 * a pod that is not scheduled cannot be debugged yet; OOMKilled starts with memory; failing readiness with
 * HTTP health and the network; otherwise the playbook of the runtime the image or command shows.
 */
import type { V1Container, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { BUILT_IN_PLAYBOOKS } from './catalog';
import type { Playbook, PlaybookRuntime } from './types';

export type Suggestion =
  | { readonly kind: 'playbook'; readonly playbookId: string; readonly reason: string; readonly container?: string }
  | { readonly kind: 'debug-copy'; readonly reason: string; readonly container?: string }
  | { readonly kind: 'cannot-debug'; readonly reason: string; readonly container?: string };

export interface Suggestions {
  readonly first: Suggestion;
  readonly others: readonly Suggestion[];
}

const PULL_FAILURES = new Set(['ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'ErrImageNeverPull', 'RegistryUnavailable']);
const START_FAILURES = new Set(['CreateContainerConfigError', 'CreateContainerError', 'RunContainerError', 'StartError', 'ContainerCannotRun']);
const GENERAL_ORDER = ['network-dns', 'http-health', 'memory', 'fd-exhaustion', 'stuck-process', 'core-dumps', 'database-connectivity'];

/** The runtime an image reference or command line shows, if any. */
export function detectRuntime(container: Pick<V1Container, 'image' | 'command' | 'args'> | undefined): PlaybookRuntime | undefined {
  if (container === undefined) return undefined;
  const command = [...(container.command ?? []), ...(container.args ?? [])].slice(0, 3).join(' ').toLowerCase();
  const image = (container.image ?? '').toLowerCase().replace(/@sha256:.*$/, '');
  const words = `${command} ${image}`;
  if (/(^|[/\s-])(node|nodejs\d*|npm|yarn|pnpm|bun|deno)([\s:/-]|$)/.test(words)) return 'node';
  if (/(^|[/\s-])(java|jdk|jre|openjdk|temurin|eclipse-temurin|corretto|zulu|graalvm|jvm|tomcat|jetty|wildfly|spring)([\s:/-]|\d|$)/.test(words)) return 'java';
  if (/(^|[/\s-])(python\d?(\.\d+)?|pypy\d?|uvicorn|gunicorn|celery|django|flask)([\s:/-]|$)/.test(words)) return 'python';
  if (/(^|[/\s-])(go|golang)([\s:/-]|$)/.test(words)) return 'go';
  return undefined;
}

function describeExit(status: V1ContainerStatus): string {
  const t = status.lastState?.terminated ?? status.state?.terminated;
  if (t === undefined) return '';
  return t.signal ? `, last killed by signal ${t.signal}` : `, last exit ${t.exitCode}${t.reason && t.reason !== 'Error' ? ` (${t.reason})` : ''}`;
}

function wasOomKilled(status: V1ContainerStatus): boolean {
  return status.state?.terminated?.reason === 'OOMKilled' || status.lastState?.terminated?.reason === 'OOMKilled';
}

/** A playbook for the runtime when one is available, else stuck-process (Go's SIGQUIT dump would kill it). */
function runtimePlaybook(runtime: PlaybookRuntime | undefined, playbooks: readonly Playbook[]): Playbook | undefined {
  return runtime === undefined ? undefined : playbooks.find((p) => p.runtime === runtime);
}

export function suggestPlaybooks(pod: V1Pod, playbooks: readonly Playbook[] = BUILT_IN_PLAYBOOKS): Suggestions {
  const ids = new Set(playbooks.map((p) => p.id));
  const picked: Suggestion[] = [];
  const add = (suggestion: Suggestion): void => {
    if (suggestion.kind === 'playbook' && (!ids.has(suggestion.playbookId) || picked.some((s) => s.kind === 'playbook' && s.playbookId === suggestion.playbookId))) return;
    if (suggestion.kind !== 'playbook' && picked.some((s) => s.kind === suggestion.kind)) return;
    picked.push(suggestion);
  };
  const playbook = (playbookId: string, reason: string, container?: string): Suggestion => ({ kind: 'playbook', playbookId, reason, container });

  const name = pod.metadata?.name ?? 'the pod';
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const specs = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const specOf = (container: string): V1Container | undefined => specs.find((c) => c.name === container);

  // Not scheduled: there is no node, so nothing runs to debug.
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (pod.status?.phase === 'Pending' && scheduled?.status === 'False') {
    add({ kind: 'cannot-debug', reason: `${name} is not scheduled (${scheduled.reason ?? 'Unschedulable'}${scheduled.message ? `: ${scheduled.message}` : ''}): nothing runs to debug until a node accepts it` });
  }

  for (const status of statuses) {
    const waiting = status.state?.waiting?.reason;
    if (waiting !== undefined && PULL_FAILURES.has(waiting)) {
      add({ kind: 'cannot-debug', container: status.name, reason: `container ${status.name} cannot start: its image ${status.image || specOf(status.name)?.image || ''} cannot be pulled (${waiting}); fix the reference or the pull secret, then debug` });
    } else if (waiting !== undefined && START_FAILURES.has(waiting)) {
      add({ kind: 'debug-copy', container: status.name, reason: `container ${status.name} cannot start (${waiting}): debug a copy with its command replaced by a shell` });
    }
  }

  for (const status of statuses) {
    const oom = wasOomKilled(status);
    const running = status.state?.running !== undefined;
    if (oom) {
      add(playbook('memory', `container ${status.name} was OOMKilled: it exceeded its memory limit${running ? '' : '; run this while it is up between restarts'}`, status.name));
    }
    const crashing = status.state?.waiting?.reason === 'CrashLoopBackOff' || (status.state?.terminated !== undefined && status.state.terminated.exitCode !== 0);
    if (crashing) {
      add({ kind: 'debug-copy', container: status.name, reason: `container ${status.name} keeps exiting (${status.state?.waiting?.reason ?? status.state?.terminated?.reason ?? 'Error'}${describeExit(status)}): there is no process to attach to; debug a copy with its command replaced by a shell` });
      const terminated = status.lastState?.terminated ?? status.state?.terminated;
      if (terminated?.signal !== undefined || (terminated?.exitCode !== undefined && terminated.exitCode > 128 && !oom)) {
        add(playbook('core-dumps', `container ${status.name} died from a signal${describeExit(status)}: check whether it left a core dump`, status.name));
      }
    }
  }

  // Failing readiness on a running container: does it listen, does the probe's endpoint answer?
  for (const status of pod.status?.containerStatuses ?? []) {
    if (status.state?.running !== undefined && status.ready === false) {
      const probe = specOf(status.name)?.readinessProbe;
      const health = playbook('http-health', `container ${status.name} runs but fails readiness${probe?.httpGet ? ` (GET ${probe.httpGet.path ?? '/'})` : ''}: check that the endpoint answers`, status.name);
      const network = playbook('network-dns', `container ${status.name} runs but fails readiness: check it listens and can reach what it needs`, status.name);
      if (probe?.httpGet) { add(health); add(network); } else { add(network); add(health); }
    }
  }

  // The runtime's own investigation, then the general ones.
  const main = pod.spec?.containers?.[0];
  const runtime = detectRuntime(main);
  const forRuntime = runtimePlaybook(runtime, playbooks);
  if (forRuntime !== undefined) {
    add(playbook(forRuntime.id, `the image or command of ${main?.name ?? 'the container'} shows ${runtime}: ${forRuntime.title.toLowerCase()}`, main?.name));
  } else if (runtime === 'go') {
    add(playbook('stuck-process', `the image or command of ${main?.name ?? 'the container'} shows go: thread states and system calls (a Go SIGQUIT dump would end the process)`, main?.name));
  }
  for (const id of GENERAL_ORDER) {
    const p = playbooks.find((x) => x.id === id);
    if (p !== undefined) add(playbook(id, p.description));
  }
  for (const p of playbooks) {
    if (p.runtime === undefined || p.runtime === runtime) add(playbook(p.id, p.description));
  }

  const [first, ...others] = picked;
  return { first: first ?? { kind: 'cannot-debug', reason: 'no playbook is available' }, others };
}

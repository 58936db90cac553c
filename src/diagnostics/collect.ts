/**
 * "Collect Diagnostics", the engine: find the target's main process from the debug container, run the
 * diagnostics script there (and each user script), read the tail of the target's container log, and build the
 * report. The debug container must see the target's processes (it targets the container, or the pod shares
 * one PID namespace); otherwise it fails saying so.
 */
import { randomBytes } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { ClusterApi } from '../cluster/clusterApi';
import { defaultTargetContainer, ephemeralContainerSpec, isEphemeralContainerRunning } from '../debug/debugContainers';
import { DebugFlowError, isAbortError, throwIfAborted } from '../debug/debugFlowError';
import { execCapture, type CapturedExec } from '../debug/execCapture';
import { chooseTargetProcess, listProcessesCommand, parseProcessListing } from '../terminal/targetProcess';
import { buildDiagnosticsReport, type DiagnosticsReport, type ExtraSection, type PodFacts } from './report';
import { DIAGNOSTICS_SCRIPT } from './script';
import type { UserScript } from './userScripts';

export interface CollectOptions {
  readonly namespace: string;
  readonly pod: string;
  readonly debugContainer: string;
  /** Default: the debug container's targetContainerName, else the pod's default container. */
  readonly targetContainer?: string;
  /** Show environment values (secret-looking ones redacted). Default false: names only. */
  readonly showEnvValues?: boolean;
  readonly userScripts?: readonly UserScript[];
  /** Window for "recently changed files". Default 60. */
  readonly recentMinutes?: number;
  /** Lines per part of the script's output. Default 200. */
  readonly maxLines?: number;
  /** Limit per exec (script and each user script). Default 120 s. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (message: string) => void;
}

const USER_SCRIPT_OUTPUT_LIMIT = 64 * 1024;
const CONTAINER_LOG_LINES = 50;

/** Runs one exec with a time limit on top of the caller's signal; resolves `undefined` on the time limit. */
async function execWithin(api: ClusterApi, o: CollectOptions, argv: readonly string[], stdin?: Readable): Promise<CapturedExec | undefined> {
  const limit = new AbortController();
  const timer = setTimeout(() => limit.abort(), o.timeoutMs ?? 120_000);
  const onAbort = (): void => limit.abort();
  if (o.signal?.aborted) limit.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const result = await execCapture(api, o.namespace, o.pod, o.debugContainer, argv, limit.signal, stdin);
    return limit.signal.aborted ? undefined : result;
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
  }
}

function describeResources(container: V1Container | undefined, kind: 'requests' | 'limits'): string | undefined {
  const r = container?.resources?.[kind];
  return r === undefined || Object.keys(r).length === 0 ? undefined : Object.entries(r).map(([k, v]) => `${k}=${String(v)}`).join(', ');
}

export function podFacts(pod: V1Pod, targetContainer: string | undefined): PodFacts {
  const status = pod.status?.containerStatuses?.find((c) => c.name === targetContainer);
  const spec = pod.spec?.containers.find((c) => c.name === targetContainer);
  const scheme = /^([a-z0-9-]+):\/\//.exec(status?.containerID ?? '')?.[1];
  return {
    runtime: scheme,
    image: status?.image ?? spec?.image,
    imageID: status?.imageID || undefined,
    node: pod.spec?.nodeName,
    qosClass: pod.status?.qosClass,
    restartCount: status?.restartCount,
    requests: describeResources(spec, 'requests'),
    limits: describeResources(spec, 'limits'),
    sharesPodPidNamespace: pod.spec?.shareProcessNamespace === true,
  };
}

function truncateOutput(text: string): string {
  return text.length > USER_SCRIPT_OUTPUT_LIMIT ? `${text.slice(0, USER_SCRIPT_OUTPUT_LIMIT)}\n… (cut at ${USER_SCRIPT_OUTPUT_LIMIT / 1024} KiB)` : text;
}

async function runUserScript(api: ClusterApi, o: CollectOptions, script: UserScript, pid: number, index: number): Promise<ExtraSection> {
  const base = { id: `user-${index + 1}`, title: `User script: ${script.name}` };
  // $1 and TARGET_PID are the target's PID, TARGET_ROOT its filesystem, as documented for the setting.
  const wrapper = 'TARGET_PID=$1 TARGET_ROOT=/proc/$1/root; export TARGET_PID TARGET_ROOT; diagnostics_script=$2; set -- "$1"; eval "$diagnostics_script"';
  try {
    const result = await execWithin(api, o, ['sh', '-c', wrapper, 'diagnostics', String(pid), script.script]);
    if (result === undefined) {
      throwIfAborted(o.signal, 'Collect Diagnostics');
      return { ...base, status: 'unavailable', body: '', note: `did not finish within ${Math.round((o.timeoutMs ?? 120_000) / 1000)} s` };
    }
    const body = [truncateOutput(result.stdout), ...(result.stderr.trim() !== '' ? ['--- stderr ---', truncateOutput(result.stderr)] : [])].join('\n');
    const exit = result.exitCode === undefined ? 'unknown exit code' : `exit code ${result.exitCode}`;
    return { ...base, status: result.exitCode === 0 ? 'ok' : 'unavailable', body, note: exit };
  } catch (e) {
    if (isAbortError(e) || o.signal?.aborted) throw e;
    return { ...base, status: 'unavailable', body: '', note: `could not run: ${(e as Error).message}` };
  }
}

async function containerLogSection(api: ClusterApi, o: CollectOptions, target: string | undefined): Promise<ExtraSection> {
  const base = { id: 'container-log', title: `Container log (last ${CONTAINER_LOG_LINES} lines)` };
  if (target === undefined) return { ...base, status: 'unavailable', body: '', note: 'no target container' };
  try {
    const text = await api.readLog(o.namespace, o.pod, target, { tailLines: CONTAINER_LOG_LINES });
    return { ...base, status: 'ok', body: text, note: text.trim() === '' ? `container ${target} has written nothing to stdout/stderr` : `stdout/stderr of ${target}` };
  } catch (e) {
    return { ...base, status: 'unavailable', body: '', note: (e as Error).message };
  }
}

/** No process: PID 0 never exists in /proc, so collect.sh reports every per-process section as not visible. */
const NO_PROCESS = 0;

export async function collectDiagnostics(api: ClusterApi, options: CollectOptions): Promise<DiagnosticsReport> {
  const o = options;
  const progress = (m: string): void => o.onProgress?.(m);
  const pod = await api.readPod(o.namespace, o.pod);
  if (!isEphemeralContainerRunning(pod, o.debugContainer)) {
    throw new DebugFlowError('not-found', `Collect Diagnostics failed: debug container ${o.debugContainer} is not running in pod ${o.pod}; attach a debug container first`);
  }
  const spec = ephemeralContainerSpec(pod, o.debugContainer);
  // A debug container without a target (and no shared process namespace) sees the pod's network, not its
  // processes: the report then covers the network, sockets and DNS, and says the process sections are not visible.
  const networkOnly = spec?.targetContainerName === undefined && pod.spec?.shareProcessNamespace !== true && o.targetContainer === undefined;
  const targetContainer = networkOnly ? undefined : (o.targetContainer ?? spec?.targetContainerName ?? defaultTargetContainer(pod));
  throwIfAborted(o.signal, 'Collect Diagnostics');
  // The log of the pod's app container is worth reading even when the debug container has no target; it is read
  // while the execs run (the section never rejects: a failure becomes its note).
  const containerLog = containerLogSection(api, o, targetContainer ?? defaultTargetContainer(pod));

  const boundary = `KEDIAG-${randomBytes(12).toString('hex')}`;
  const showEnvValues = o.showEnvValues === true;
  const scriptCommand = (pid: string): string[] => ['sh', '-c', DIAGNOSTICS_SCRIPT, 'diagnostics', boundary, pid, String(o.maxLines ?? 200), showEnvValues ? 'values' : 'names', String(o.recentMinutes ?? 60)];
  let choice: { pid: number; cmdline: string; how: string };
  let result: CapturedExec | undefined;
  if (networkOnly) {
    choice = { pid: NO_PROCESS, cmdline: '', how: `no target container: ${o.debugContainer} sees the pod's network, not its processes` };
    progress('collecting the pod\'s network diagnostics…');
    result = await execWithin(api, o, scriptCommand(String(NO_PROCESS)));
  } else {
    // The script starts (and its CPU sample with it) while the processes are listed; it waits for the target's
    // PID on stdin ("none" ends it). stdin stays open: ending it closes the exec where the server lacks the v5
    // close frame.
    progress('finding the target process…');
    const pidAnswer = new PassThrough();
    const script = execWithin(api, o, scriptCommand('-'), pidAnswer);
    script.catch(() => undefined); // awaited below, after the listing; a failure meanwhile is not unhandled
    try {
      const listing = await execWithin(api, o, listProcessesCommand());
      throwIfAborted(o.signal, 'Collect Diagnostics');
      if (listing === undefined) throw new DebugFlowError('timeout', 'Collect Diagnostics failed: listing processes in the debug container timed out; retry or check the pod');
      const chosen = chooseTargetProcess(parseProcessListing(listing.stdout), pod, targetContainer);
      if ('error' in chosen) throw new DebugFlowError('exec-failed', `Collect Diagnostics failed: ${chosen.error}`);
      choice = chosen;
    } catch (error) {
      pidAnswer.write('none\n');
      await script.catch(() => undefined);
      throw error;
    }
    progress(`collecting diagnostics of PID ${choice.pid}…`);
    pidAnswer.write(`${choice.pid}\n`);
    result = await script;
  }
  throwIfAborted(o.signal, 'Collect Diagnostics');

  const extraSections: ExtraSection[] = [await containerLog];
  for (const [index, script] of (o.userScripts ?? []).entries()) {
    progress(`running user script ${script.name}…`);
    extraSections.push(await runUserScript(api, o, script, choice.pid, index));
  }
  return buildDiagnosticsReport({
    stdout: result?.stdout ?? '',
    boundary,
    target: { namespace: o.namespace, pod: o.pod, debugContainer: o.debugContainer, targetContainer, pid: choice.pid, cmdline: choice.cmdline, how: choice.how },
    pod: podFacts(pod, targetContainer ?? defaultTargetContainer(pod)),
    showEnvValues,
    generatedAt: new Date(),
    extraSections,
    maxLines: o.maxLines,
  });
}

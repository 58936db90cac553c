/**
 * One-step debugger attach, vscode-free: find the pod, ensure a debug container with the tools and profile
 * the runtime needs (reuse a running one, else add one through attachDebugContainer), pick the process,
 * prepare its runtime (open the inspector, start JDWP, inject debugpy, start dlv), forward the debug port,
 * and return the attach configuration of the language's own VS Code debugger. `dispose()` stops the
 * forward and what prepare started.
 */
import type { V1EphemeralContainer, V1Pod, V1SecurityContext } from '@kubernetes/client-node';
import type { ClusterApi, Logger } from '../cluster/clusterApi';
import { attachDebugContainer, passesReusePolicy, type AttachCallbacks, type AttachSettings } from '../debug/attachFlow';
import type { DebugPolicy } from '../debug/debugContainerSpec';
import { defaultTargetContainer, isEphemeralContainerRunning } from '../debug/debugContainers';
import { execCapture } from '../debug/execCapture';
import { ephemeralSecurityContextFor, isNamedProfile, type ProfileChoice } from '../debug/profiles';
import { isPodDebuggable } from '../explorer/contextValues';
import type { WorkloadRef } from '../cluster/workloadKinds';
import { describePick, isReadyToDebug, pickReadyPod, podsOfWorkload, WorkloadPodError } from '../debug/workloadPods';
import { LaunchError } from './launchError';
import { startPortForward, type ActivePortForward } from './portForward';
import { LIST_PROCESSES_SCRIPT, parseProcessListing } from '../terminal/targetProcess';
import { chooseProcess, type ProcessInfo, type ProcessSelector, type RuntimeKind } from './processes';
import type { DebugConfigurationLike, PreparedRuntime, Shell } from './runtimes/common';
import { recipeFor } from './runtimes/index';

export interface DebugAttachRequest {
  readonly namespace: string;
  /** The pod, or a label selector choosing one (the first running match). */
  readonly pod?: string;
  readonly labelSelector?: string;
  /** Or a workload of `namespace` (`"deployment": "web"`): one of its ready pods, picked at each launch. */
  readonly workload?: Omit<WorkloadRef, 'namespace'>;
  /** Target container (whose PID namespace the debug container joins). Default: the pod's only/first running one. */
  readonly container?: string;
  /** Detected from the processes when omitted. */
  readonly runtime?: RuntimeKind;
  /** A PID or a name pattern (`/regex/` or substring of the command line). */
  readonly process?: ProcessSelector;
  /** Default: the runtime's debug image. */
  readonly debugImage?: string;
  /** Default: the runtime's (general where ptrace is needed, else auto). */
  readonly profile?: ProfileChoice;
  /** Remote debug port (default: from the process, else the runtime's default). */
  readonly port?: number;
  /** Local port of the forward (default: a free one). */
  readonly localPort?: number;
  readonly localRoot?: string;
  readonly remoteRoot?: string;
  readonly pathMappings?: readonly { readonly localRoot: string; readonly remoteRoot: string }[];
  /** Name of the generated debug configuration. */
  readonly name?: string;
}

export interface DebugAttachOptions {
  readonly settings?: AttachSettings;
  readonly callbacks?: AttachCallbacks;
  readonly logger?: Logger;
  readonly signal?: AbortSignal;
  /** How long to wait for the debug port to listen (default 30 s). */
  readonly listenTimeoutMs?: number;
  /** Set as DEBUG_SESSION_ID in a debug container this session adds. */
  readonly sessionId?: string;
  /** The pod chosen for `request.workload` before (per workload), preferred while it is ready. */
  readonly rememberedPod?: string;
}

export interface DebugAttachSession {
  readonly debugConfiguration: DebugConfigurationLike;
  readonly forward: ActivePortForward;
  readonly runtime: RuntimeKind;
  readonly process: ProcessInfo;
  readonly namespace: string;
  readonly podName: string;
  /** The container whose PID namespace the debug container joined (the debugged process's, as a rule). */
  readonly targetContainer: string | undefined;
  /** Where the program's sources are in the container. */
  readonly remoteRoot: string | undefined;
  readonly debugContainer: string;
  readonly notes: readonly string[];
  /** How the pod was picked when the request named a workload (for the debug console). */
  readonly podChoice?: string;
  /** Stops the forward and what preparing started (a dlv server); idempotent. */
  dispose(): Promise<void>;
}

export const DEFAULT_LISTING_IMAGE = 'busybox:1.36';

export async function startDebugAttachSession(api: ClusterApi, request: DebugAttachRequest, options: DebugAttachOptions = {}): Promise<DebugAttachSession> {
  const progress = (message: string): void => {
    options.callbacks?.onProgress?.(message);
    options.logger?.info(`debug attach: ${message}`);
  };
  const { namespace } = request;
  const notes: string[] = [];
  let podChoice: string | undefined;
  let pod: V1Pod;
  if (request.workload !== undefined) {
    ({ pod, podChoice } = await resolveWorkloadPod(api, { ...request.workload, namespace }, options.rememberedPod));
    notes.push(podChoice);
  } else {
    pod = await resolvePod(api, request, notes);
  }
  const podName = pod.metadata?.name ?? '';
  const targetContainer = request.container ?? defaultTargetContainer(pod);

  // A debug container to look at the processes with: the runtime's own when known.
  let recipe = request.runtime !== undefined ? recipeFor(request.runtime) : undefined;
  const ensure = async (image: string, needsPtrace: boolean, profile: ProfileChoice | undefined): Promise<string> => {
    const reusable = findReusable(pod, image, targetContainer, needsPtrace, request.profile, options.settings?.policy);
    if (reusable !== undefined) {
      progress(`using debug container ${reusable}`);
      return reusable;
    }
    const result = await attachDebugContainer(api, {
      namespace, podName, image, targetContainer, profile, command: ['sh'], ...(options.sessionId !== undefined ? { sessionId: options.sessionId } : {}),
    }, options.settings, { ...options.callbacks, chooseReattach: undefined }, options.signal);
    pod = result.pod;
    notes.push(`added debug container ${result.containerName} (${image}, profile ${result.profile ?? '?'})`);
    return result.containerName;
  };
  let container = recipe !== undefined
    ? await ensure(request.debugImage ?? recipe.debugImage, recipe.needsPtrace, request.profile ?? recipe.profile)
    : await ensure(request.debugImage ?? DEFAULT_LISTING_IMAGE, false, request.profile ?? 'auto');
  const shellIn = (name: string): Shell => (script, args = [], signal) => execCapture(api, namespace, podName, name, ['sh', '-c', script, 'sh', ...args], signal ?? options.signal);
  let shell = shellIn(container);

  progress('listing processes…');
  const listed = await shell(LIST_PROCESSES_SCRIPT, ['go']);
  if (listed.exitCode !== 0 && listed.stdout.trim() === '') {
    throw new LaunchError('no-process', `cannot list processes in debug container ${container}: ${listed.stderr.trim() || `exit ${listed.exitCode}`}`);
  }
  const listing = parseProcessListing(listed.stdout);
  const choice = chooseProcess({ listing, pod, targetContainer, runtime: request.runtime, selector: request.process });
  progress(`process ${choice.process.pid} (${choice.runtime}): ${choice.how}`);
  if (recipe === undefined) {
    recipe = recipeFor(choice.runtime);
    const image = request.debugImage ?? recipe.debugImage;
    if (image !== (request.debugImage ?? DEFAULT_LISTING_IMAGE) || recipe.needsPtrace) {
      container = await ensure(image, recipe.needsPtrace, request.profile ?? recipe.profile);
      shell = shellIn(container);
    }
  }

  const profileLabel = profileOf(pod, container);
  let prepared: PreparedRuntime;
  try {
    prepared = await recipe.prepare(
      { shell, process: choice.process, progress, signal: options.signal, profileLabel, listenTimeoutMs: options.listenTimeoutMs },
      { port: request.port, remoteRoot: request.remoteRoot, localRoot: request.localRoot },
    );
  } catch (error) {
    if (error instanceof LaunchError && error.code === 'ptrace-denied' && profileLabel !== undefined && request.profile === undefined) {
      throw new LaunchError('ptrace-denied', `${error.message} (reused debug container ${container})`, error.candidates, error.details);
    }
    throw error;
  }
  notes.push(...prepared.notes);

  let forward: ActivePortForward;
  try {
    forward = await startPortForward(api, { namespace, pod: podName, remotePort: prepared.remotePort, localPort: request.localPort, logger: options.logger });
  } catch (error) {
    await prepared.cleanup?.().catch(() => undefined);
    throw error;
  }
  const remoteRoot = request.remoteRoot ?? prepared.remoteRoot;
  const debugConfiguration = recipe.debugConfiguration({
    name: request.name ?? `${recipe.label}: ${namespace}/${podName} PID ${choice.process.pid}`,
    host: forward.localAddress,
    port: forward.localPort,
    localRoot: request.localRoot,
    remoteRoot,
    pathMappings: request.pathMappings,
  });
  let disposed: Promise<void> | undefined;
  const dispose = (): Promise<void> => {
    disposed ??= (async () => {
      await forward.stop();
      await prepared.cleanup?.().catch((error: unknown) => options.logger?.warn(`debug attach cleanup: ${(error as Error).message}`));
    })();
    return disposed;
  };
  progress(`forwarding ${forward.description}`);
  return {
    debugConfiguration,
    forward,
    runtime: recipe.runtime,
    process: choice.process,
    namespace,
    podName,
    targetContainer,
    remoteRoot,
    debugContainer: container,
    notes,
    ...(podChoice !== undefined ? { podChoice } : {}),
    dispose,
  };
}

/** The workload's pod by the non-interactive pick rule (remembered, only, else the oldest ready one). */
async function resolveWorkloadPod(api: ClusterApi, ref: WorkloadRef, remembered: string | undefined): Promise<{ pod: V1Pod; podChoice: string }> {
  try {
    const { pods } = await podsOfWorkload(api, ref);
    const pick = pickReadyPod(ref, pods, remembered, false);
    if ('ask' in pick) throw new Error('unreachable: a non-interactive pick never asks');
    return { pod: pick.pod, podChoice: describePick(ref, pick.pod, pick.why, pods.filter(isReadyToDebug).length) };
  } catch (error) {
    if (error instanceof WorkloadPodError) throw new LaunchError('no-pod', error.message);
    throw error;
  }
}

async function resolvePod(api: ClusterApi, request: DebugAttachRequest, notes: string[]): Promise<V1Pod> {
  if (request.pod !== undefined && request.pod !== '') {
    return api.readPod(request.namespace, request.pod);
  }
  if (request.labelSelector === undefined || request.labelSelector === '') {
    throw new LaunchError('invalid-configuration', 'set "pod" or "labelSelector" to choose the pod to debug');
  }
  const list = await api.listPods(request.namespace, { labelSelector: request.labelSelector });
  const running = list.items
    .filter((p) => isPodDebuggable(p) && p.status?.phase === 'Running')
    .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  if (running.length === 0) {
    throw new LaunchError('no-pod', `no running pod in namespace ${request.namespace} matches labels "${request.labelSelector}"`);
  }
  if (running.length > 1) {
    notes.push(`${running.length} pods match "${request.labelSelector}"; using ${running[0]!.metadata?.name}`);
  }
  return running[0]!;
}

function grantsPtrace(securityContext: V1SecurityContext | undefined): boolean {
  return securityContext?.privileged === true || (securityContext?.capabilities?.add ?? []).includes('SYS_PTRACE');
}

/** A running debug container with this image and target whose privileges fit what is needed and asked, and that the policy allows. */
export function findReusable(pod: V1Pod, image: string, target: string | undefined, needsPtrace: boolean, askedProfile: ProfileChoice | undefined, policy: DebugPolicy | undefined): string | undefined {
  const fits = (c: V1EphemeralContainer): boolean => {
    if (c.image !== image || c.targetContainerName !== target || !isEphemeralContainerRunning(pod, c.name)) return false;
    // The same policy as a new container: one that does not pass it is not reused (a new one is added).
    if (!passesReusePolicy(pod, c.name, policy)) return false;
    // Interactive `sh` containers only: they stay up between sessions.
    if (!(c.stdin === true && c.tty === true)) return false;
    const ptrace = grantsPtrace(c.securityContext);
    if (needsPtrace && !ptrace) return false;
    if (askedProfile !== undefined && isNamedProfile(askedProfile) && grantsPtrace(ephemeralSecurityContextFor(askedProfile)) !== ptrace) return false;
    return true;
  };
  return (pod.spec?.ephemeralContainers ?? []).filter(fits).pop()?.name;
}

function profileOf(pod: V1Pod, container: string): string | undefined {
  const spec = pod.spec?.ephemeralContainers?.find((c) => c.name === container);
  if (spec === undefined) return undefined;
  const sc = spec.securityContext;
  if (sc?.privileged === true) return 'sysadmin';
  if (grantsPtrace(sc)) return 'general';
  if (sc?.runAsNonRoot === true || (sc?.capabilities?.drop ?? []).includes('ALL')) return 'restricted';
  return 'baseline';
}


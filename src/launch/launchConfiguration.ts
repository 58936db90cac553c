/**
 * The `kubernetes-ephemeral` debug type's launch.json attributes (the JSON schema in package.json mirrors
 * them) and their validation into a DebugAttachRequest; vscode-free.
 */
import { isProfileChoice, type ProfileChoice } from '../debug/profiles';
import type { DebugAttachRequest } from './debugAttachSession';
import { LaunchError } from './launchError';
import { isRuntimeKind, type ProcessSelector } from './processes';
import { WORKLOAD_KINDS, WORKLOAD_RESOURCES, type WorkloadKind } from '../cluster/workloadKinds';

export const DEBUG_TYPE = 'kubernetes-ephemeral';

export interface KubernetesEphemeralConfiguration {
  readonly type: typeof DEBUG_TYPE;
  readonly request: 'attach';
  readonly name: string;
  readonly context?: string;
  readonly namespace?: string;
  readonly pod?: string;
  readonly labelSelector?: string;
  /** Or a workload instead of a pod: exactly one of pod, labelSelector and these. */
  readonly deployment?: string;
  readonly statefulSet?: string;
  readonly daemonSet?: string;
  readonly replicaSet?: string;
  readonly job?: string;
  readonly container?: string;
  readonly runtime?: 'node' | 'java' | 'python' | 'go';
  readonly process?: number | string;
  readonly debugImage?: string;
  readonly profile?: ProfileChoice;
  readonly port?: number;
  readonly localPort?: number;
  readonly localRoot?: string;
  readonly remoteRoot?: string;
  readonly pathMappings?: { localRoot: string; remoteRoot: string }[];
}

export interface ParsedLaunchConfiguration {
  readonly context?: string;
  readonly request: DebugAttachRequest;
}

const str = (raw: Record<string, unknown>, key: string): string | undefined => {
  const value = raw[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new LaunchError('invalid-configuration', `"${key}" must be a string`);
  return value;
};

const port = (raw: Record<string, unknown>, key: string): number | undefined => {
  const value = raw[key];
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new LaunchError('invalid-configuration', `"${key}" must be a TCP port number (0-65535)`);
  }
  return n;
};

const WORKLOAD_ATTRIBUTES = WORKLOAD_KINDS.map((kind) => `"${WORKLOAD_RESOURCES[kind].attribute}"`).join(', ');

/** Validates a launch configuration; `defaultNamespace` fills a missing namespace (the context's). */
export function parseLaunchConfiguration(raw: Record<string, unknown>, defaultNamespace?: string): ParsedLaunchConfiguration {
  const request = raw.request ?? 'attach';
  if (request !== 'attach') throw new LaunchError('invalid-configuration', `"request" must be "attach" (a ${DEBUG_TYPE} configuration attaches to a running pod)`);
  const namespace = str(raw, 'namespace') ?? defaultNamespace;
  if (namespace === undefined) throw new LaunchError('invalid-configuration', 'set "namespace"');
  const pod = str(raw, 'pod');
  const labelSelector = str(raw, 'labelSelector');
  const workloads = WORKLOAD_KINDS.flatMap((kind): { kind: WorkloadKind; name: string }[] => {
    const name = str(raw, WORKLOAD_RESOURCES[kind].attribute);
    return name !== undefined ? [{ kind, name }] : [];
  });
  const chosen = [pod !== undefined ? '"pod"' : '', labelSelector !== undefined ? '"labelSelector"' : '',
    ...workloads.map((w) => `"${WORKLOAD_RESOURCES[w.kind].attribute}"`)].filter(Boolean);
  if (chosen.length === 0) throw new LaunchError('invalid-configuration', `set "pod", a workload (${WORKLOAD_ATTRIBUTES}) or "labelSelector" to choose the pod to debug`);
  if (chosen.length > 1) throw new LaunchError('invalid-configuration', `set only one of ${chosen.join(', ')}: each chooses the pod to debug`);
  const runtime = raw.runtime === undefined || raw.runtime === '' || raw.runtime === 'auto' ? undefined : raw.runtime;
  if (runtime !== undefined && !isRuntimeKind(runtime)) throw new LaunchError('invalid-configuration', '"runtime" must be node, java, python or go');
  let process: ProcessSelector | undefined;
  if (typeof raw.process === 'number') process = raw.process;
  else if (typeof raw.process === 'string' && raw.process !== '') process = /^\d+$/.test(raw.process) ? Number(raw.process) : raw.process;
  else if (raw.process !== undefined && raw.process !== '') throw new LaunchError('invalid-configuration', '"process" must be a PID or a name pattern');
  const profile = str(raw, 'profile');
  if (profile !== undefined && !isProfileChoice(profile)) throw new LaunchError('invalid-configuration', `"profile" must be auto, general, baseline, restricted, netadmin, sysadmin or legacy`);
  let pathMappings: { localRoot: string; remoteRoot: string }[] | undefined;
  if (raw.pathMappings !== undefined) {
    if (!Array.isArray(raw.pathMappings) || !raw.pathMappings.every((m: unknown) => typeof m === 'object' && m !== null
      && typeof (m as Record<string, unknown>).localRoot === 'string' && typeof (m as Record<string, unknown>).remoteRoot === 'string')) {
      throw new LaunchError('invalid-configuration', '"pathMappings" must be a list of { "localRoot": …, "remoteRoot": … }');
    }
    pathMappings = raw.pathMappings as { localRoot: string; remoteRoot: string }[];
  }
  return {
    context: str(raw, 'context'),
    request: {
      namespace,
      pod,
      labelSelector,
      ...(workloads[0] !== undefined ? { workload: workloads[0] } : {}),
      container: str(raw, 'container'),
      runtime,
      process,
      debugImage: str(raw, 'debugImage'),
      profile: profile as ProfileChoice | undefined,
      port: port(raw, 'port'),
      localPort: port(raw, 'localPort'),
      localRoot: str(raw, 'localRoot'),
      remoteRoot: str(raw, 'remoteRoot'),
      pathMappings,
      name: str(raw, 'name'),
    },
  };
}

/**
 * "Clean Up Debug Pods…" as data: which copies to preselect (older than cleanup.maxAgeHours, or past their
 * session deadline), which debug containers are past theirs, how items read, and the outcome summary.
 * vscode-free.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { DEBUG_SESSION_DEADLINE_ENV } from '../../debug/debugContainerSpec';
import { selectOlderThan, type DebugCopy, type DeleteCopyResult } from '../../debug/debugCopies';
import { expiredDebugContainers, type LimitedDebugContainer } from '../../debug/sessionTimeLimit';
import { readArguments } from './argumentReader';
import type { Parsed } from './commandLine';

export interface NormalizedCleanupArguments {
  readonly context?: string;
  readonly namespace?: string;
  /** Copies older than this are deleted (non-interactive) or preselected; default cleanup.maxAgeHours. */
  readonly olderThanHours?: number;
  /** Also stop debug containers past their session deadline. Default true. */
  readonly stopExpired: boolean;
  readonly interactive: boolean;
}

export function normalizeCleanupArguments(value: unknown): Parsed<NormalizedCleanupArguments> {
  const reader = readArguments(value);
  if (reader === undefined) {
    return { error: 'Clean Up Debug Pods: the arguments must be an object like { namespace, olderThanHours: 24, interactive: false }' };
  }
  const { args, problems, text, flag } = reader;
  const hours = args.olderThanHours;
  if (hours !== undefined && (typeof hours !== 'number' || !Number.isFinite(hours) || hours < 0)) problems.push('"olderThanHours" must be a number of hours, 0 or more');
  const result: NormalizedCleanupArguments = {
    context: text('context'),
    namespace: text('namespace'),
    olderThanHours: typeof hours === 'number' && Number.isFinite(hours) && hours >= 0 ? hours : undefined,
    stopExpired: flag('stopExpired') !== false,
    interactive: flag('interactive') !== false,
  };
  return problems.length > 0 ? { error: `Clean Up Debug Pods: ${problems.join('; ')}` } : { value: result };
}

/** `45 s`, `12 min`, `3 h`, `2 d`; `age unknown` without a creation time. */
export function formatAge(ms: number | undefined): string {
  if (ms === undefined) return 'age unknown';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86400)} d`;
}

/** The session deadline of a copy's debug container (a regular container carrying DEBUG_SESSION_DEADLINE). */
export function copyDeadline(pod: V1Pod): Date | undefined {
  const deadlines = (pod.spec?.containers ?? [])
    .map((c) => c.env?.find((e) => e.name === DEBUG_SESSION_DEADLINE_ENV)?.value)
    .filter((v): v is string => v !== undefined)
    .map((v) => new Date(v))
    .filter((d) => !Number.isNaN(d.getTime()));
  return deadlines.sort((a, b) => a.getTime() - b.getTime())[0];
}

export interface CleanupCandidate {
  readonly copy: DebugCopy;
  readonly preselected: boolean;
  /** Why it is preselected, e.g. `older than 24 h`. */
  readonly reason?: string;
  readonly deadline?: Date;
}

export interface CleanupPlan {
  readonly copies: readonly CleanupCandidate[];
  /** Running ephemeral debug containers whose session deadline has passed. */
  readonly expired: readonly LimitedDebugContainer[];
}

export const copyKey = (namespace: string, name: string): string => `${namespace}/${name}`;

/**
 * `pods` are all pods of the same scope (for deadlines); `clicked` is the copy the command was invoked on,
 * preselected whatever its age.
 */
export function planCleanup(copies: readonly DebugCopy[], pods: readonly V1Pod[], options: { readonly maxAgeHours: number; readonly now: Date; readonly clicked?: string }): CleanupPlan {
  const { now, maxAgeHours, clicked } = options;
  const podByKey = new Map(pods.map((p) => [copyKey(p.metadata?.namespace ?? '', p.metadata?.name ?? ''), p]));
  const old = new Set(selectOlderThan(copies, maxAgeHours * 3_600_000, now));
  const candidates = copies.map((copy): CleanupCandidate => {
    const key = copyKey(copy.namespace, copy.name);
    const pod = podByKey.get(key);
    const deadline = pod !== undefined ? copyDeadline(pod) : undefined;
    const reasons: string[] = [];
    if (key === clicked) reasons.push('chosen');
    if (old.has(copy)) reasons.push(`older than ${maxAgeHours} h`);
    if (deadline !== undefined && deadline.getTime() <= now.getTime()) reasons.push('past its session time limit');
    return { copy, preselected: reasons.length > 0, ...(reasons.length > 0 ? { reason: reasons.join(', ') } : {}), ...(deadline !== undefined ? { deadline } : {}) };
  });
  return { copies: candidates, expired: expiredDebugContainers(pods, now) };
}

/** A copy as a pick item: name; namespace, age, phase; origin and creator. */
export function describeCandidate(candidate: CleanupCandidate): { label: string; description: string; detail: string } {
  const { copy } = candidate;
  return {
    label: copy.name,
    description: [copy.namespace, formatAge(copy.ageMs), copy.phase].join(' · '),
    detail: [copy.kind === 'node' ? `debugs ${copy.origin}` : `copy of ${copy.origin}`, `by ${copy.creator ?? 'unknown'}`, candidate.reason].filter((p): p is string => p !== undefined).join(' · '),
  };
}

export interface StopResult {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly outcome: 'stopped' | 'failed';
  readonly message?: string;
}

/** One line for the notification, and one line per pod that was not cleaned up. */
export function summarizeCleanup(deleted: readonly DeleteCopyResult[], stopped: readonly StopResult[]): { readonly message: string; readonly problems: readonly string[]; readonly ok: boolean } {
  const count = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
  const gone = deleted.filter((r) => r.outcome === 'deleted' || r.outcome === 'gone');
  const failedDeletes = deleted.filter((r) => r.outcome === 'failed' || r.outcome === 'refused');
  const stoppedOk = stopped.filter((r) => r.outcome === 'stopped');
  const failedStops = stopped.filter((r) => r.outcome === 'failed');
  const parts: string[] = [];
  if (deleted.length > 0) parts.push(`deleted ${count(gone.length, 'debug copy', 'debug copies')}${gone.length > 0 ? ` (${gone.map((r) => r.name).join(', ')})` : ''}`);
  if (stopped.length > 0) parts.push(`stopped ${count(stoppedOk.length, 'expired debug container', 'expired debug containers')}`);
  const problems = [
    ...failedDeletes.map((r) => r.message ?? `${r.namespace}/${r.name}: ${r.outcome}`),
    ...failedStops.map((r) => `${r.namespace}/${r.pod}/${r.container}: ${r.message ?? 'not stopped'}`),
  ];
  const head = parts.length > 0 ? parts.join('; ') : 'nothing to clean up';
  const message = `Clean Up Debug Pods: ${head}${problems.length > 0 ? `; ${problems.length} failed: ${problems[0]}${problems.length > 1 ? ` (+${problems.length - 1} more in the log)` : ''}` : ''}.`;
  return { message, problems, ok: problems.length === 0 };
}

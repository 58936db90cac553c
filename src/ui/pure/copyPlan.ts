/**
 * "Debug a Copy of Pod…" as data: the choices the picker asks for and their defaults (keep a crashing
 * container alive, add a debug container, share processes), the arguments object automation passes, and how
 * they become the engine's CopyRequest. The picker in `../copyPicker.ts` only renders this. vscode-free.
 */
import { readArguments } from './argumentReader';
import type { V1Pod } from '@kubernetes/client-node';
import type { CopyRequest } from '../../debug/copyFlow';
import { summarizeCrash, type CrashInfo, type CrashingContainer } from '../../debug/crashInfo';
import type { PodCopyKeep } from '../../debug/podCopy';
import { isProfileChoice, type ProfileChoice } from '../../debug/profiles';
import { formatCommandLine, normalizeCommand, type Parsed } from './commandLine';

/**
 * Keeps a container alive without its own command: a shell looping on `sleep`, which (unlike `sleep` as PID 1)
 * ends at once on SIGTERM, so deleting the copy does not wait out the grace period. Needs `sh` and `sleep`.
 */
export const KEEP_ALIVE_COMMAND: readonly string[] = ['sh', '-c', "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"];

/** What happens to the application container in the copy. */
export type AppContainerAction =
  | { readonly kind: 'keep' }
  | { readonly kind: 'keep-alive'; readonly container: string }
  | { readonly kind: 'command'; readonly container: string; readonly command: readonly string[] };

export interface CopyChoices {
  readonly app: AppContainerAction;
  /** Container name (or `*`) → image. */
  readonly setImages: Readonly<Record<string, string>>;
  /** The debug container's image; null: no debug container. */
  readonly debugImage: string | null;
  readonly shareProcesses: boolean;
  readonly keep: PodCopyKeep;
  readonly sameNode: boolean;
  readonly replace: boolean;
  readonly copyName?: string;
  readonly profile?: ProfileChoice;
}

/** The regular containers, in spec order: the ones whose command a copy can replace. */
export function appContainerCandidates(pod: V1Pod): string[] {
  return (pod.spec?.containers ?? []).map((c) => c.name);
}

/** The first crashing regular container, else the first container. */
export function defaultAppContainer(pod: V1Pod, crashing: readonly CrashingContainer[]): string | undefined {
  const names = appContainerCandidates(pod);
  return crashing.find((c) => !c.init && names.includes(c.container))?.container ?? names[0];
}

/** Keep-alive for a crashing container (there is nothing to inspect in one that keeps dying), else keep as is. */
export function defaultAppAction(pod: V1Pod, crashing: readonly CrashingContainer[]): AppContainerAction {
  const names = appContainerCandidates(pod);
  const crashed = crashing.find((c) => !c.init && names.includes(c.container));
  return crashed !== undefined ? { kind: 'keep-alive', container: crashed.container } : { kind: 'keep' };
}

export function defaultCopyChoices(pod: V1Pod, crashing: readonly CrashingContainer[], defaultImage: string): CopyChoices {
  return { app: defaultAppAction(pod, crashing), setImages: {}, debugImage: defaultImage, shareProcesses: true, keep: {}, sameNode: false, replace: false };
}

/** `app=busybox:1.36 *=ubuntu`, separated by spaces or commas; empty is none. */
export function parseSetImages(text: string, containerNames: readonly string[]): Parsed<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const entry of text.split(/[\s,]+/).filter((e) => e !== '')) {
    const at = entry.indexOf('=');
    const container = at > 0 ? entry.slice(0, at) : '';
    const image = at > 0 ? entry.slice(at + 1) : '';
    if (container === '' || image === '') {
      return { error: `"${entry}" is not container=image: write e.g. ${containerNames[0] ?? 'app'}=busybox:1.36, or *=image for every container` };
    }
    if (container !== '*' && !containerNames.includes(container)) {
      return { error: `the pod has no container "${container}": choose one of ${containerNames.join(', ')}, or *` };
    }
    if (result[container] !== undefined) {
      return { error: `container "${container}" is given two images: give one` };
    }
    result[container] = image;
  }
  return { value: result };
}

export function formatSetImages(setImages: Readonly<Record<string, string>>): string {
  return Object.entries(setImages).map(([container, image]) => `${container}=${image}`).join(' ');
}

/** The arguments object of `ephemeralDebug.debugCopy` (tests, keybindings, other extensions). */
export interface NormalizedCopyArguments {
  readonly context?: string;
  readonly namespace?: string;
  readonly pod: string;
  /** The application container to keep alive or give `command`; default: the crashing one, else the first. */
  readonly container?: string;
  readonly keepAlive?: boolean;
  readonly command?: readonly string[];
  readonly setImages?: Readonly<Record<string, string>>;
  /** undefined: the default image; null: no debug container. */
  readonly debugImage?: string | null;
  readonly shareProcesses?: boolean;
  readonly keep?: PodCopyKeep;
  readonly sameNode?: boolean;
  readonly replace?: boolean;
  readonly copyName?: string;
  readonly profile?: ProfileChoice;
  /** Open the attach terminal. Default true. */
  readonly openTerminal: boolean;
  /** false: no pickers or questions (confirmations still follow the settings). Default true. */
  readonly interactive: boolean;
}

const KEEP_KEYS = ['labels', 'annotations', 'livenessProbe', 'readinessProbe', 'startupProbe', 'initContainers'] as const;

export function normalizeCopyArguments(value: unknown): Parsed<NormalizedCopyArguments> {
  const reader = readArguments(value);
  if (reader === undefined) {
    return { error: 'the arguments must be an object like { namespace, pod, keepAlive: true }' };
  }
  const { args, problems, text, flag } = reader;
  const pod = text('pod');
  if (pod === undefined) problems.push('"pod" is required');
  let command: string[] | undefined;
  if (args.command !== undefined && args.command !== null) {
    const parsed = normalizeCommand(args.command, '"command"');
    if ('error' in parsed) problems.push(parsed.error);
    else if (parsed.value.length === 0) problems.push('"command" is empty: give one, e.g. ["sh"], or use keepAlive');
    else command = parsed.value;
  }
  let setImages: Record<string, string> | undefined;
  if (args.setImages !== undefined && args.setImages !== null) {
    const entries = typeof args.setImages === 'object' && !Array.isArray(args.setImages) ? Object.entries(args.setImages as Record<string, unknown>) : undefined;
    if (entries === undefined || entries.some(([, image]) => typeof image !== 'string' || image === '')) {
      problems.push('"setImages" must map container names (or *) to images, e.g. {"app": "busybox:1.36"}');
    } else {
      setImages = Object.fromEntries(entries) as Record<string, string>;
    }
  }
  let debugImage: string | null | undefined;
  if (args.debugImage === null || args.debugImage === false) debugImage = null;
  else debugImage = text('debugImage');
  let keep: PodCopyKeep | undefined;
  if (args.keep !== undefined) {
    const raw = args.keep;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || Object.entries(raw).some(([k, v]) => !(KEEP_KEYS as readonly string[]).includes(k) || typeof v !== 'boolean')) {
      problems.push(`"keep" must be an object of booleans among ${KEEP_KEYS.join(', ')}`);
    } else {
      keep = raw as PodCopyKeep;
    }
  }
  const profile = text('profile');
  if (profile !== undefined && !isProfileChoice(profile)) problems.push(`"profile" "${profile}" is unknown`);
  const keepAlive = flag('keepAlive');
  if (keepAlive === true && command !== undefined) problems.push('give "keepAlive" or "command", not both');
  const result: NormalizedCopyArguments = {
    pod: pod ?? '',
    context: text('context'),
    namespace: text('namespace'),
    container: text('container'),
    keepAlive,
    command,
    setImages,
    debugImage,
    shareProcesses: flag('shareProcesses'),
    keep,
    sameNode: flag('sameNode'),
    replace: flag('replace'),
    copyName: text('copyName'),
    profile: profile !== undefined && isProfileChoice(profile) ? profile : undefined,
    openTerminal: flag('openTerminal') ?? true,
    interactive: flag('interactive') ?? true,
  };
  return problems.length > 0 ? { error: `Debug a Copy of Pod: ${problems.join('; ')}` } : { value: result };
}

/** The choices an arguments object stands for, defaults filled in from the pod. */
export function choicesFromArguments(args: NormalizedCopyArguments, pod: V1Pod, crashing: readonly CrashingContainer[], defaultImage: string): Parsed<CopyChoices> {
  const names = appContainerCandidates(pod);
  if (args.container !== undefined && !names.includes(args.container)) {
    return { error: `pod ${pod.metadata?.name ?? ''} has no container "${args.container}": choose one of ${names.join(', ')}` };
  }
  const container = args.container ?? defaultAppContainer(pod, crashing) ?? '';
  let app: AppContainerAction;
  if (args.command !== undefined) app = { kind: 'command', container, command: args.command };
  else if (args.keepAlive === true) app = { kind: 'keep-alive', container };
  else if (args.keepAlive === false) app = { kind: 'keep' };
  else app = args.container !== undefined && crashing.some((c) => c.container === args.container && !c.init) ? { kind: 'keep-alive', container } : defaultAppAction(pod, crashing);
  return {
    value: {
      app,
      setImages: args.setImages ?? {},
      debugImage: args.debugImage === undefined ? defaultImage : args.debugImage,
      shareProcesses: args.shareProcesses ?? true,
      keep: args.keep ?? {},
      sameNode: args.sameNode ?? false,
      replace: args.replace ?? false,
      ...(args.copyName !== undefined ? { copyName: args.copyName } : {}),
      ...(args.profile !== undefined ? { profile: args.profile } : {}),
    },
  };
}

/** The engine's request; a custom command gets stdin + TTY so a shell can be attached to. */
export function toCopyRequest(namespace: string, podName: string, choices: CopyChoices, sessionId: string): CopyRequest {
  const app = choices.app;
  return {
    namespace,
    podName,
    ...(choices.copyName !== undefined ? { copyName: choices.copyName } : {}),
    ...(choices.profile !== undefined ? { profile: choices.profile } : {}),
    shareProcesses: choices.shareProcesses,
    ...(Object.keys(choices.setImages).length > 0 ? { setImages: choices.setImages } : {}),
    ...(app.kind === 'keep-alive' ? { replaceCommand: { container: app.container, command: KEEP_ALIVE_COMMAND } } : {}),
    ...(app.kind === 'command' ? { replaceCommand: { container: app.container, command: app.command, interactive: true } } : {}),
    ...(choices.debugImage !== null ? { debugContainer: { image: choices.debugImage, sessionId } } : {}),
    keep: choices.keep,
    sameNode: choices.sameNode,
    replace: choices.replace,
  };
}

/** One line for the picker's title: the first crashing container, and how many more. */
export function crashHeadline(info: CrashInfo): string {
  const [first, ...others] = info.containers;
  if (first === undefined) return '';
  return summarizeCrash(first) + (others.length > 0 ? ` (+${others.length} more crashing)` : '');
}

/** The crash as a message detail: each container's summary and its last log lines. */
export function crashDetail(info: CrashInfo, maxLogLines = 12): string {
  return info.containers
    .map((c) => {
      const termination = c.lastTermination;
      const when = termination?.finishedAt !== undefined ? `, last ended ${termination.finishedAt.toISOString()}` : '';
      const head = `${summarizeCrash(c)}${when}`;
      if (c.logSource === 'none') return `${head}\n(no log: ${c.logError ?? 'none recorded'})`;
      const lines = c.logLines.slice(-maxLogLines);
      const which = c.logSource === 'previous' ? 'the instance that died' : 'the current instance';
      return lines.length === 0 ? `${head}\n(its log is empty)` : `${head}\nLast log lines of ${which}:\n${lines.map((l) => `  ${l}`).join('\n')}`;
    })
    .join('\n\n');
}

/** How the app container action reads in a summary, e.g. `app kept alive (sleep loop)`. */
export function describeAppAction(app: AppContainerAction): string {
  switch (app.kind) {
    case 'keep':
      return 'containers unchanged';
    case 'keep-alive':
      return `${app.container} kept alive (sleep loop instead of its command)`;
    case 'command':
      return `${app.container} runs ${formatCommandLine(app.command)}`;
  }
}

/**
 * Terminals open on each copy, so closing the last one can offer to delete the copy. Terminals are opaque
 * tokens (vscode.Terminal in the editor).
 */
export class CopyTerminalCounter<T> {
  private readonly copyOf = new Map<T, string>();
  private readonly open = new Map<string, number>();

  opened(copyKey: string, terminal: T): void {
    if (this.copyOf.has(terminal)) return;
    this.copyOf.set(terminal, copyKey);
    this.open.set(copyKey, (this.open.get(copyKey) ?? 0) + 1);
  }

  /** The copy whose last counted terminal this was; undefined for other terminals and while others remain. */
  closed(terminal: T): string | undefined {
    const copyKey = this.copyOf.get(terminal);
    if (copyKey === undefined) return undefined;
    this.copyOf.delete(terminal);
    const left = (this.open.get(copyKey) ?? 1) - 1;
    if (left > 0) {
      this.open.set(copyKey, left);
      return undefined;
    }
    this.open.delete(copyKey);
    return copyKey;
  }

  count(copyKey: string): number {
    return this.open.get(copyKey) ?? 0;
  }
}

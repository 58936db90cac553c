/**
 * The Attach Debug Container picker as data: which steps it asks, their defaults, and how command arguments
 * and templates skip steps. The picker in `../attachPicker.ts` only renders this. vscode-free.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { AttachRequest, AttachSettings, PrivilegeConfirmation } from '../../debug/attachFlow';
import { DebugFlowError } from '../../debug/debugFlowError';
import { parseCustomContainerSpec, type CustomContainerSpec } from '../../debug/customSpec';
import { defaultTargetContainer } from '../../debug/debugContainers';
import { DEBUG_PROFILES, NAMED_PROFILES, PROFILE_PRIVILEGE_RANK, isProfileChoice, type NamedProfile, type ProfileChoice } from '../../debug/profiles';
import { normalizeCommand, normalizeEnv, type EnvAssignment } from './commandLine';
import { isImageAllowed, type DebugTemplate, type EphemeralDebugSettings } from './settingsModel';

export type AttachStepId = 'image' | 'target' | 'profile' | 'env' | 'command' | 'name';
export const ATTACH_STEPS: readonly AttachStepId[] = ['image', 'target', 'profile', 'env', 'command', 'name'];

export type ReuseChoice = 'ask' | 'reattach' | 'new';

/**
 * Arguments of `ephemeralDebug.attach` when called by keybindings, tests or other extensions. Every field is
 * optional; each one given skips its step. With `interactive: false` the remaining steps take their defaults,
 * so a call with context, namespace and pod runs without any picker (confirmations still follow the settings).
 */
export interface AttachArguments {
  readonly context?: string;
  readonly namespace?: string;
  readonly pod?: string;
  /** Name of a template from `ephemeralDebug.templates`. */
  readonly template?: string;
  readonly image?: string;
  /** Container whose processes the debug container sees; `""` or `null` for none. */
  readonly target?: string | null;
  readonly profile?: ProfileChoice;
  /** `{NAME: value}`, `["NAME=value"]` or `"NAME=value OTHER=…"`. */
  readonly env?: unknown;
  /** argv, or one shell-like command line. */
  readonly command?: readonly string[] | string;
  readonly name?: string;
  /** Partial container spec (object, or YAML/JSON text) merged after the profile. */
  readonly customSpec?: Record<string, unknown> | string;
  /** When a running debug container with the same image and target exists. Default `ask`. */
  readonly reuse?: ReuseChoice;
  /** Default true. */
  readonly interactive?: boolean;
  /** Open the attach terminal when the container runs. Default true. */
  readonly openTerminal?: boolean;
}

export interface NormalizedAttachArguments {
  readonly context?: string;
  readonly namespace?: string;
  readonly pod?: string;
  readonly template?: string;
  readonly image?: string;
  /** null: explicitly no target. */
  readonly target?: string | null;
  readonly profile?: ProfileChoice;
  readonly env?: readonly EnvAssignment[];
  readonly command?: readonly string[];
  readonly name?: string;
  readonly customSpec?: CustomContainerSpec;
  readonly reuse: ReuseChoice;
  readonly interactive: boolean;
  readonly openTerminal: boolean;
}

const KNOWN_KEYS = new Set([
  'context',
  'namespace',
  'pod',
  'template',
  'image',
  'target',
  'profile',
  'env',
  'command',
  'name',
  'customSpec',
  'reuse',
  'interactive',
  'openTerminal',
]);

/** Validates untyped command arguments; the error is one line naming the bad field. */
export function normalizeAttachArguments(raw: unknown): { value: NormalizedAttachArguments } | { error: string } {
  if (raw === undefined || raw === null) {
    return { value: { reuse: 'ask', interactive: true, openTerminal: true } };
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return { error: 'ephemeralDebug.attach expects one object argument, e.g. {"namespace": "demo", "pod": "web"}' };
  }
  const args = raw as Record<string, unknown>;
  const unknown = Object.keys(args).filter((key) => !KNOWN_KEYS.has(key));
  if (unknown.length > 0) {
    return { error: `ephemeralDebug.attach: unknown argument ${unknown.map((k) => `"${k}"`).join(', ')}; known: ${[...KNOWN_KEYS].join(', ')}` };
  }
  const optionalString = (key: string): string | undefined | { error: string } => {
    const value = args[key];
    if (value === undefined || value === null) {
      return undefined;
    }
    if (typeof value !== 'string' || value.trim() === '') {
      return { error: `ephemeralDebug.attach: "${key}" must be a non-empty string` };
    }
    return value.trim();
  };
  const strings: Record<string, string | undefined> = {};
  for (const key of ['context', 'namespace', 'pod', 'template', 'image', 'name']) {
    const value = optionalString(key);
    if (typeof value === 'object') {
      return value;
    }
    strings[key] = value;
  }
  let target: string | null | undefined;
  if (args.target === null || args.target === '') {
    target = null;
  } else if (typeof args.target === 'string') {
    target = args.target.trim();
  } else if (args.target !== undefined) {
    return { error: 'ephemeralDebug.attach: "target" must be a container name, or "" for none' };
  }
  let profile: ProfileChoice | undefined;
  if (args.profile !== undefined && args.profile !== null) {
    if (typeof args.profile !== 'string' || !isProfileChoice(args.profile)) {
      return { error: `ephemeralDebug.attach: "profile" must be one of auto, ${NAMED_PROFILES.join(', ')}` };
    }
    profile = args.profile;
  }
  let env: EnvAssignment[] | undefined;
  if (args.env !== undefined && args.env !== null) {
    const parsed = normalizeEnv(args.env, 'ephemeralDebug.attach: "env"');
    if ('error' in parsed) {
      return parsed;
    }
    env = parsed.value;
  }
  let command: string[] | undefined;
  if (args.command !== undefined && args.command !== null) {
    const parsed = normalizeCommand(args.command, 'ephemeralDebug.attach: "command"');
    if ('error' in parsed) {
      return parsed;
    }
    command = parsed.value;
  }
  let customSpec: CustomContainerSpec | undefined;
  if (args.customSpec !== undefined && args.customSpec !== null) {
    if (typeof args.customSpec === 'string') {
      try {
        customSpec = parseCustomContainerSpec(args.customSpec, 'ephemeralDebug.attach "customSpec"');
      } catch (error) {
        return { error: (error as Error).message };
      }
    } else if (typeof args.customSpec === 'object' && !Array.isArray(args.customSpec)) {
      customSpec = structuredClone(args.customSpec as Record<string, unknown>);
    } else {
      return { error: 'ephemeralDebug.attach: "customSpec" must be an object of container fields or YAML/JSON text' };
    }
  }
  // A non-interactive call (a keybinding, another extension, a test) never blocks on a question: like kubectl
  // debug it adds a new container unless told to reattach.
  const reuse = args.reuse ?? (args.interactive === false ? 'new' : 'ask');
  if (reuse !== 'ask' && reuse !== 'reattach' && reuse !== 'new') {
    return { error: 'ephemeralDebug.attach: "reuse" must be "ask", "reattach" or "new"' };
  }
  for (const key of ['interactive', 'openTerminal']) {
    if (args[key] !== undefined && typeof args[key] !== 'boolean') {
      return { error: `ephemeralDebug.attach: "${key}" must be true or false` };
    }
  }
  return {
    value: {
      ...(strings.context !== undefined ? { context: strings.context } : {}),
      ...(strings.namespace !== undefined ? { namespace: strings.namespace } : {}),
      ...(strings.pod !== undefined ? { pod: strings.pod } : {}),
      ...(strings.template !== undefined ? { template: strings.template } : {}),
      ...(strings.image !== undefined ? { image: strings.image } : {}),
      ...(strings.name !== undefined ? { name: strings.name } : {}),
      ...(target !== undefined ? { target } : {}),
      ...(profile !== undefined ? { profile } : {}),
      ...(env !== undefined ? { env } : {}),
      ...(command !== undefined ? { command } : {}),
      ...(customSpec !== undefined ? { customSpec } : {}),
      reuse,
      interactive: args.interactive !== false,
      openTerminal: args.openTerminal !== false,
    },
  };
}

/** The values the picker collects. */
export interface AttachChoices {
  readonly template?: DebugTemplate;
  readonly image: string;
  /** undefined: no target container. */
  readonly target: string | undefined;
  readonly profile: ProfileChoice;
  readonly env: readonly EnvAssignment[];
  /** Empty: the image's entrypoint. */
  readonly command: readonly string[];
  /**
   * undefined: generated (`debugger-` + 5 characters) by the engine, which then also offers to reattach to a
   * running debug container with the same image and target; an explicit name always adds a new container.
   */
  readonly name?: string;
  readonly customSpec?: CustomContainerSpec;
}

export interface AttachPlan {
  readonly choices: AttachChoices;
  /** Steps still to ask, in order. */
  readonly steps: readonly AttachStepId[];
}

/** A container the debug container can target, in picker order. */
export interface TargetCandidate {
  readonly name: string;
  readonly kind: 'regular' | 'sidecar' | 'init';
  readonly running: boolean;
  readonly image?: string;
}

export function targetCandidates(pod: V1Pod): TargetCandidate[] {
  const statuses = new Map([...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])].map((s) => [s.name, s]));
  const running = (name: string): boolean => statuses.get(name)?.state?.running !== undefined;
  const regular = (pod.spec?.containers ?? []).map((c): TargetCandidate => ({ name: c.name, kind: 'regular', running: running(c.name), image: c.image }));
  const sidecars = (pod.spec?.initContainers ?? [])
    .filter((c) => c.restartPolicy === 'Always')
    .map((c): TargetCandidate => ({ name: c.name, kind: 'sidecar', running: running(c.name), image: c.image }));
  return [...regular, ...sidecars];
}

/** The only regular container, else the first running one (the attach engine's rule). */
export { defaultTargetContainer };

/** Images made for network troubleshooting, which need the pod's network and no target container. */
const NETWORK_IMAGE = /(^|\/)(netshoot|network-multitool|tcpdump|netutils|dnsutils)(:|@|$)/;

/** Whether "no target container" is offered first: a network image, or a pod that shares its process namespace. */
export function prefersNoTarget(pod: V1Pod, image: string): boolean {
  return pod.spec?.shareProcessNamespace === true || NETWORK_IMAGE.test(image);
}

/** What a debug container without a target sees in this pod, for the picker. */
export function noTargetDescription(pod: V1Pod): string {
  return pod.spec?.shareProcessNamespace === true
    ? "the pod's network and, as the pod shares its process namespace, its processes"
    : "the pod's network, IPC and hostname; not its processes or files";
}

/** The steps that arguments, the template or the invoking node already answer. */
function stepsGiven(args: NormalizedAttachArguments, template: DebugTemplate | undefined, presetTarget: string | undefined): Set<AttachStepId> {
  const given = new Set<AttachStepId>();
  const mark = (step: AttachStepId, present: boolean): void => {
    if (present) {
      given.add(step);
    }
  };
  mark('image', args.image !== undefined || template !== undefined);
  mark('target', args.target !== undefined || presetTarget !== undefined);
  mark('profile', args.profile !== undefined || template?.profile !== undefined);
  mark('env', args.env !== undefined || template?.env !== undefined);
  mark('command', args.command !== undefined || template?.command !== undefined);
  mark('name', args.name !== undefined);
  return given;
}

/**
 * The attach steps the picker will ask, known before the pod is chosen (they do not depend on it), so the step
 * counter of the context/namespace/pod steps already counts them: "(1/9)", not "(1/4)" then "(4/9)".
 */
export function provisionalSteps(args: NormalizedAttachArguments, settings: Pick<EphemeralDebugSettings, 'templates'>, presetTarget?: string): AttachStepId[] {
  if (!args.interactive) return [];
  const template = args.template !== undefined ? settings.templates.find((t) => t.name === args.template) : undefined;
  const given = stepsGiven(args, template, presetTarget);
  return ATTACH_STEPS.filter((step) => !given.has(step));
}

/**
 * The first plan: argument values, then the template's, then defaults. `presetTarget` comes from the node the
 * command was invoked on (a container node), and counts as given.
 */
export function planAttach(input: {
  readonly args: NormalizedAttachArguments;
  readonly settings: Pick<EphemeralDebugSettings, 'defaultImage' | 'defaultProfile' | 'templates' | 'policy' | 'imagePresets'>;
  readonly pod: V1Pod;
  readonly presetTarget?: string;
}): { value: AttachPlan } | { error: string } {
  const { args, settings, pod } = input;
  let template: DebugTemplate | undefined;
  if (args.template !== undefined) {
    template = settings.templates.find((t) => t.name === args.template);
    if (template === undefined) {
      const known = settings.templates.map((t) => t.name).join(', ') || 'none are defined';
      return { error: `no debug template named "${args.template}" in ephemeralDebug.templates (${known})` };
    }
  }
  const given = stepsGiven(args, template, input.presetTarget);

  const image = args.image ?? template?.image ?? defaultImageFor(settings);
  // A network image given up front (argument, template, default) runs without a target unless one is named.
  const defaultTarget = NETWORK_IMAGE.test(image) ? undefined : defaultTargetContainer(pod);
  const target = args.target === null ? undefined : (args.target ?? input.presetTarget ?? defaultTarget);
  const choices: AttachChoices = {
    ...(template !== undefined ? { template } : {}),
    image,
    target,
    profile: args.profile ?? template?.profile ?? settings.defaultProfile,
    env: args.env ?? template?.env ?? [],
    command: args.command ?? template?.command ?? [],
    ...(args.name !== undefined ? { name: args.name } : {}),
    ...(args.customSpec !== undefined || template?.customSpec !== undefined ? { customSpec: args.customSpec ?? template?.customSpec } : {}),
  };
  const steps = args.interactive ? ATTACH_STEPS.filter((step) => !given.has(step)) : [];
  return { value: { choices, steps } };
}

/** Steps a template answers, so the picker skips them once it is chosen. */
export function stepsAnsweredByTemplate(template: DebugTemplate | undefined): Set<AttachStepId> {
  return new Set<AttachStepId>([
    ...(template?.profile !== undefined ? (['profile'] as const) : []),
    ...(template?.env !== undefined ? (['env'] as const) : []),
    ...(template?.command !== undefined ? (['command'] as const) : []),
  ]);
}

/** The steps to ask: the plan's, minus those the chosen template answers. */
export function visibleSteps(plan: AttachPlan, template: DebugTemplate | undefined): AttachStepId[] {
  const answered = stepsAnsweredByTemplate(template);
  return plan.steps.filter((step) => !answered.has(step));
}

/**
 * The choices after the image step: a template sets its fields (arguments still win); a plain image clears an
 * earlier template (Back, then another pick) and restores the plan's values for the fields it had set.
 */
export function choicesAfterImagePick(plan: AttachPlan, current: AttachChoices, pick: { template: DebugTemplate } | { image: string }, args: NormalizedAttachArguments): AttachChoices {
  const base = plan.choices;
  const previous = current.template;
  // Fields the previous template set go back to the plan's values unless the user has since changed them.
  const restore = <K extends 'profile' | 'env' | 'command'>(key: K): AttachChoices[K] =>
    previous !== undefined && previous[key] !== undefined && current[key] === (args[key] ?? previous[key]) ? base[key] : current[key];
  const cleared: AttachChoices = {
    ...current,
    template: undefined,
    profile: restore('profile'),
    env: restore('env'),
    command: restore('command'),
    customSpec: args.customSpec,
  };
  if ('image' in pick) {
    return { ...cleared, image: pick.image };
  }
  const { template } = pick;
  return {
    ...cleared,
    template,
    image: template.image,
    profile: args.profile ?? template.profile ?? cleared.profile,
    env: args.env ?? template.env ?? cleared.env,
    command: args.command ?? template.command ?? cleared.command,
    customSpec: args.customSpec ?? template.customSpec,
  };
}

/** The configured default image, or the first allowed preset when policy forbids it. */
export function defaultImageFor(settings: Pick<EphemeralDebugSettings, 'defaultImage' | 'policy' | 'imagePresets'>): string {
  if (isImageAllowed(settings.defaultImage, settings.policy)) {
    return settings.defaultImage;
  }
  return settings.imagePresets.find((p) => isImageAllowed(p.image, settings.policy))?.image ?? settings.defaultImage;
}

export type ImageEntry =
  | { readonly kind: 'template'; readonly template: DebugTemplate }
  | { readonly kind: 'image'; readonly image: string; readonly source: 'default' | 'recent' | 'preset'; readonly description?: string }
  | { readonly kind: 'custom' };

/**
 * The image step's entries: templates first, then the default image, recently used images, presets, and
 * "Custom image…". Images the policy does not allow are left out (the command refuses them anyway).
 */
export function imageEntries(
  settings: Pick<EphemeralDebugSettings, 'defaultImage' | 'imagePresets' | 'templates' | 'policy'>,
  recentImages: readonly string[],
): ImageEntry[] {
  const entries: ImageEntry[] = [];
  for (const template of settings.templates) {
    if (isImageAllowed(template.image, settings.policy)) {
      entries.push({ kind: 'template', template });
    }
  }
  const seen = new Set<string>();
  const add = (image: string, source: 'default' | 'recent' | 'preset', description?: string): void => {
    if (seen.has(image) || !isImageAllowed(image, settings.policy)) {
      return;
    }
    seen.add(image);
    entries.push({ kind: 'image', image, source, ...(description !== undefined ? { description } : {}) });
  };
  const preset = (image: string): string | undefined => settings.imagePresets.find((p) => p.image === image)?.description;
  add(defaultImageFor({ ...settings }), 'default', preset(settings.defaultImage));
  for (const image of recentImages) {
    add(image, 'recent', preset(image));
  }
  for (const { image, description } of settings.imagePresets) {
    add(image, 'preset', description);
  }
  entries.push({ kind: 'custom' });
  return entries;
}

export interface ProfileEntry {
  readonly profile: ProfileChoice;
  readonly summary: string;
  /** Adds privilege beyond the runtime default (ptrace, network admin, privileged): asks for confirmation. */
  readonly addsPrivilege: boolean;
  readonly deprecated: boolean;
}

export function profileEntries(): ProfileEntry[] {
  return [
    { profile: 'auto', summary: 'least privilege that passes Pod Security and can read the target’s files', addsPrivilege: false, deprecated: false },
    ...(['general', 'baseline', 'restricted', 'netadmin', 'sysadmin', 'legacy'] as const).map((profile) => ({
      profile,
      summary: DEBUG_PROFILES[profile].summary,
      addsPrivilege: profileAddsPrivilege(profile),
      deprecated: DEBUG_PROFILES[profile].deprecation !== undefined,
    })),
  ];
}

/** general (SYS_PTRACE), netadmin (NET_ADMIN, NET_RAW) and sysadmin (privileged). */
export function profileAddsPrivilege(profile: NamedProfile): boolean {
  return PROFILE_PRIVILEGE_RANK[profile] >= PROFILE_PRIVILEGE_RANK.general;
}

/** Most recently used first, without duplicates, at most `max`. */
export function rememberImage(recent: readonly string[], image: string, max = 8): string[] {
  return [image, ...recent.filter((i) => i !== image)].slice(0, max);
}

/** The attach flow's settings from the extension's: the governance policy always goes with them. */
export function attachSettings(settings: EphemeralDebugSettings): AttachSettings {
  return {
    defaultImage: settings.defaultImage,
    defaultProfile: settings.defaultProfile,
    policy: settings.policy,
    skipPrivilegedConfirmation: !settings.confirmPrivilegedProfiles,
    waitTimeoutMs: settings.waitTimeoutSeconds * 1000,
  };
}

/**
 * Open Target Filesystem → Add Debug Container: the default image with the auto profile targeting the
 * container, through the same settings (the policy) and with a session id, like every other way of adding one.
 */
export function targetFilesystemAttach(
  target: { readonly namespace: string; readonly pod: string; readonly container: string },
  settings: EphemeralDebugSettings,
  sessionId: string,
): { readonly request: AttachRequest; readonly settings: AttachSettings } {
  return {
    request: { namespace: target.namespace, podName: target.pod, targetContainer: target.container, image: settings.defaultImage, profile: 'auto', sessionId },
    settings: attachSettings(settings),
  };
}

/**
 * The privileged-profile question of commands that take `interactive: false` (diagnostics, playbooks). Only the
 * confirmPrivilegedProfiles setting (machine-scoped: no workspace sets it) turns the question off; a command's
 * arguments cannot. Asked when interactive; refused with what to do when not, as nobody is there to answer.
 */
export function privilegedProfileConfirmation(
  settings: Pick<EphemeralDebugSettings, 'confirmPrivilegedProfiles'>,
  interactive: boolean,
  ask: (info: PrivilegeConfirmation) => Promise<boolean>,
): (info: PrivilegeConfirmation) => Promise<boolean> {
  return async (info) => {
    if (!settings.confirmPrivilegedProfiles) return true;
    if (interactive) return ask(info);
    throw new DebugFlowError(
      'spec',
      `profile "${info.profile}" gives the debug container in ${info.podName} ${info.grants.join(', ')} and needs a confirmation that a non-interactive call cannot give; run the command interactively, or turn off the user setting ephemeralDebug.confirmPrivilegedProfiles`,
    );
  };
}

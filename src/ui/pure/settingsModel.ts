/**
 * The extension's settings as data: their keys, defaults, which of them an untrusted workspace may not set,
 * and normalisation of the raw values (invalid entries are dropped and reported, never thrown).
 * vscode-free: the reader in `../settings.ts` feeds it `inspect()` results.
 */
import { homedir } from 'node:os';
import { isAbsolute } from 'node:path';
import type { CustomContainerSpec } from '../../debug/customSpec';
import { parseCustomContainerSpec } from '../../debug/customSpec';
import { imageMatchesAnyPattern, parseImageReference } from '../../debug/imageReference';
import type { DebugPolicy } from '../../debug/debugContainerSpec';
import { isProfileChoice, type ProfileChoice } from '../../debug/profiles';
import { GOVERNANCE_SETTING, mergeGovernance, type GovernanceSettings } from './governanceSettings';
import { normalizeUserScripts, type UserScript as UserDiagnosticScript } from '../../diagnostics/userScripts';
import { normalizePlaybooks } from '../../playbooks/normalize';
import type { Playbook } from '../../playbooks/types';
import { normalizeCommand, normalizeEnv, type EnvAssignment } from './commandLine';

export const SETTINGS_SECTION = 'ephemeralDebug';

/** Keys relative to SETTINGS_SECTION. */
export const SETTING = {
  kubeconfig: 'kubeconfig',
  defaultImage: 'defaultImage',
  imagePresets: 'imagePresets',
  defaultProfile: 'defaultProfile',
  waitTimeoutSeconds: 'waitTimeoutSeconds',
  confirmPrivilegedProfiles: 'confirmPrivilegedProfiles',
  showEphemeralNotice: 'showEphemeralNotice',
  templates: 'templates',
  namespaceFilter: 'namespaceFilter',
  labelSelector: 'labelSelector',
  targetFsAllowWrites: 'targetFilesystem.allowWrites',
  targetFsWatchPollSeconds: 'targetFilesystem.watchPollSeconds',
  targetFsCacheSeconds: 'targetFilesystem.cacheSeconds',
  sessionsRetentionDays: 'sessions.retentionDays',
  sessionsRecordTerminals: 'sessions.recordTerminals',
  sessionsRecordInput: 'sessions.recordInput',
  sessionsClusterEvents: 'sessions.clusterEvents',
  sessionsArchiveDirectory: 'sessions.archiveDirectory',
  cleanupMaxAgeHours: 'cleanup.maxAgeHours',
  diagnosticsShowEnvValues: 'diagnostics.showEnvValues',
  diagnosticsUserScripts: 'diagnostics.userScripts',
  playbooks: 'playbooks',
} as const;

export type SettingKey = (typeof SETTING)[keyof typeof SETTING];

/**
 * Settings whose workspace values are ignored in untrusted workspaces: they pick kubeconfig files (whose exec
 * plugins run programs), images, commands and profiles. Listed in package.json's restrictedConfigurations too.
 */
export const RESTRICTED_SETTINGS: readonly (SettingKey | (typeof GOVERNANCE_SETTING)[keyof typeof GOVERNANCE_SETTING])[] = [
  SETTING.kubeconfig,
  SETTING.defaultImage,
  SETTING.imagePresets,
  SETTING.defaultProfile,
  // Governance: an untrusted workspace may not even tighten them (mergeGovernance drops its values).
  ...Object.values(GOVERNANCE_SETTING),
  SETTING.templates,
  // Writes change a running container: an untrusted workspace must not switch them on.
  SETTING.targetFsAllowWrites,
  // Scripts run in debug containers, and env values are shown: only the user decides.
  SETTING.diagnosticsUserScripts,
  SETTING.diagnosticsShowEnvValues,
  SETTING.playbooks,
  // The journal is shared by every workspace: a workspace must not prune it, nor record what is typed
  // (passwords) or shown in terminals.
  SETTING.sessionsRetentionDays,
  SETTING.sessionsRecordTerminals,
  SETTING.sessionsRecordInput,
  // What the cluster learns of a session is the team's audit trail: a workspace must not switch it off.
  SETTING.sessionsClusterEvents,
  SETTING.sessionsArchiveDirectory,
];

/**
 * Settings no workspace may set, trusted or not (package.json scopes them `machine` too): what the cluster and
 * the team learn of a session. A repository must not switch the Events off nor point the archive (every
 * session's artifacts) at a folder of its choosing.
 */
export const USER_ONLY_SETTINGS: readonly SettingKey[] = [SETTING.sessionsClusterEvents, SETTING.sessionsArchiveDirectory];

/** The Kubernetes extension's settings object and the kubeconfig key inside it (a dotted key in an object). */
export const KUBERNETES_EXTENSION_SECTION = 'vs-kubernetes';
export const KUBERNETES_EXTENSION_KUBECONFIG_KEY = 'vs-kubernetes.kubeconfig';

export interface ImagePreset {
  readonly image: string;
  readonly description?: string;
}

export const DEFAULT_IMAGE = 'busybox:1.36';
export const DEFAULT_WAIT_TIMEOUT_SECONDS = 120;

export const DEFAULT_IMAGE_PRESETS: readonly ImagePreset[] = [
  { image: 'busybox:1.36', description: 'small shell and core tools' },
  { image: 'nicolaka/netshoot:v0.13', description: 'network tools: ip, ss, curl, tcpdump, strace' },
  { image: 'ubuntu:24.04', description: 'GNU userland; apt-get for anything else' },
  { image: 'node:22', description: 'Node.js 22: node inspect, npm' },
  { image: 'python:3.12', description: 'Python 3.12: pdb, pip (add debugpy)' },
  { image: 'eclipse-temurin:17', description: 'Java 17 JDK: jcmd, jstack, jdb' },
  { image: 'ghcr.io/go-delve/delve:v1.20', description: 'Go: dlv attach' },
];

export interface DebugTemplate {
  readonly name: string;
  readonly description?: string;
  readonly image: string;
  readonly profile?: ProfileChoice;
  readonly env?: readonly EnvAssignment[];
  readonly command?: readonly string[];
  readonly customSpec?: CustomContainerSpec;
}

export interface TargetFilesystemSettings {
  /** Saving, creating, renaming and deleting in a target's filesystem; off: read-only. */
  readonly allowWrites: boolean;
  /** 0: no polling. */
  readonly watchPollSeconds: number;
  readonly cacheSeconds: number;
}

export interface SessionSettings {
  /** Sessions (and their artifacts) older than this are deleted when the journal opens. */
  readonly retentionDays: number;
  /** Record attach and shell terminals as asciinema casts in the session's artifacts. */
  readonly recordTerminals: boolean;
  /** Include keystrokes in recordings (off: output only). */
  readonly recordInput: boolean;
  /** Post each session's start and end as an Event on its pod. */
  readonly clusterEvents: boolean;
  /** The team archive: each finished session's export zip is written here; undefined: none. */
  readonly archiveDirectory?: string;
}

export interface DiagnosticsSettings {
  /** Show the target's environment values (secrets redacted); off: names only. */
  readonly showEnvValues: boolean;
  readonly userScripts: readonly UserDiagnosticScript[];
}

export const DEFAULT_RETENTION_DAYS = 30;
/** Sessions are kept at least this long, whatever the setting says. */
export const MIN_RETENTION_DAYS = 1;
export const DEFAULT_CLEANUP_MAX_AGE_HOURS = 24;

export interface EphemeralDebugSettings {
  /** Our own kubeconfig path setting (may list several files with the platform's path delimiter). */
  readonly kubeconfig?: string;
  /** `vs-kubernetes.kubeconfig` of the Kubernetes extension, when set. */
  readonly kubernetesExtensionKubeconfig?: string;
  readonly defaultImage: string;
  readonly imagePresets: readonly ImagePreset[];
  readonly defaultProfile: ProfileChoice;
  /** Governance, merged from user and workspace values (see governanceSettings.ts); applied by the spec builder. */
  readonly policy: DebugPolicy;
  readonly timeLimitWarningMinutes: number;
  readonly waitTimeoutSeconds: number;
  readonly confirmPrivilegedProfiles: boolean;
  readonly showEphemeralNotice: boolean;
  readonly templates: readonly DebugTemplate[];
  readonly namespaceFilter: readonly string[];
  readonly labelSelector: string;
  readonly targetFilesystem: TargetFilesystemSettings;
  readonly sessions: SessionSettings;
  /** "Clean Up Debug Pods" preselects copies older than this. */
  readonly cleanupMaxAgeHours: number;
  readonly diagnostics: DiagnosticsSettings;
  /** User playbooks, validated (invalid entries are in `problems`). */
  readonly playbooks: readonly Playbook[];
  /** Whether restricted settings were limited to user values because the workspace is untrusted. */
  readonly restricted: boolean;
  /** One line per ignored invalid value, for the log. */
  readonly problems: readonly string[];
}

/** What `WorkspaceConfiguration.inspect()` returns, reduced to what matters here. */
export interface InspectedValue<T = unknown> {
  readonly defaultValue?: T;
  readonly globalValue?: T;
  readonly workspaceValue?: T;
  readonly workspaceFolderValue?: T;
}

/**
 * The effective value of a setting. In an untrusted workspace a restricted setting takes only the user's
 * (global) value or the default; VS Code does the same for restrictedConfigurations, this makes it explicit.
 */
export function effectiveSettingValue<T>(inspected: InspectedValue<T> | undefined, options: { trusted: boolean; restricted: boolean; userOnly?: boolean }): T | undefined {
  if (inspected === undefined) {
    return undefined;
  }
  if (options.userOnly === true || (options.restricted && !options.trusted)) {
    return inspected.globalValue ?? inspected.defaultValue;
  }
  return inspected.workspaceFolderValue ?? inspected.workspaceValue ?? inspected.globalValue ?? inspected.defaultValue;
}

const isNonEmptyString = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';

function imageProblem(image: string): string | undefined {
  const parsed = parseImageReference(image);
  return 'error' in parsed ? parsed.error : undefined;
}

/** Normalises raw values keyed like SETTING (relative keys); unknown or invalid values fall back to defaults. */
export function normalizeSettings(
  raw: Readonly<Partial<Record<SettingKey, unknown>>> & { kubernetesExtensionKubeconfig?: unknown },
  restricted = false,
  governance: GovernanceSettings = mergeGovernance({}, true),
): EphemeralDebugSettings {
  const problems: string[] = [...governance.problems];
  const setting = (key: SettingKey): string => `${SETTINGS_SECTION}.${key}`;

  let defaultImage = DEFAULT_IMAGE;
  if (isNonEmptyString(raw.defaultImage)) {
    const problem = imageProblem(raw.defaultImage.trim());
    if (problem === undefined) {
      defaultImage = raw.defaultImage.trim();
    } else {
      problems.push(`${setting(SETTING.defaultImage)}: "${raw.defaultImage}" is not an image reference (${problem}); using ${DEFAULT_IMAGE}`);
    }
  }

  let imagePresets: ImagePreset[] = [...DEFAULT_IMAGE_PRESETS];
  if (Array.isArray(raw.imagePresets)) {
    imagePresets = [];
    raw.imagePresets.forEach((entry: unknown, index) => {
      const image = typeof entry === 'string' ? entry : typeof entry === 'object' && entry !== null ? (entry as { image?: unknown }).image : undefined;
      const description = typeof entry === 'object' && entry !== null ? (entry as { description?: unknown }).description : undefined;
      if (!isNonEmptyString(image) || imageProblem(image.trim()) !== undefined) {
        problems.push(`${setting(SETTING.imagePresets)}[${index}]: not an image reference; ignored`);
        return;
      }
      if (!imagePresets.some((p) => p.image === image.trim())) {
        imagePresets.push({ image: image.trim(), ...(typeof description === 'string' && description !== '' ? { description } : {}) });
      }
    });
  } else if (raw.imagePresets !== undefined && raw.imagePresets !== null) {
    problems.push(`${setting(SETTING.imagePresets)}: expected a list; using the built-in presets`);
  }

  let defaultProfile: ProfileChoice = 'auto';
  if (typeof raw.defaultProfile === 'string' && isProfileChoice(raw.defaultProfile)) {
    defaultProfile = raw.defaultProfile;
  } else if (raw.defaultProfile !== undefined && raw.defaultProfile !== null) {
    problems.push(`${setting(SETTING.defaultProfile)}: "${String(raw.defaultProfile)}" is not a profile; using auto`);
  }

  let waitTimeoutSeconds = DEFAULT_WAIT_TIMEOUT_SECONDS;
  if (typeof raw.waitTimeoutSeconds === 'number' && Number.isFinite(raw.waitTimeoutSeconds) && raw.waitTimeoutSeconds > 0) {
    waitTimeoutSeconds = Math.min(raw.waitTimeoutSeconds, 3600);
  } else if (raw.waitTimeoutSeconds !== undefined && raw.waitTimeoutSeconds !== null) {
    problems.push(`${setting(SETTING.waitTimeoutSeconds)}: expected a positive number of seconds; using ${DEFAULT_WAIT_TIMEOUT_SECONDS}`);
  }

  const templates: DebugTemplate[] = [];
  if (Array.isArray(raw.templates)) {
    raw.templates.forEach((entry: unknown, index) => {
      const result = normalizeTemplate(entry, `${setting(SETTING.templates)}[${index}]`);
      if ('error' in result) {
        problems.push(`${result.error}; template ignored`);
      } else if (templates.some((t) => t.name === result.value.name)) {
        problems.push(`${setting(SETTING.templates)}[${index}]: a template named "${result.value.name}" comes earlier; ignored`);
      } else {
        templates.push(result.value);
      }
    });
  }

  const namespaceFilter = Array.isArray(raw.namespaceFilter) ? raw.namespaceFilter.filter(isNonEmptyString).map((n) => n.trim()) : [];
  const labelSelector = typeof raw.labelSelector === 'string' ? raw.labelSelector.trim() : '';
  const seconds = (key: SettingKey, fallback: number, max: number): number => {
    const value = raw[key];
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return Math.min(value, max);
    if (value !== undefined && value !== null) problems.push(`${setting(key)}: expected a number of seconds from 0 to ${max}; using ${fallback}`);
    return fallback;
  };
  const targetFilesystem: TargetFilesystemSettings = {
    allowWrites: raw[SETTING.targetFsAllowWrites] === true,
    watchPollSeconds: seconds(SETTING.targetFsWatchPollSeconds, 0, 600),
    cacheSeconds: seconds(SETTING.targetFsCacheSeconds, 2, 60),
  };

  const positive = (key: SettingKey, fallback: number, max: number, unit: string): number => {
    const value = raw[key];
    if (typeof value === 'number' && Number.isFinite(value) && value > 0) return Math.min(value, max);
    if (value !== undefined && value !== null) problems.push(`${setting(key)}: expected a positive number of ${unit}; using ${fallback}`);
    return fallback;
  };
  const retentionDays = (): number => {
    const value = raw[SETTING.sessionsRetentionDays];
    // A fraction of a day would prune every session (of every workspace) at the next start.
    if (typeof value === 'number' && Number.isFinite(value) && value >= MIN_RETENTION_DAYS) return Math.min(value, 3650);
    if (value !== undefined && value !== null) problems.push(`${setting(SETTING.sessionsRetentionDays)}: expected a number of days from ${MIN_RETENTION_DAYS} to 3650; using ${DEFAULT_RETENTION_DAYS}`);
    return DEFAULT_RETENTION_DAYS;
  };
  const archiveDirectory = (): string | undefined => {
    const value = raw[SETTING.sessionsArchiveDirectory];
    if (value === undefined || value === null || value === '') return undefined;
    const expanded = typeof value === 'string' ? value.trim().replace(/^~(?=$|\/)/, homedir()) : undefined;
    if (expanded !== undefined && isAbsolute(expanded)) return expanded;
    problems.push(`${setting(SETTING.sessionsArchiveDirectory)}: expected an absolute folder path (or ~/…); sessions are not archived`);
    return undefined;
  };
  const archive = archiveDirectory();
  const sessions: SessionSettings = {
    retentionDays: retentionDays(),
    recordTerminals: raw[SETTING.sessionsRecordTerminals] === true,
    recordInput: raw[SETTING.sessionsRecordInput] === true,
    clusterEvents: raw[SETTING.sessionsClusterEvents] !== false,
    ...(archive !== undefined ? { archiveDirectory: archive } : {}),
  };
  const userScripts = raw[SETTING.diagnosticsUserScripts] === undefined || raw[SETTING.diagnosticsUserScripts] === null ? { value: [], problems: [] } : normalizeUserScripts(raw[SETTING.diagnosticsUserScripts]);
  problems.push(...userScripts.problems.map((p) => `${setting(SETTING.diagnosticsUserScripts)}: ${p}`));
  const playbooks = raw[SETTING.playbooks] === undefined || raw[SETTING.playbooks] === null ? { value: [], problems: [] } : normalizePlaybooks(raw[SETTING.playbooks]);
  problems.push(...playbooks.problems.map((p) => `${setting(SETTING.playbooks)}: ${p}`));

  return {
    sessions,
    cleanupMaxAgeHours: positive(SETTING.cleanupMaxAgeHours, DEFAULT_CLEANUP_MAX_AGE_HOURS, 24 * 365, 'hours'),
    diagnostics: { showEnvValues: raw[SETTING.diagnosticsShowEnvValues] === true, userScripts: userScripts.value },
    playbooks: playbooks.value,
    kubeconfig: isNonEmptyString(raw.kubeconfig) ? raw.kubeconfig.trim() : undefined,
    kubernetesExtensionKubeconfig: isNonEmptyString(raw.kubernetesExtensionKubeconfig) ? raw.kubernetesExtensionKubeconfig.trim() : undefined,
    defaultImage,
    imagePresets,
    defaultProfile,
    policy: governance.policy,
    timeLimitWarningMinutes: governance.timeLimitWarningMinutes,
    waitTimeoutSeconds,
    confirmPrivilegedProfiles: raw.confirmPrivilegedProfiles !== false,
    showEphemeralNotice: raw.showEphemeralNotice !== false,
    templates,
    namespaceFilter,
    labelSelector,
    targetFilesystem,
    restricted,
    problems,
  };
}

export function normalizeTemplate(entry: unknown, source: string): { value: DebugTemplate } | { error: string } {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    return { error: `${source}: expected an object with at least "name" and "image"` };
  }
  const raw = entry as Record<string, unknown>;
  if (!isNonEmptyString(raw.name)) {
    return { error: `${source}: "name" is missing` };
  }
  const name = raw.name.trim();
  if (!isNonEmptyString(raw.image)) {
    return { error: `${source} ("${name}"): "image" is missing` };
  }
  const image = raw.image.trim();
  const problem = imageProblem(image);
  if (problem !== undefined) {
    return { error: `${source} ("${name}"): invalid image "${image}" (${problem})` };
  }
  let profile: ProfileChoice | undefined;
  if (raw.profile !== undefined && raw.profile !== null) {
    if (typeof raw.profile !== 'string' || !isProfileChoice(raw.profile)) {
      return { error: `${source} ("${name}"): "${String(raw.profile)}" is not a profile` };
    }
    profile = raw.profile;
  }
  const env = normalizeEnv(raw.env, `${source} ("${name}") env`);
  if ('error' in env) {
    return { error: env.error };
  }
  const command = normalizeCommand(raw.command, `${source} ("${name}") command`);
  if ('error' in command) {
    return { error: command.error };
  }
  let customSpec: CustomContainerSpec | undefined;
  const customRaw = raw.customSpec ?? raw.custom;
  if (customRaw !== undefined && customRaw !== null) {
    try {
      customSpec = typeof customRaw === 'string' ? parseCustomContainerSpec(customRaw, `${source} ("${name}") customSpec`) : parseCustomObject(customRaw);
    } catch (error) {
      return { error: (error as Error).message };
    }
  }
  return {
    value: {
      name,
      image,
      ...(isNonEmptyString(raw.description) ? { description: raw.description } : {}),
      ...(profile !== undefined ? { profile } : {}),
      ...(env.value.length > 0 ? { env: env.value } : {}),
      ...(command.value.length > 0 ? { command: command.value } : {}),
      ...(customSpec !== undefined ? { customSpec } : {}),
    },
  };
}

function parseCustomObject(value: unknown): CustomContainerSpec {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('customSpec must be an object of container fields, or YAML/JSON text');
  }
  return structuredClone(value as Record<string, unknown>);
}

/** Whether the policy's image lists (user and workspace) allow `image`; pickers hide the others. */
export function isImageAllowed(image: string, policy: Pick<DebugPolicy, 'allowedImages' | 'workspaceAllowedImages'>): boolean {
  const lists = [policy.allowedImages, policy.workspaceAllowedImages].filter((l): l is readonly string[] => l !== undefined);
  if (lists.length === 0) {
    return true;
  }
  const parsed = parseImageReference(image);
  return !('error' in parsed) && lists.every((patterns) => imageMatchesAnyPattern(parsed, patterns));
}

/** The allowed-image patterns for display ("any" when unrestricted). */
export function describeAllowedImages(policy: Pick<DebugPolicy, 'allowedImages' | 'workspaceAllowedImages'>): string | undefined {
  const lists = [policy.allowedImages, policy.workspaceAllowedImages].filter((l): l is readonly string[] => l !== undefined);
  return lists.length === 0 ? undefined : lists.map((l) => l.join(', ') || 'none').join(' and ');
}

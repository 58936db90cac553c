/**
 * Governance settings → the DebugPolicy the spec builder enforces. A workspace may tighten what the user (or
 * the machine/remote settings) set, never loosen it: lists must match both layers, the lower maximum profile and
 * the shorter time limit win, a digest requirement from either layer holds. An untrusted workspace's values are
 * ignored outright. vscode-free: `../settings.ts` feeds it `inspect()` results.
 */
import type { DebugPolicy } from '../../debug/debugContainerSpec';
import { isNamedProfile, isProfileWithin, type NamedProfile } from '../../debug/profiles';
import type { InspectedValue } from './settingsModel';

export const GOVERNANCE_SETTING = {
  allowedImages: 'governance.allowedImages',
  requireDigest: 'governance.requireDigest',
  maxProfile: 'governance.maxProfile',
  allowedNamespaces: 'governance.allowedNamespaces',
  sessionTimeLimitMinutes: 'governance.sessionTimeLimitMinutes',
  timeLimitWarningMinutes: 'governance.timeLimitWarningMinutes',
  allowNodeDebug: 'governance.allowNodeDebug',
} as const;

export type GovernanceSettingKey = (typeof GOVERNANCE_SETTING)[keyof typeof GOVERNANCE_SETTING];

export const DEFAULT_TIME_LIMIT_WARNING_MINUTES = 5;

export interface GovernanceSettings {
  readonly policy: DebugPolicy;
  /** Minutes before the session time limit at which the user is warned. */
  readonly timeLimitWarningMinutes: number;
  /** One line per ignored value (invalid, or a workspace trying to loosen), for the log. */
  readonly problems: readonly string[];
}

type Layer = 'user' | 'workspace';

/**
 * The values of one setting per layer. The workspace layer is the folder value, else the workspace value (both
 * live in the repository, so one of them is enough); it is dropped when the workspace is untrusted.
 */
function layers<T>(inspected: InspectedValue<T> | undefined, trusted: boolean): { layer: Layer; value: unknown }[] {
  const result: { layer: Layer; value: unknown }[] = [];
  if (inspected?.globalValue !== undefined) result.push({ layer: 'user', value: inspected.globalValue });
  const workspace = inspected?.workspaceFolderValue ?? inspected?.workspaceValue;
  if (trusted && workspace !== undefined) result.push({ layer: 'workspace', value: workspace });
  return result;
}

const key = (k: GovernanceSettingKey): string => `ephemeralDebug.${k}`;

/** A list setting: undefined (no restriction) for an empty list; a list of only invalid entries allows nothing. */
function patternList(value: unknown, setting: string, problems: string[]): string[] | undefined {
  if (!Array.isArray(value)) {
    problems.push(`${setting}: expected a list of glob patterns; ignored`);
    return undefined;
  }
  const patterns = value.filter((p): p is string => typeof p === 'string' && p.trim() !== '').map((p) => p.trim());
  if (patterns.length !== value.length) problems.push(`${setting}: non-string or empty patterns ignored`);
  return patterns.length > 0 || value.length > 0 ? patterns : undefined;
}

function positiveMinutes(value: unknown, setting: string, problems: string[]): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value === 0 ? undefined : value;
  problems.push(`${setting}: expected a number of minutes (0 for none); ignored`);
  return undefined;
}

export function mergeGovernance(inspected: Readonly<Partial<Record<GovernanceSettingKey, InspectedValue>>>, trusted: boolean): GovernanceSettings {
  const problems: string[] = [];

  // Allowed images and namespaces: each layer's list must match (the spec builder checks both).
  const lists = (k: GovernanceSettingKey): { user?: string[]; workspace?: string[] } => {
    const out: { user?: string[]; workspace?: string[] } = {};
    for (const { layer, value } of layers(inspected[k], trusted)) {
      const list = patternList(value, key(k), problems);
      if (list !== undefined) out[layer] = list;
    }
    return out;
  };
  const images = lists(GOVERNANCE_SETTING.allowedImages);
  const namespaces = lists(GOVERNANCE_SETTING.allowedNamespaces);

  const requireDigest = layers(inspected[GOVERNANCE_SETTING.requireDigest], trusted).some(({ value }) => value === true);

  let maxProfile: NamedProfile | undefined;
  for (const { value } of layers(inspected[GOVERNANCE_SETTING.maxProfile], trusted)) {
    if (value === '' || value === null) continue;
    if (typeof value !== 'string' || !isNamedProfile(value)) {
      problems.push(`${key(GOVERNANCE_SETTING.maxProfile)}: "${String(value)}" is not a profile; ignored`);
      continue;
    }
    if (maxProfile === undefined || isProfileWithin(value, maxProfile)) maxProfile = value;
    else problems.push(`${key(GOVERNANCE_SETTING.maxProfile)}: the workspace's "${value}" is above the user's "${maxProfile}"; the lower one applies`);
  }

  let sessionTimeLimitMinutes: number | undefined;
  for (const { value } of layers(inspected[GOVERNANCE_SETTING.sessionTimeLimitMinutes], trusted)) {
    const minutes = positiveMinutes(value, key(GOVERNANCE_SETTING.sessionTimeLimitMinutes), problems);
    if (minutes !== undefined) sessionTimeLimitMinutes = sessionTimeLimitMinutes === undefined ? minutes : Math.min(sessionTimeLimitMinutes, minutes);
  }

  let timeLimitWarningMinutes = DEFAULT_TIME_LIMIT_WARNING_MINUTES;
  const warningValue = layers(inspected[GOVERNANCE_SETTING.timeLimitWarningMinutes], trusted).at(-1)?.value;
  if (typeof warningValue === 'number' && Number.isFinite(warningValue) && warningValue >= 0) timeLimitWarningMinutes = warningValue;
  else if (warningValue !== undefined) problems.push(`${key(GOVERNANCE_SETTING.timeLimitWarningMinutes)}: expected a number of minutes; using ${DEFAULT_TIME_LIMIT_WARNING_MINUTES}`);

  // A switch that widens what may be done: only the user's (or machine/remote) settings turn it on. A workspace
  // value, trusted or not, is never read: a repository must not be able to enable node debugging.
  const nodeDebug = inspected[GOVERNANCE_SETTING.allowNodeDebug];
  const allowNodeDebug = nodeDebug?.globalValue === true;
  if (nodeDebug?.workspaceValue !== undefined || nodeDebug?.workspaceFolderValue !== undefined) {
    problems.push(`${key(GOVERNANCE_SETTING.allowNodeDebug)}: workspace values are ignored; set it in your user settings`);
  }

  const policy: DebugPolicy = {
    ...(images.user !== undefined ? { allowedImages: images.user } : {}),
    ...(images.workspace !== undefined ? { workspaceAllowedImages: images.workspace } : {}),
    ...(namespaces.user !== undefined ? { allowedNamespaces: namespaces.user } : {}),
    ...(namespaces.workspace !== undefined ? { workspaceAllowedNamespaces: namespaces.workspace } : {}),
    ...(requireDigest ? { requireDigest } : {}),
    ...(maxProfile !== undefined ? { maxProfile } : {}),
    ...(sessionTimeLimitMinutes !== undefined ? { sessionTimeLimitMinutes } : {}),
    ...(allowNodeDebug ? { allowNodeDebug } : {}),
  };
  return { policy, timeLimitWarningMinutes, problems };
}

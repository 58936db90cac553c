/**
 * Validation of playbooks from settings (`ephemeralDebug.playbooks`), the same rules the built-ins pass.
 * A user playbook whose id is a built-in's REPLACES it (`mergePlaybooks`): that is how a team points a
 * playbook at a mirrored image or tunes its steps. Replacing cannot widen privileges: the debug container is
 * still built through the policy (allowed images, maximum profile).
 */
import { isNamedProfile } from '../debug/profiles';
import { PLAYBOOK_RUNTIMES, RESERVED_VARIABLES, type Playbook, type PlaybookInput, type PlaybookRuntime, type PlaybookStep, type StepOutputKind } from './types';

export interface Normalized<T> {
  readonly value: T;
  /** One line per refused playbook or field: `playbooks[2] ("x").steps[0].output: …`. */
  readonly problems: string[];
}

const ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const INPUT_NAME = /^[A-Z][A-Z0-9_]{0,62}$/;
const ARTIFACT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const MAX_TIMEOUT_SECONDS = 3600;

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

class Problem extends Error {}

function fail(where: string, what: string): never {
  throw new Problem(`${where}: ${what}`);
}

function text(raw: Raw, key: string, where: string): string {
  const v = raw[key];
  if (!nonEmpty(v)) fail(`${where}.${key}`, 'must be a non-empty string');
  return v.trim();
}

function normalizeInput(raw: unknown, where: string): PlaybookInput {
  if (!isObject(raw)) fail(where, 'must be an object {name, prompt, default?}');
  const name = text(raw, 'name', where);
  if (!INPUT_NAME.test(name)) fail(`${where}.name`, `"${name}" must be an upper-case shell variable name (A-Z, 0-9, _)`);
  if (RESERVED_VARIABLES.includes(name)) fail(`${where}.name`, `"${name}" is set by the runner; choose another name`);
  const prompt = text(raw, 'prompt', where);
  if (raw.default !== undefined && typeof raw.default !== 'string') fail(`${where}.default`, 'must be a string');
  return { name, prompt, ...(raw.default !== undefined ? { default: raw.default as string } : {}) };
}

function normalizeStep(raw: unknown, where: string): PlaybookStep {
  if (!isObject(raw)) fail(where, 'must be an object {title, script, output}');
  const title = text(raw, 'title', where);
  const script = raw.script;
  if (!nonEmpty(script)) fail(`${where}.script`, 'must be a non-empty sh script');
  const output = raw.output ?? 'terminal';
  if (output !== 'terminal' && output !== 'artifact') fail(`${where}.output`, 'must be "terminal" or "artifact"');
  let artifactName: string | undefined;
  if (output === 'artifact') {
    artifactName = text(raw, 'artifactName', where);
    if (!ARTIFACT_NAME.test(artifactName)) fail(`${where}.artifactName`, `"${artifactName}" must be a plain file name (letters, digits, . _ -)`);
  } else if (raw.artifactName !== undefined) {
    fail(`${where}.artifactName`, 'only for output "artifact"');
  }
  if (raw.required !== undefined && typeof raw.required !== 'boolean') fail(`${where}.required`, 'must be true or false');
  const timeout = raw.timeoutSeconds;
  if (timeout !== undefined && (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0 || timeout > MAX_TIMEOUT_SECONDS)) {
    fail(`${where}.timeoutSeconds`, `must be a number of seconds from 1 to ${MAX_TIMEOUT_SECONDS}`);
  }
  return {
    title,
    script,
    output: output as StepOutputKind,
    ...(artifactName !== undefined ? { artifactName } : {}),
    ...(raw.required !== undefined ? { required: raw.required as boolean } : {}),
    ...(timeout !== undefined ? { timeoutSeconds: timeout as number } : {}),
  };
}

export function normalizePlaybook(raw: unknown, where: string): Playbook {
  if (!isObject(raw)) fail(where, 'must be an object');
  const id = text(raw, 'id', where);
  if (!ID.test(id)) fail(`${where}.id`, `"${id}" must be lower case letters, digits and dashes`);
  const at = `${where} ("${id}")`;
  const title = text(raw, 'title', at);
  const description = typeof raw.description === 'string' ? raw.description.trim() : fail(`${at}.description`, 'must be a string');
  const image = text(raw, 'image', at);
  if (/\s/.test(image)) fail(`${at}.image`, `"${image}" is not an image reference`);
  const profile = raw.profile;
  if (typeof profile !== 'string' || !isNamedProfile(profile)) fail(`${at}.profile`, 'must be one of legacy, general, baseline, restricted, netadmin, sysadmin');
  let runtime: PlaybookRuntime | undefined;
  if (raw.runtime !== undefined) {
    if (!(PLAYBOOK_RUNTIMES as readonly unknown[]).includes(raw.runtime)) fail(`${at}.runtime`, `must be one of ${PLAYBOOK_RUNTIMES.join(', ')}`);
    runtime = raw.runtime as PlaybookRuntime;
  }
  let inputs: PlaybookInput[] | undefined;
  if (raw.inputs !== undefined) {
    if (!Array.isArray(raw.inputs)) fail(`${at}.inputs`, 'must be an array');
    inputs = raw.inputs.map((input, i) => normalizeInput(input, `${at}.inputs[${i}]`));
    const names = inputs.map((input) => input.name);
    const duplicate = names.find((name, i) => names.indexOf(name) !== i);
    if (duplicate !== undefined) fail(`${at}.inputs`, `"${duplicate}" appears twice`);
  }
  if (!Array.isArray(raw.steps) || raw.steps.length === 0) fail(`${at}.steps`, 'must be a non-empty array');
  const steps = raw.steps.map((step, i) => normalizeStep(step, `${at}.steps[${i}]`));
  const artifacts = steps.flatMap((s) => (s.artifactName !== undefined ? [s.artifactName] : []));
  const sameArtifact = artifacts.find((name, i) => artifacts.indexOf(name) !== i);
  if (sameArtifact !== undefined) fail(`${at}.steps`, `two steps write the artifact "${sameArtifact}"`);
  if (raw.needsTarget !== undefined && typeof raw.needsTarget !== 'boolean') fail(`${at}.needsTarget`, 'must be true or false');
  const needsTarget = raw.needsTarget as boolean | undefined;
  return { id, title, description, image, profile, ...(runtime !== undefined ? { runtime } : {}), ...(inputs !== undefined ? { inputs } : {}), steps, ...(needsTarget === false ? { needsTarget } : {}) };
}

/** Every valid playbook of the setting; each invalid one is left out with one problem line. */
export function normalizePlaybooks(raw: unknown): Normalized<Playbook[]> {
  if (raw === undefined || raw === null) return { value: [], problems: [] };
  if (!Array.isArray(raw)) return { value: [], problems: ['playbooks: must be an array of playbooks'] };
  const value: Playbook[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  raw.forEach((entry, i) => {
    try {
      const playbook = normalizePlaybook(entry, `playbooks[${i}]`);
      if (seen.has(playbook.id)) {
        problems.push(`playbooks[${i}] ("${playbook.id}"): the id appears earlier in the list; this one is ignored`);
        return;
      }
      seen.add(playbook.id);
      value.push(playbook);
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      problems.push(error.message);
    }
  });
  return { value, problems };
}

/** The built-ins in their order with user playbooks of the same id in their place, then the user's new ones. */
export function mergePlaybooks(builtIns: readonly Playbook[], user: readonly Playbook[]): Playbook[] {
  const byId = new Map(user.map((p) => [p.id, p]));
  const merged = builtIns.map((p) => byId.get(p.id) ?? p);
  const builtInIds = new Set(builtIns.map((p) => p.id));
  return [...merged, ...user.filter((p) => !builtInIds.has(p.id))];
}

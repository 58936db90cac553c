/**
 * kubectl `--custom`: a partial container spec merged over the profile's result with strategic-merge rules for
 * a core/v1 Container (env by name, volumeMounts by mountPath, nested objects merged, other lists replaced).
 *
 * Deliberate difference: kubectl round-trips the custom spec through a Go struct, so `false`, `""` and `[]`
 * are silently dropped (omitempty) and can never reset anything. Here an explicit value is applied as written,
 * and `null` removes the field, as a strategic merge patch would.
 */
import type { V1EphemeralContainer, V1Pod } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { DebugSpecError } from './errors';

export type CustomContainerSpec = Readonly<Record<string, unknown>>;

/** Fields kubectl's custom profile may not change (debug.go Validate). */
export const CUSTOM_NOT_OVERRIDABLE_FIELDS = ['name', 'command', 'image', 'lifecycle', 'volumeDevices'] as const;

/** Container fields the API server rejects on ephemeral containers ("cannot be set for an Ephemeral Container"). */
export const EPHEMERAL_FORBIDDEN_FIELDS = [
  'ports',
  'resources',
  'resizePolicy',
  'restartPolicy',
  'restartPolicyRules',
  'livenessProbe',
  'readinessProbe',
  'startupProbe',
  'lifecycle',
] as const;

/** Container fields a custom spec may set on an ephemeral container. */
export const CUSTOM_ALLOWED_FIELDS = [
  'args',
  'workingDir',
  'env',
  'envFrom',
  'volumeMounts',
  'terminationMessagePath',
  'terminationMessagePolicy',
  'imagePullPolicy',
  'securityContext',
  'stdin',
  'stdinOnce',
  'tty',
] as const;

/** Strategic-merge keys of core/v1 Container lists; other lists are replaced. */
const listMergeKeys: Readonly<Record<string, string>> = { env: 'name', volumeMounts: 'mountPath', volumeDevices: 'devicePath', ports: 'containerPort' };

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Parses a custom spec from JSON or YAML text (YAML is a superset of JSON). */
export function parseCustomContainerSpec(text: string, source = 'custom spec'): CustomContainerSpec {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new DebugSpecError('invalid-custom', `${source} does not contain a valid container spec: ${(error as Error).message.split('\n')[0]}`);
  }
  if (!isPlainObject(value)) {
    throw new DebugSpecError('invalid-custom', `${source} does not contain a valid container spec: expected a mapping of container fields`);
  }
  return value;
}

/** Rejects what kubectl or the API server would reject, before merging. */
export function validateCustomContainerSpec(custom: CustomContainerSpec, pod: V1Pod): void {
  if (!isPlainObject(custom)) {
    throw new DebugSpecError('invalid-custom', 'custom spec must be an object of container fields');
  }
  const present = (key: string): boolean => custom[key] !== undefined && custom[key] !== null;
  const notOverridable = CUSTOM_NOT_OVERRIDABLE_FIELDS.filter(present);
  if (notOverridable.length > 0) {
    throw new DebugSpecError(
      'invalid-custom',
      `custom spec sets ${notOverridable.map((f) => `"${f}"`).join(', ')}: name, command, image, lifecycle and volumeDevices are not modifiable via a custom profile; use the name, image and command options instead`,
    );
  }
  for (const key of Object.keys(custom)) {
    if (key.startsWith('$')) {
      throw new DebugSpecError('invalid-custom', `custom spec key "${key}": patch directives are not supported; write the fields you want instead`);
    }
    if ((EPHEMERAL_FORBIDDEN_FIELDS as readonly string[]).includes(key)) {
      throw new DebugSpecError('invalid-custom', `custom spec field "${key}" cannot be set for an Ephemeral Container; remove it`);
    }
    if (key === 'targetContainerName') {
      throw new DebugSpecError('invalid-custom', 'custom spec field "targetContainerName" is not a container field; use the target container option instead');
    }
    if (!(CUSTOM_ALLOWED_FIELDS as readonly string[]).includes(key)) {
      throw new DebugSpecError('invalid-custom', `custom spec has unknown field "${key}"; allowed: ${CUSTOM_ALLOWED_FIELDS.join(', ')}`);
    }
  }
  validateFieldTypes(custom);
  validateVolumeMounts(custom.volumeMounts, pod);
}

function validateFieldTypes(custom: CustomContainerSpec): void {
  const expect = (key: string, ok: (value: unknown) => boolean, what: string): void => {
    const value = custom[key];
    if (value !== undefined && value !== null && !ok(value)) {
      throw new DebugSpecError('invalid-custom', `custom spec field "${key}" must be ${what}`);
    }
  };
  const isStringList = (value: unknown): boolean => Array.isArray(value) && value.every((item) => typeof item === 'string');
  const isObjectList = (value: unknown): boolean => Array.isArray(value) && value.every(isPlainObject);
  expect('args', isStringList, 'a list of strings');
  expect('workingDir', (v) => typeof v === 'string', 'a string');
  expect('terminationMessagePath', (v) => typeof v === 'string', 'a string');
  expect('terminationMessagePolicy', (v) => v === 'File' || v === 'FallbackToLogsOnError', '"File" or "FallbackToLogsOnError"');
  expect('imagePullPolicy', (v) => v === 'Always' || v === 'IfNotPresent' || v === 'Never', '"Always", "IfNotPresent" or "Never"');
  expect('securityContext', isPlainObject, 'an object');
  for (const flag of ['stdin', 'stdinOnce', 'tty']) {
    expect(flag, (v) => typeof v === 'boolean', 'true or false');
  }
  expect('env', (v) => isObjectList(v) && (v as Record<string, unknown>[]).every((e) => typeof e.name === 'string' && e.name !== ''), 'a list of {name, value} objects');
  expect('envFrom', isObjectList, 'a list of objects');
  expect('volumeMounts', (v) => isObjectList(v) && (v as Record<string, unknown>[]).every((m) => typeof m.name === 'string' && typeof m.mountPath === 'string'), 'a list of {name, mountPath} objects');
}

function validateVolumeMounts(mounts: unknown, pod: V1Pod): void {
  if (!Array.isArray(mounts)) {
    return;
  }
  const volumes = new Set((pod.spec?.volumes ?? []).map((v) => v.name));
  mounts.forEach((mount: Record<string, unknown>, index) => {
    for (const field of ['subPath', 'subPathExpr']) {
      if (mount[field] !== undefined && mount[field] !== null && mount[field] !== '') {
        throw new DebugSpecError('invalid-custom', `custom spec volumeMounts[${index}].${field} cannot be set for an Ephemeral Container; mount the whole volume instead`);
      }
    }
    if (!volumes.has(mount.name as string)) {
      const known = [...volumes].join(', ') || 'none';
      throw new DebugSpecError('invalid-custom', `custom spec volumeMounts[${index}] names volume "${String(mount.name)}", which the pod does not have (volumes: ${known})`);
    }
  });
}

/** Merges a validated custom spec over the container; returns a new container. */
export function mergeCustomContainerSpec(container: V1EphemeralContainer, custom: CustomContainerSpec): V1EphemeralContainer {
  return mergeObjects(container as unknown as Record<string, unknown>, custom, true) as unknown as V1EphemeralContainer;
}

function mergeObjects(base: Readonly<Record<string, unknown>>, patch: Readonly<Record<string, unknown>>, isContainerLevel: boolean): Record<string, unknown> {
  const result: Record<string, unknown> = structuredClone(base);
  for (const [key, patchValue] of Object.entries(patch)) {
    if (patchValue === undefined) {
      continue;
    }
    if (patchValue === null) {
      delete result[key];
      continue;
    }
    const baseValue = result[key];
    const mergeKey = isContainerLevel ? listMergeKeys[key] : undefined;
    if (mergeKey !== undefined && Array.isArray(patchValue) && Array.isArray(baseValue)) {
      result[key] = mergeKeyedLists(baseValue, patchValue, mergeKey);
    } else if (isPlainObject(patchValue) && isPlainObject(baseValue)) {
      result[key] = mergeObjects(baseValue, patchValue, false);
    } else {
      result[key] = structuredClone(patchValue);
    }
  }
  return result;
}

function mergeKeyedLists(base: readonly unknown[], patch: readonly unknown[], mergeKey: string): unknown[] {
  const result = structuredClone(base) as unknown[];
  for (const item of patch) {
    const index = isPlainObject(item) ? result.findIndex((existing) => isPlainObject(existing) && existing[mergeKey] === item[mergeKey]) : -1;
    if (index >= 0 && isPlainObject(item)) {
      result[index] = mergeObjects(result[index] as Record<string, unknown>, item, false);
    } else {
      result.push(structuredClone(item));
    }
  }
  return result;
}

/**
 * Pod validation (pkg/apis/core/validation) for what this cluster serves: object names, containers on
 * create, and the ephemeral-container update rules with the real field paths and messages.
 */
import type { Obj } from './store';
import {
  type FieldError, fieldDuplicate, fieldForbidden, fieldInvalid, fieldNotFound, fieldNotSupported, fieldRequired, invalid,
} from './status';

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const LABEL_MSG = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN_MSG = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

export function dns1123Label(field: string, value: unknown): FieldError[] {
  if (typeof value !== 'string' || value === '') return [fieldRequired(field)];
  const errs: FieldError[] = [];
  if (value.length > 63) errs.push(fieldInvalid(field, value, 'must be no more than 63 characters'));
  if (!LABEL.test(value)) errs.push(fieldInvalid(field, value, LABEL_MSG));
  return errs;
}

export function dns1123Subdomain(field: string, value: unknown): FieldError[] {
  if (typeof value !== 'string' || value === '') return [fieldRequired(field, 'name or generateName is required')];
  const errs: FieldError[] = [];
  if (value.length > 253) errs.push(fieldInvalid(field, value, 'must be no more than 253 characters'));
  if (!SUBDOMAIN.test(value)) errs.push(fieldInvalid(field, value, SUBDOMAIN_MSG));
  return errs;
}

/** Validates a namespace name (a DNS-1123 label). Throws 422. */
export function validateNamespaceCreate(ns: Obj): void {
  const name = ns.metadata?.name;
  const errs = typeof name === 'string' && name ? dns1123Label('metadata.name', name) : [fieldRequired('metadata.name', 'name or generateName is required')];
  if (errs.length) throw invalid('Namespace', String(name ?? ''), errs);
}

function validateContainer(c: Obj, path: string, names: Set<string>, volumes: Set<string>, ephemeral: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (!c || typeof c !== 'object') return [fieldRequired(path)];
  errs.push(...dns1123Label(`${path}.name`, c.name));
  if (typeof c.name === 'string' && c.name) {
    if (names.has(c.name)) errs.push(fieldDuplicate(`${path}.name`, c.name));
    names.add(c.name);
  }
  if (typeof c.image !== 'string' || !c.image.trim()) errs.push(fieldRequired(`${path}.image`));
  const policies = ['File', 'FallbackToLogsOnError'];
  if (c.terminationMessagePolicy !== undefined && !policies.includes(c.terminationMessagePolicy)) {
    errs.push(fieldNotSupported(`${path}.terminationMessagePolicy`, c.terminationMessagePolicy, policies));
  }
  const pulls = ['Always', 'IfNotPresent', 'Never'];
  if (c.imagePullPolicy !== undefined && !pulls.includes(c.imagePullPolicy)) {
    errs.push(fieldNotSupported(`${path}.imagePullPolicy`, c.imagePullPolicy, pulls));
  }
  (Array.isArray(c.volumeMounts) ? c.volumeMounts : []).forEach((m: Obj, i: number) => {
    const mp = `${path}.volumeMounts[${i}]`;
    if (!m?.name) errs.push(fieldRequired(`${mp}.name`));
    else if (!volumes.has(m.name)) errs.push(fieldNotFound(`${mp}.name`, m.name));
    if (!m?.mountPath) errs.push(fieldRequired(`${mp}.mountPath`));
    if (ephemeral && m?.subPath) errs.push(fieldForbidden(`${mp}.subPath`, 'cannot be set for an Ephemeral Container'));
    if (ephemeral && m?.subPathExpr) errs.push(fieldForbidden(`${mp}.subPathExpr`, 'cannot be set for an Ephemeral Container'));
  });
  (Array.isArray(c.env) ? c.env : []).forEach((e: Obj, i: number) => {
    if (!e?.name) errs.push(fieldRequired(`${path}.env[${i}].name`));
  });
  return errs;
}

function volumeNames(spec: Obj): Set<string> {
  return new Set((Array.isArray(spec.volumes) ? spec.volumes : []).map((v: Obj) => v?.name).filter(Boolean));
}

/** Validates a defaulted pod on create. Throws 422 Invalid with one cause per problem. */
export function validatePodCreate(pod: Obj): void {
  const errs: FieldError[] = [];
  const name = pod.metadata?.name;
  errs.push(...dns1123Subdomain('metadata.name', name));
  const spec = pod.spec ?? {};
  const names = new Set<string>();
  const volumes = volumeNames(spec);
  (Array.isArray(spec.volumes) ? spec.volumes : []).forEach((v: Obj, i: number) => errs.push(...dns1123Label(`spec.volumes[${i}].name`, v?.name)));
  (Array.isArray(spec.initContainers) ? spec.initContainers : []).forEach((c: Obj, i: number) =>
    errs.push(...validateContainer(c, `spec.initContainers[${i}]`, names, volumes, false)));
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) errs.push(fieldRequired('spec.containers'));
  else spec.containers.forEach((c: Obj, i: number) => errs.push(...validateContainer(c, `spec.containers[${i}]`, names, volumes, false)));
  if (Array.isArray(spec.ephemeralContainers) && spec.ephemeralContainers.length > 0) {
    errs.push(fieldForbidden('spec.ephemeralContainers', 'cannot be set on create'));
  }
  const policies = ['Always', 'OnFailure', 'Never'];
  if (!policies.includes(spec.restartPolicy)) errs.push(fieldNotSupported('spec.restartPolicy', spec.restartPolicy, policies));
  if (errs.length) throw invalid('Pod', String(name ?? ''), errs);
}

/** The fields an EphemeralContainer may carry; the rest of Container is "cannot be set". */
const ALLOWED = new Set(['name', 'image', 'command', 'args', 'workingDir', 'env', 'envFrom', 'volumeMounts', 'volumeDevices',
  'terminationMessagePath', 'terminationMessagePolicy', 'imagePullPolicy', 'securityContext', 'stdin', 'stdinOnce', 'tty',
  'targetContainerName']);
/** Container fields that exist in the schema but are not allowed; unknown keys are dropped by decoding instead. */
const FORBIDDEN = ['ports', 'resources', 'resizePolicy', 'restartPolicy', 'restartPolicyRules', 'livenessProbe', 'readinessProbe',
  'startupProbe', 'lifecycle'];

/** Go's reflect.Value.IsZero over decoded JSON: empty objects are zero structs, but `[]` is a non-nil slice. */
function isZero(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return false;
  if (typeof v === 'object') return Object.values(v as Obj).every(isZero);
  return false;
}

/** Drops keys an EphemeralContainer does not have (the decoder would ignore them). */
export function pruneEphemeralContainer(c: Obj): Obj {
  if (!c || typeof c !== 'object') return c;
  const out: Obj = {};
  for (const [k, v] of Object.entries(c)) if (ALLOWED.has(k) || FORBIDDEN.includes(k)) out[k] = v;
  return out;
}

const deepEqual = (a: unknown, b: unknown): boolean => JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Obj)[k])]));
  return v;
}

/**
 * ValidatePodEphemeralContainersUpdate: every new ephemeral container is validated; existing ones must be
 * unchanged and present. `newPod` already holds only ephemeral-container changes. Throws 422.
 */
export function validateEphemeralContainersUpdate(newPod: Obj, oldPod: Obj): void {
  const errs: FieldError[] = [];
  const spec = newPod.spec ?? {};
  const list: Obj[] = Array.isArray(spec.ephemeralContainers) ? spec.ephemeralContainers : [];
  const regular = new Set<string>([...(spec.containers ?? []), ...(spec.initContainers ?? [])].map((c: Obj) => c.name));
  const names = new Set<string>(regular);
  const volumes = volumeNames(spec);
  list.forEach((c, i) => {
    const path = `spec.ephemeralContainers[${i}]`;
    errs.push(...validateContainer(c, path, names, volumes, true));
    if (!c || typeof c !== 'object') return;
    for (const f of FORBIDDEN) {
      if (!isZero(c[f])) errs.push(fieldForbidden(`${path}.${f}`, 'cannot be set for an Ephemeral Container'));
    }
    if (c.targetContainerName && !regular.has(c.targetContainerName)) {
      errs.push(fieldNotFound(`${path}.targetContainerName`, c.targetContainerName));
    }
  });
  const byName = new Map(list.filter((c) => c && typeof c === 'object').map((c) => [c.name, c]));
  for (const old of (oldPod.spec?.ephemeralContainers ?? []) as Obj[]) {
    const now = byName.get(old.name);
    if (!now) errs.push(fieldForbidden('spec.ephemeralContainers', `existing ephemeral containers "${old.name}" may not be removed`));
    else if (!deepEqual(old, now)) errs.push(fieldForbidden('spec.ephemeralContainers', `existing ephemeral containers "${old.name}" may not be changed`));
  }
  if (errs.length) throw invalid('Pod', String(newPod.metadata?.name ?? ''), errs);
}

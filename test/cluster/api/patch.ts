/**
 * The three patch types the API server accepts, chosen by Content-Type: JSON patch (RFC 6902), JSON merge
 * patch (RFC 7386) and strategic merge patch (lists merged by their patchMergeKey, with $patch directives).
 */
import type { Obj } from './store';
import { ApiError, badRequest, status, unsupportedMediaType } from './status';

export const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];

const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

/** A patch that parsed but cannot be applied: 422 like the real server's. */
function cannotApply(message: string): ApiError {
  return new ApiError(status(422, 'Invalid', message, { causes: [{ reason: 'FieldValueInvalid', message, field: 'patch' }] }));
}

export function applyPatch(contentType: string | undefined, target: Obj, body: string): Obj {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (!PATCH_TYPES.includes(type)) throw unsupportedMediaType(PATCH_TYPES);
  let patch: unknown;
  try {
    patch = JSON.parse(body);
  } catch (e) {
    throw badRequest(`error decoding patch: ${(e as Error).message}`);
  }
  if (type === 'application/json-patch+json') return jsonPatch(target, patch);
  if (!isObj(patch)) throw badRequest('error decoding patch: the patch is not a JSON object');
  if (type === 'application/merge-patch+json') return mergePatch(target, patch) as Obj;
  return strategicMerge(target, patch, []) as Obj;
}

// ---- RFC 7386 ----

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return clone(patch);
  const out: Obj = isObj(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

// ---- RFC 6902 ----

function parsePointer(p: unknown): string[] {
  if (typeof p !== 'string' || (p !== '' && !p.startsWith('/'))) throw cannotApply(`invalid JSON pointer: ${JSON.stringify(p)}`);
  return p === '' ? [] : p.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: unknown, path: string[], op: string): { parent: Obj; key: string } {
  let cur: Obj | undefined = doc as Obj;
  for (const seg of path.slice(0, -1)) {
    cur = Array.isArray(cur) ? cur[Number(seg)] : isObj(cur) ? cur[seg] : undefined;
    if (cur === undefined || cur === null) throw cannotApply(`${op} operation does not apply: doc is missing path: "/${path.join('/')}"`);
  }
  return { parent: cur, key: path[path.length - 1] };
}

function getAt(doc: unknown, path: string[], op: string): unknown {
  if (path.length === 0) return doc;
  const { parent, key } = parentOf(doc, path, op);
  const v = Array.isArray(parent) ? parent[Number(key)] : parent?.[key];
  if (v === undefined) throw cannotApply(`${op} operation does not apply: doc is missing path: "/${path.join('/')}"`);
  return v;
}

function arrayIndex(arr: unknown[], key: string, allowEnd: boolean, op: string): number {
  if (allowEnd && key === '-') return arr.length;
  const i = Number(key);
  if (!/^\d+$/.test(key) || i > arr.length || (!allowEnd && i === arr.length)) {
    throw cannotApply(`${op} operation does not apply: index out of bounds: ${key}`);
  }
  return i;
}

function removeAt(doc: unknown, path: string[], op: string): unknown {
  getAt(doc, path, op);
  const { parent, key } = parentOf(doc, path, op);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, key, false, op), 1)[0];
  const v = parent[key];
  delete parent[key];
  return v;
}

function addAt(doc: unknown, path: string[], value: unknown, op: string): unknown {
  if (path.length === 0) return value;
  const { parent, key } = parentOf(doc, path, op);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, true, op), 0, value);
  else if (isObj(parent)) parent[key] = value;
  else throw cannotApply(`${op} operation does not apply: doc is missing path: "/${path.join('/')}"`);
  return doc;
}

export function jsonPatch(target: Obj, patch: unknown): Obj {
  if (!Array.isArray(patch)) throw badRequest('error decoding patch: json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let doc: unknown = clone(target);
  for (const op of patch as Obj[]) {
    const path = parsePointer(op?.path);
    switch (op?.op) {
      case 'add': doc = addAt(doc, path, clone(op.value), 'add'); break;
      case 'remove': removeAt(doc, path, 'remove'); break;
      case 'replace': getAt(doc, path, 'replace'); if (path.length === 0) doc = clone(op.value); else { removeAt(doc, path, 'replace'); doc = addAt(doc, path, clone(op.value), 'replace'); } break;
      case 'move': { const v = removeAt(doc, parsePointer(op.from), 'move'); doc = addAt(doc, path, v, 'move'); break; }
      case 'copy': doc = addAt(doc, path, clone(getAt(doc, parsePointer(op.from), 'copy')), 'copy'); break;
      case 'test':
        if (JSON.stringify(getAt(doc, path, 'test')) !== JSON.stringify(op.value)) {
          throw cannotApply(`testing value ${op.path} failed: test failed`);
        }
        break;
      default: throw badRequest(`Unexpected kind: ${String(op?.op)}`);
    }
  }
  if (!isObj(doc)) throw cannotApply('the patch replaced the whole object with a non-object');
  return doc;
}

// ---- strategic merge patch ----

/** patchMergeKey of the list fields in a Pod (by field path without indices); others are replaced. */
const MERGE_KEYS: Record<string, string> = {
  'spec.containers': 'name', 'spec.initContainers': 'name', 'spec.ephemeralContainers': 'name',
  'spec.volumes': 'name', 'spec.imagePullSecrets': 'name', 'spec.hostAliases': 'ip', 'spec.resourceClaims': 'name',
  'spec.schedulingGates': 'name', 'spec.topologySpreadConstraints': 'topologyKey',
  'metadata.ownerReferences': 'uid', 'status.conditions': 'type', 'status.podIPs': 'ip', 'status.hostIPs': 'ip',
};
const CONTAINER_LIST_KEYS: Record<string, string> = { env: 'name', ports: 'containerPort', volumeMounts: 'mountPath', volumeDevices: 'devicePath' };
/** Lists of scalars with patchStrategy merge: union instead of replace. */
const MERGED_SCALARS = new Set(['metadata.finalizers']);

function mergeKeyFor(path: string[]): string | undefined {
  const p = path.join('.');
  if (MERGE_KEYS[p]) return MERGE_KEYS[p];
  if (path.length === 3 && /^(containers|initContainers|ephemeralContainers)$/.test(path[1])) return CONTAINER_LIST_KEYS[path[2]];
  return undefined;
}

function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith('$')) continue;
    if (x !== null) out[k] = stripDirectives(x);
  }
  return out;
}

export function strategicMerge(original: unknown, patch: unknown, path: string[]): unknown {
  if (!isObj(patch)) return clone(patch);
  if (patch.$patch === 'replace') return stripDirectives(patch);
  if (patch.$patch === 'delete') return undefined;
  const out: Obj = isObj(original) ? clone(original) : {};
  const orders: [string, unknown[]][] = [];
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys') continue;
    if (k.startsWith('$setElementOrder/')) { if (Array.isArray(v)) orders.push([k.slice(17), v]); continue; }
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const f = k.slice(25);
      if (Array.isArray(out[f]) && Array.isArray(v)) out[f] = out[f].filter((x: unknown) => !v.includes(x));
      continue;
    }
    if (v === null) { delete out[k]; continue; }
    const childPath = [...path, k];
    const key = mergeKeyFor(childPath);
    if (Array.isArray(v) && key) out[k] = mergeList(Array.isArray(out[k]) ? out[k] : [], v, key, childPath);
    else if (Array.isArray(v) && MERGED_SCALARS.has(childPath.join('.'))) {
      const base: unknown[] = Array.isArray(out[k]) ? out[k] : [];
      out[k] = [...base, ...v.filter((x) => !base.includes(x))];
    } else if (isObj(v)) {
      const merged = strategicMerge(out[k], v, childPath);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else out[k] = clone(v);
  }
  if (Array.isArray(patch.$retainKeys)) {
    for (const k of Object.keys(out)) if (!patch.$retainKeys.includes(k)) delete out[k];
  }
  for (const [f, order] of orders) {
    const key = mergeKeyFor([...path, f]);
    if (!Array.isArray(out[f])) continue;
    const rank = (item: unknown) => {
      const i = order.findIndex((o) => (key && isObj(o) && isObj(item) ? o[key] === item[key] : o === item));
      return i < 0 ? order.length : i;
    };
    out[f] = [...out[f]].sort((a, b) => rank(a) - rank(b));
  }
  return out;
}

function mergeList(base: unknown[], patch: unknown[], key: string, path: string[]): unknown[] {
  const out = clone(base);
  for (const item of patch) {
    if (!isObj(item)) { out.push(clone(item)); continue; }
    const i = out.findIndex((o) => isObj(o) && o[key] === item[key]);
    if (item.$patch === 'delete') { if (i >= 0) out.splice(i, 1); continue; }
    if (i >= 0) out[i] = strategicMerge(out[i], item, path);
    else out.push(stripDirectives(item));
  }
  return out;
}

/** Label and field selectors with the apimachinery syntax (=, ==, !=, in, notin, exists, !key). */
import { badRequest } from './status';
import type { Obj } from './store';

type Requirement =
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists' };

export type Selector = (labels: Record<string, string>) => boolean;

/** Splits on commas that are not inside parentheses ("a in (x,y),b"). */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((p) => p.trim()).filter((p) => p.length > 0);
}

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkKey(key: string, whole: string): string {
  if (!KEY.test(key)) throw badRequest(`unable to parse requirement: invalid label key "${key}" in "${whole}"`);
  return key;
}
function checkValue(v: string, whole: string): string {
  if (!VALUE.test(v)) throw badRequest(`unable to parse requirement: invalid label value: "${v}" in "${whole}"`);
  return v;
}

export function parseLabelSelector(text: string | null): Selector {
  if (!text || !text.trim()) return () => true;
  const reqs: Requirement[] = splitTopLevel(text).map((part): Requirement => {
    let m = /^(\S+?)\s+(in|notin)\s*\((.*)\)$/.exec(part);
    if (m) {
      const values = m[3].split(',').map((v) => checkValue(v.trim(), text));
      return { key: checkKey(m[1], text), op: m[2] as 'in' | 'notin', values };
    }
    m = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
    if (m) return { key: checkKey(m[1], text), op: m[2] === '!=' ? 'neq' : 'eq', value: checkValue(m[3], text) };
    m = /^!\s*(\S+)$/.exec(part);
    if (m) return { key: checkKey(m[1], text), op: 'notexists' };
    if (/^\S+$/.test(part)) return { key: checkKey(part, text), op: 'exists' };
    throw badRequest(`unable to parse requirement: found '${part}', expected: identifier`);
  });
  return (labels) => reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    const v = labels[r.key];
    switch (r.op) {
      case 'eq': return has && v === r.value;
      case 'neq': return !has || v !== r.value;
      case 'in': return has && r.values.includes(v);
      case 'notin': return !has || !r.values.includes(v);
      case 'exists': return has;
      case 'notexists': return !has;
    }
  });
}

/**
 * Field selectors only support =, == and != over the fields the resource declares; anything else is the
 * real server's 400 `field label not supported: x`.
 */
export function parseFieldSelector(text: string | null, supported: Record<string, (obj: Obj) => string>): (obj: Obj) => boolean {
  if (!text || !text.trim()) return () => true;
  const reqs = text.split(',').map((p) => p.trim()).filter(Boolean).map((part) => {
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!m) throw badRequest(`invalid field selector: '${part}'`);
    const get = supported[m[1]];
    if (!get) throw badRequest(`field label not supported: ${m[1]}`);
    return { get, neq: m[2] === '!=', value: m[3] };
  });
  return (obj) => reqs.every((r) => (r.get(obj) === r.value) !== r.neq);
}

export const POD_FIELDS: Record<string, (pod: Obj) => string> = {
  'metadata.name': (p) => p.metadata?.name ?? '',
  'metadata.namespace': (p) => p.metadata?.namespace ?? '',
  'status.phase': (p) => p.status?.phase ?? '',
  'spec.nodeName': (p) => p.spec?.nodeName ?? '',
  'spec.restartPolicy': (p) => p.spec?.restartPolicy ?? '',
  'spec.schedulerName': (p) => p.spec?.schedulerName ?? '',
  'spec.serviceAccountName': (p) => p.spec?.serviceAccountName ?? '',
  'status.podIP': (p) => p.status?.podIP ?? '',
};

export const WORKLOAD_FIELDS: Record<string, (obj: Obj) => string> = {
  'metadata.name': (o) => o.metadata?.name ?? '',
  'metadata.namespace': (o) => o.metadata?.namespace ?? '',
};

export const NAMESPACE_FIELDS: Record<string, (ns: Obj) => string> = {
  'metadata.name': (n) => n.metadata?.name ?? '',
  'status.phase': (n) => n.status?.phase ?? '',
};

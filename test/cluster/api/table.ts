/**
 * Server-side printing (meta.k8s.io/v1 Table) for `kubectl get`: the same columns as the real server's
 * printers for pods and namespaces, so kubectl shows READY/STATUS/RESTARTS/AGE.
 */
import type { Obj } from './store';

export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

function age(ts: string | undefined): string {
  if (!ts) return '<unknown>';
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(ts)) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

const col = (name: string, type: string, priority = 0, format = '') => ({ name, type, format, description: name, priority });

function podRow(p: Obj): unknown[] {
  const statuses: Obj[] = p.status?.containerStatuses ?? [];
  const total = (p.spec?.containers ?? []).length;
  const ready = statuses.filter((s) => s.ready).length;
  const restarts = statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0);
  let reason: string = p.status?.reason || p.status?.phase || 'Unknown';
  for (const s of statuses) {
    const r = s.state?.waiting?.reason ?? s.state?.terminated?.reason;
    if (r && !s.ready) reason = r;
  }
  if (p.metadata?.deletionTimestamp) reason = 'Terminating';
  return [p.metadata.name, `${ready}/${total}`, reason, restarts, age(p.metadata.creationTimestamp), p.status?.podIP || '<none>',
    p.spec?.nodeName || '<none>', '<none>', '<none>'];
}

function nodeReady(node: Obj): string {
  return (node.status?.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True') ? 'Ready' : 'NotReady';
}

/** Pods, namespaces and nodes as kubectl prints them; other kinds (workloads) with their name and age only. */
export function toTable(kind: string, items: Obj[], resourceVersion: string, includeObject: string | null) {
  const columns = kind === 'Pod'
    ? [col('Name', 'string', 0, 'name'), col('Ready', 'string'), col('Status', 'string'), col('Restarts', 'string'), col('Age', 'string'),
      col('IP', 'string', 1), col('Node', 'string', 1), col('Nominated Node', 'string', 1), col('Readiness Gates', 'string', 1)]
    : kind === 'Namespace' || kind === 'Node' ? [col('Name', 'string', 0, 'name'), col('Status', 'string'), col('Age', 'string')]
      : [col('Name', 'string', 0, 'name'), col('Age', 'string')];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: columns,
    rows: items.map((o) => ({
      cells: kind === 'Pod' ? podRow(o) : kind === 'Namespace' ? [o.metadata.name, o.status?.phase ?? '', age(o.metadata.creationTimestamp)]
        : kind === 'Node' ? [o.metadata.name, nodeReady(o), age(o.metadata.creationTimestamp)]
        : [o.metadata.name, age(o.metadata.creationTimestamp)],
      object: includeObject === 'None' ? undefined : includeObject === 'Object' ? o
        : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}

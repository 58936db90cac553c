/**
 * "Check My Access": one SelfSubjectAccessReview per distinct permission of the feature table (in parallel),
 * then, per feature, whether the current user can use it and the `verb resource[/sub]` each missing one needs.
 */
import type { V1ResourceAttributes } from '@kubernetes/client-node';
import type { ClusterApi } from '../cluster/clusterApi';
import { distinctPermissions, FEATURES, type ApiPermission, type Feature, type FeatureId, permissionKey, permissionLabel } from './features';

export interface FeatureAccess {
  readonly id: FeatureId;
  readonly title: string;
  /** Every required permission is granted. */
  readonly allowed: boolean;
  /** Required permissions the user lacks, e.g. `create pods/exec`. */
  readonly missing: readonly string[];
  /** Optional permissions the user lacks: the feature works, degraded. */
  readonly missingOptional: readonly string[];
  readonly note?: string;
}

/** The review attributes for one permission: namespaced ones ask about `namespace`, the others cluster-wide. */
export function reviewAttributes(permission: ApiPermission, namespace: string): V1ResourceAttributes {
  return {
    verb: permission.verb,
    group: permission.group,
    resource: permission.resource,
    ...(permission.subresource ? { subresource: permission.subresource } : {}),
    ...(permission.scope === 'namespace' ? { namespace } : {}),
  };
}

/**
 * Asks the server, for `namespace`, about every permission the features need. Rejects with the ClusterError
 * of the first failed review (e.g. the server is unreachable); a denial is an answer, not an error.
 */
export async function checkAccess(api: ClusterApi, namespace: string, features: readonly Feature[] = FEATURES): Promise<FeatureAccess[]> {
  const permissions = distinctPermissions(features).filter((p) => !isSelfReview(p));
  // canI sends one review per attribute set, all at once.
  const answers = permissions.length > 0 ? await api.canI(permissions.map((p) => reviewAttributes(p, namespace))) : [];
  const granted = new Map(permissions.map((p, i) => [permissionKey(p), answers[i] === true]));
  return features.map((feature) => {
    // Getting answers at all proves `create selfsubjectaccessreviews`.
    const lacking = feature.permissions.filter((p) => !isSelfReview(p) && granted.get(permissionKey(p)) !== true);
    const labels = (required: boolean) => unique(lacking.filter((p) => p.required === required).map(scopedLabel));
    const missing = labels(true);
    return {
      id: feature.id,
      title: feature.title,
      allowed: missing.length === 0,
      missing,
      missingOptional: labels(false),
      ...(feature.note ? { note: feature.note } : {}),
    };
  });
}

export interface AccessReportContext {
  readonly contextName: string;
  readonly namespace: string;
  /** e.g. the SelfSubjectReview's username. */
  readonly user?: string;
}

/** A Markdown report: one line per feature, then what is missing and the notes of degraded features. */
export function formatAccessReport(results: readonly FeatureAccess[], context: AccessReportContext): string {
  const who = context.user ? ` as ${context.user}` : '';
  const lines = [`# Access in context ${context.contextName}, namespace ${context.namespace}${who}`, ''];
  for (const r of results) {
    const mark = !r.allowed ? 'no ' : r.missingOptional.length > 0 ? 'partly' : 'yes';
    const needs = r.allowed ? '' : ` — needs ${r.missing.map(code).join(', ')}`;
    lines.push(`- **${mark}** ${r.title}${needs}`);
    if (r.allowed && r.missingOptional.length > 0) {
      lines.push(`  - without ${r.missingOptional.map(code).join(', ')}${r.note ? `: ${r.note}` : ''}`);
    }
  }
  const denied = results.filter((r) => !r.allowed).length;
  lines.push('', denied === 0
    ? 'Every feature is available.'
    : `${denied} feature(s) unavailable: ask a cluster admin for the missing permissions ("Generate RBAC for Debugging" writes a Role).`);
  return lines.join('\n') + '\n';
}

function isSelfReview(p: ApiPermission): boolean {
  return p.group === 'authorization.k8s.io' && p.resource === 'selfsubjectaccessreviews';
}

function scopedLabel(p: ApiPermission): string {
  const label = permissionLabel(p);
  return p.scope === 'all-namespaces' ? `${label} (all namespaces)` : label;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function code(text: string): string {
  return `\`${text}\``;
}

/** The one-line summary of "Check My Access" and the argument checks of "Generate RBAC for Debugging". vscode-free. */
import type { FeatureAccess } from '../../access/checkAccess';
import { FEATURES, type FeatureId } from '../../access/features';

/** e.g. `8 of 10 features available in demo (kind-dev); missing: Debug a Copy of the Pod, Clean Up Debug Copies`. */
export function accessSummary(results: readonly FeatureAccess[], where: { contextName: string; namespace: string }): string {
  const available = results.filter((r) => r.allowed).length;
  const place = `in ${where.namespace} (${where.contextName})`;
  if (available === results.length) return `All ${results.length} features available ${place}.`;
  const missing = results.filter((r) => !r.allowed).map((r) => r.title);
  return `${available} of ${results.length} features available ${place}; missing: ${missing.join(', ')}.`;
}

/** The `features` argument: undefined (all), or a list of known feature ids. */
export function normalizeFeatureIds(value: unknown): { value: FeatureId[] | undefined } | { error: string } {
  if (value === undefined) return { value: undefined };
  const known = FEATURES.map((f) => f.id);
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    return { error: `"features" must be a list of feature ids: ${known.join(', ')}` };
  }
  const unknown = (value as string[]).filter((v) => !known.includes(v as FeatureId));
  if (unknown.length > 0) return { error: `unknown feature(s) ${unknown.join(', ')}; choose from ${known.join(', ')}` };
  if (value.length === 0) return { error: '"features" is empty: name at least one feature, or leave it out for all' };
  return { value: value as FeatureId[] };
}

/** The text of a validation error for an input box: undefined when valid. */
export function validationMessage(validate: (value: string) => void, value: string): string | undefined {
  try {
    validate(value);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

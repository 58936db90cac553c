/** The `diagnostics.userScripts` setting: an array of { name, script }, validated without trusting its shape. */

export interface UserScript {
  readonly name: string;
  readonly script: string;
}

const MAX_NAME = 80;

export function normalizeUserScripts(raw: unknown): { value: UserScript[]; problems: string[] } {
  const value: UserScript[] = [];
  const problems: string[] = [];
  if (raw === undefined || raw === null) return { value, problems };
  if (!Array.isArray(raw)) {
    return { value, problems: ['diagnostics.userScripts must be an array of { "name", "script" } objects; ignored'] };
  }
  const seen = new Set<string>();
  raw.forEach((item: unknown, index) => {
    const where = `diagnostics.userScripts[${index}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      problems.push(`${where} is not an object with "name" and "script"; ignored`);
      return;
    }
    const { name, script } = item as Record<string, unknown>;
    if (typeof name !== 'string' || name.trim() === '') {
      problems.push(`${where} has no "name"; ignored`);
      return;
    }
    const trimmed = name.trim().replace(/\s+/g, ' ').slice(0, MAX_NAME);
    if (typeof script !== 'string' || script.trim() === '') {
      problems.push(`${where} ("${trimmed}") has no "script"; ignored`);
      return;
    }
    if (seen.has(trimmed)) {
      problems.push(`${where}: the name "${trimmed}" is used twice; the later one is ignored`);
      return;
    }
    seen.add(trimmed);
    value.push({ name: trimmed, script });
  });
  return { value, problems };
}

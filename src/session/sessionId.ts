/**
 * Session ids: `20261121T162233Z-x7k2q`. The UTC timestamp first makes ids sort by start time (folder
 * listings, the journal); the random suffix keeps two sessions started in the same second apart. Only
 * [0-9A-Za-z-] so the id is safe as an env value, a label-like string and a folder name on every OS.
 */
import { randomInt } from 'node:crypto';

// No 0/o, 1/l/i: ids are read aloud and typed from audit logs.
const SUFFIX_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const SUFFIX_LENGTH = 5;

export const SESSION_ID_PATTERN = /^\d{8}T\d{6}Z-[a-z0-9]{5}$/;

/** `random(n)` returns an integer in [0, n); injectable so tests get fixed ids. */
export function newSessionId(now: Date = new Date(), random: (n: number) => number = randomInt): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
  let suffix = '';
  for (let i = 0; i < SUFFIX_LENGTH; i++) suffix += SUFFIX_ALPHABET[random(SUFFIX_ALPHABET.length)];
  return `${stamp}-${suffix}`;
}

/**
 * Whether `id` can name a session folder: ids are joined into paths, so anything that could climb out of
 * the storage folder (separators, `..`) or clash on case-insensitive or Windows file systems is refused.
 */
export function isValidSessionId(id: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(id);
}

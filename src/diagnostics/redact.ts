/** Environment variables: NUL-separated decoding and redaction of values that look secret. */

const SECRET_NAME = /(pass|secret|token|key|credential|auth|cert|private|session|cookie)/i;
const JWT = /^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const PEM = /-----BEGIN [A-Z0-9 ]+-----/;
const LONG_BASE64 = /^[A-Za-z0-9+/_-]{32,}={0,2}$/;
const URL_CREDENTIALS = /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]*@/i;

export const REDACTED = '<redacted>';

export interface EnvEntry {
  readonly name: string;
  /** Undefined when only names were collected. */
  readonly value?: string;
}

/** True for names a secret would go by and values shaped like tokens, keys or credentials. */
export function looksSecret(name: string, value: string): boolean {
  if (SECRET_NAME.test(name)) return true;
  const v = value.trim();
  // Long base64-looking values with both letters and digits: keys and tokens, not paths or words.
  const base64 = LONG_BASE64.test(v) && /[0-9]/.test(v) && /[A-Za-z]/.test(v);
  return JWT.test(v) || PEM.test(v) || base64 || URL_CREDENTIALS.test(v);
}

export function redactEnvValue(name: string, value: string): string {
  return looksSecret(name, value) ? REDACTED : value;
}

/** /proc/<pid>/environ bytes (as `od -An -tx1` lines) → entries, split on NUL like the kernel stores them. */
export function decodeEnvironHex(lines: readonly string[]): EnvEntry[] {
  const bytes = lines.join(' ').split(/\s+/).filter((b) => /^[0-9a-f]{2}$/i.test(b)).map((b) => parseInt(b, 16));
  return Buffer.from(bytes).toString('utf8').split('\0').filter((e) => e.length > 0).map((entry) => {
    const eq = entry.indexOf('=');
    return eq < 0 ? { name: entry, value: '' } : { name: entry.slice(0, eq), value: entry.slice(eq + 1) };
  });
}

/** A flag whose name says its value is a secret: `--password`, `-token`, `--api-key`. */
const SECRET_FLAG = /^-{1,2}[A-Za-z][A-Za-z0-9_.-]*$/;

/**
 * Command lines carry secrets too: `--password=…`, `--password …` (the value after a space), `TOKEN:…`, bearer
 * tokens, keys, URLs with credentials. The one redaction of argv for every report, transcript and note; the
 * arguments stay in place, a secret becomes REDACTED.
 */
export function redactArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (looksSecret('', arg)) {
      out.push(REDACTED);
      continue;
    }
    const m = /^(-{0,2}[A-Za-z0-9_.-]+[=:])(.+)$/s.exec(arg);
    out.push(m !== null && looksSecret(m[1]!.slice(0, -1), m[2]!) ? `${m[1]}${REDACTED}` : arg);
    const next = argv[i + 1];
    if (m === null && SECRET_FLAG.test(arg) && SECRET_NAME.test(arg) && next !== undefined && !next.startsWith('-')) {
      out.push(REDACTED);
      i++;
    }
  }
  return out;
}

/** redactArgv for a command line already joined by spaces (e.g. /proc/<pid>/cmdline with NULs made spaces). */
export function redactCommandLine(cmdline: string): string {
  return redactArgv(cmdline.split(' ')).join(' ');
}

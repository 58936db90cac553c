/**
 * File names are bytes on Linux; URIs and VS Code's APIs are strings. Valid UTF-8 decodes as itself; every byte
 * that is not part of valid UTF-8 becomes the private-use character U+F700+byte (U+F780…U+F7FF), and a name
 * that really contains one of those characters has its UTF-8 bytes escaped the same way, so the mapping is a
 * bijection: `nameToBytes(bytesToName(b))` equals `b` for every byte string.
 */

const ESCAPE_BASE = 0xf700;

function isEscapeChar(cp: number): boolean {
  return cp >= ESCAPE_BASE + 0x80 && cp <= ESCAPE_BASE + 0xff;
}

/** Length of the valid UTF-8 sequence at `i` (shortest form, no surrogates, ≤ U+10FFFF), or 0. */
function sequenceAt(bytes: Uint8Array, i: number): { length: number; cp: number } | undefined {
  const b0 = bytes[i];
  if (b0 < 0x80) return { length: 1, cp: b0 };
  const cont = (k: number): number => (i + k < bytes.length && (bytes[i + k] & 0xc0) === 0x80 ? bytes[i + k] & 0x3f : -1);
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    const c1 = cont(1);
    return c1 < 0 ? undefined : { length: 2, cp: ((b0 & 0x1f) << 6) | c1 };
  }
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const c1 = cont(1);
    const c2 = cont(2);
    if (c1 < 0 || c2 < 0) return undefined;
    const cp = ((b0 & 0x0f) << 12) | (c1 << 6) | c2;
    return cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff) ? undefined : { length: 3, cp };
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const c1 = cont(1);
    const c2 = cont(2);
    const c3 = cont(3);
    if (c1 < 0 || c2 < 0 || c3 < 0) return undefined;
    const cp = ((b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3;
    return cp < 0x10000 || cp > 0x10ffff ? undefined : { length: 4, cp };
  }
  return undefined;
}

export function bytesToName(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; ) {
    const seq = sequenceAt(bytes, i);
    if (seq === undefined || isEscapeChar(seq.cp)) {
      const n = seq?.length ?? 1;
      for (let k = 0; k < n; k++) out += String.fromCharCode(ESCAPE_BASE + bytes[i + k]);
      i += n;
    } else {
      out += String.fromCodePoint(seq.cp);
      i += seq.length;
    }
  }
  return out;
}

export function nameToBytes(name: string): Buffer {
  const parts: number[] = [];
  for (const ch of name) {
    const cp = ch.codePointAt(0)!;
    if (isEscapeChar(cp)) {
      parts.push(cp - ESCAPE_BASE);
    } else {
      for (const b of Buffer.from(ch, 'utf8')) parts.push(b);
    }
  }
  return Buffer.from(parts);
}

/**
 * A path's bytes as a `printf` format that reproduces them exactly: safe characters as themselves, every other
 * byte (and `%`, `\`) as a three-digit octal escape. Exec arguments travel in a URL query, so they must be valid
 * UTF-8 text; this keeps any byte string (newlines, invalid UTF-8, leading dashes) intact.
 */
export function shellOctal(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    const safe = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2f || b === 0x2e || b === 0x5f || b === 0x2d;
    out += safe ? String.fromCharCode(b) : '\\' + b.toString(8).padStart(3, '0');
  }
  return out;
}

/** Normalises a target path (a string from a URI, with escapes as above): absolute, no `.`/empty segments, `..` resolved lexically. */
export function normalizeTargetPath(path: string): string {
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return '/' + out.join('/');
}

export function parentPath(path: string): string {
  const normalized = normalizeTargetPath(path);
  const i = normalized.lastIndexOf('/');
  return i <= 0 ? '/' : normalized.slice(0, i);
}

export function joinPath(dir: string, name: string): string {
  return normalizeTargetPath(dir === '/' ? `/${name}` : `${dir}/${name}`);
}

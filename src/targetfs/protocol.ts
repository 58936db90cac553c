/**
 * The wire protocol: POSIX `sh -c` scripts run in the debug container against `/proc/<pid>/root` (common.sh and
 * one file per operation), and their parsers. Every operation gets `sh -c SCRIPT sh PID SUM GNU ARG…`; path arguments are octal `printf` formats (names.ts) so
 * any byte string survives the exec URL. Output is bytes:
 *
 * - entries: `<w|r><type><linktype><name>\0` per entry (type d f l o; linktype d f o for a symlink's resolved
 *   target, N dangling, L loop, - not a link), then an empty record `\0`; then (busybox) `stat -c` lines
 *   `%f %s %Y %Z %u %g %a <name>\n` in argument order, or (GNU find) the same fields NUL-terminated with
 *   sub-second times; then `\0`. A busybox listing with stat comes in its own form, tagged by a first record
 *   `s\0`: names, stat lines, then per-entry exceptions (parseListing), so that no entry costs a process or a
 *   printf.
 * - errors: `!ERR <ERRNO> <text>` on stderr and exit 3. Other stderr is a tool's message (errnoFromMessage).
 * - readFile: raw bytes on stdout; `!SIZE n` before them and `!SUM hex` after on stderr, the checksum of the bytes
 *   that left, computed in the same pass (read.sh).
 *
 * Symlinks are resolved by the script itself (`rs`), re-anchoring absolute targets at `/proc/<pid>/root`: the
 * kernel would resolve them against the debug container's root instead.
 */

import { shellScript } from '../shell/shellScript';
import commonScript from './common.sh';
import deleteOperation from './delete.sh';
import listOperation from './list.sh';
import mkdirOperation from './mkdir.sh';
import moveOperation from './move.sh';
import probeScript from './probe.sh';
import readOperation from './read.sh';
import statOperation from './stat.sh';
import writeOperation from './write.sh';

/** Tools the probe found: how to run a checksum, whether GNU find's -printf works. */
export interface ToolSet {
  /** e.g. `sha1sum`, `busybox sha1sum`, `md5sum`, `sha256sum`; undefined when none. */
  readonly sum?: string;
  readonly sumKind?: 'sha1' | 'md5' | 'sha256';
  readonly gnuFind: boolean;
}

/** Each operation's script: the shared prelude (common.sh) and the operation. */
const operation = (text: string): string => shellScript(`${commonScript}\n${text}`);

export const TARGETFS_SCRIPTS = {
  list: operation(listOperation),
  stat: operation(statOperation),
  read: operation(readOperation),
  // The content arrives on stdin: every refusal, common.sh's included, reads it first (common.sh `e`).
  write: shellScript(`STDIN_UNREAD=1\n${commonScript}\n${writeOperation}`),
  mkdir: operation(mkdirOperation),
  delete: operation(deleteOperation),
  move: operation(moveOperation),
} as const;
export type TargetFsOperation = keyof typeof TARGETFS_SCRIPTS;

/**
 * The exec argv of an operation: `sh -c SCRIPT sh PID SUM GNU ARG…`; PID is the target's main process, or a root
 * path (a node debug pod's `/host`: the root-path variant, no process to go through). The tools are data too: the script runs
 * only the checksum commands it knows by name.
 */
export function operationCommand(op: TargetFsOperation, target: number | string, tools: ToolSet, args: readonly string[]): string[] {
  return ['sh', '-c', TARGETFS_SCRIPTS[op], 'sh', String(target), tools.sum ?? '-', tools.gnuFind ? '1' : '0', ...args];
}

/** The probe: uid/gid of the debug container and the target, tools, readability of the target root. */
export const PROBE_SCRIPT = shellScript(probeScript);

export interface ProbeResult {
  readonly uid?: number;
  readonly gid?: number;
  readonly targetUid?: number;
  readonly pid1IsSelf: boolean;
  readonly rootReadable: boolean;
  readonly tools: ToolSet;
  readonly hasStat: boolean;
  readonly hasReadlink: boolean;
  /** The target's mount points (as the target sees them) and whether each is read-only. */
  readonly mounts: readonly { readonly path: string; readonly readonly: boolean }[];
}

function sumKindOf(tool: string | undefined): ToolSet['sumKind'] {
  if (tool === undefined) return undefined;
  return tool.includes('sha1') ? 'sha1' : tool.includes('sha256') ? 'sha256' : 'md5';
}

export function parseProbe(text: string): ProbeResult {
  const values = new Map<string, string>();
  const mounts: { path: string; readonly: boolean }[] = [];
  for (const line of text.split('\n')) {
    const mount = /^mnt=(ro|rw) (.*)$/.exec(line);
    if (mount) mounts.push({ path: mount[2].replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))), readonly: mount[1] === 'ro' });
    const i = line.indexOf('=');
    if (i > 0 && !values.has(line.slice(0, i))) values.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  const num = (k: string): number | undefined => (values.has(k) && /^\d+$/.test(values.get(k)!) ? Number(values.get(k)) : undefined);
  const sum = values.get('sum');
  return {
    uid: num('uid'),
    gid: num('gid'),
    targetUid: num('tuid'),
    pid1IsSelf: values.get('self') === '1',
    rootReadable: values.get('root') === 'ok',
    tools: { sum, sumKind: sumKindOf(sum), gnuFind: values.get('gnufind') === '1' },
    hasStat: values.get('stat') === '1',
    hasReadlink: values.get('readlink') === '1',
    mounts,
  };
}

/** Whether `path` lies on a read-only mount of the target (the longest mount point containing it decides). */
export function onReadonlyMount(mounts: ProbeResult['mounts'], path: string): boolean {
  let best: { path: string; readonly: boolean } | undefined;
  for (const m of mounts) {
    const inside = m.path === '/' || path === m.path || path.startsWith(m.path + '/');
    if (inside && (best === undefined || m.path.length >= best.path.length)) best = m;
  }
  return best?.readonly ?? false;
}

// ---------------------------------------------------------------- parsing

export type EntryKind = 'd' | 'f' | 'l' | 'o';
export type LinkKind = 'd' | 'f' | 'o' | 'N' | 'L' | '-';

export interface RawEntry {
  readonly name: Buffer;
  readonly kind: EntryKind;
  /** For a symlink: what it resolves to (N dangling, L loop). */
  readonly link: LinkKind;
  readonly writable: boolean;
  readonly size?: number;
  /** ms since the epoch. */
  readonly mtime?: number;
  readonly ctime?: number;
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
}

const NUL = 0;
const LF = 0x0a;

/** Reads NUL-terminated records from `pos` up to (and past) an empty record. */
function readRecords(buf: Buffer, pos: number): { records: Buffer[]; pos: number } {
  const records: Buffer[] = [];
  while (pos < buf.length) {
    const end = buf.indexOf(NUL, pos);
    if (end < 0) throw new Error('truncated listing (no terminator)');
    if (end === pos) return { records, pos: end + 1 };
    records.push(buf.subarray(pos, end));
    pos = end + 1;
  }
  throw new Error('truncated listing');
}

const GNU_KIND: Record<string, EntryKind> = { d: 'd', f: 'f', l: 'l' };

/**
 * Parses one entry block (busybox or GNU form) starting at `pos`; returns the entries and where the block ended.
 * The busybox stat lines are matched to names in order (stat skips arguments it cannot stat, and `.`/`..`).
 */
export function parseEntryBlock(buf: Buffer, pos: number, gnu: boolean): { entries: RawEntry[]; pos: number } {
  if (gnu) {
    const first = readRecords(buf, pos);
    const links = readRecords(buf, first.pos);
    const linkKinds = new Map<string, LinkKind>();
    for (const r of links.records) linkKinds.set(r.subarray(1).toString('latin1'), r.toString('latin1', 0, 1) as LinkKind);
    const entries: RawEntry[] = [];
    for (const r of first.records) {
      // w|r, then "%y %s %T@ %C@ %m %U %G %f"
      let p = 1;
      const fields: string[] = [];
      for (let k = 0; k < 7; k++) {
        const sp = r.indexOf(0x20, p);
        if (sp < 0) throw new Error('malformed find record');
        fields.push(r.toString('latin1', p, sp));
        p = sp + 1;
      }
      let name = Buffer.from(r.subarray(p));
      if (name.length > 2 && name[0] === 0x2e && name[1] === 0x2f) name = name.subarray(2);
      const kind = GNU_KIND[fields[0]] ?? 'o';
      entries.push({
        name,
        kind,
        link: kind === 'l' ? (linkKinds.get(name.toString('latin1')) ?? 'N') : '-',
        writable: r[0] === 0x77,
        size: Number(fields[1]),
        mtime: Math.round(Number(fields[2]) * 1000),
        ctime: Math.round(Number(fields[3]) * 1000),
        mode: parseInt(fields[4], 8),
        uid: Number(fields[5]),
        gid: Number(fields[6]),
      });
    }
    return { entries, pos: links.pos };
  }
  const first = readRecords(buf, pos);
  // An entry record is at least 4 bytes: a 1-byte first record is list.sh's tag of its listing form.
  if (first.records[0]?.length === 1 && first.records[0][0] === 0x73) return parseListing(first.records.slice(1), buf, first.pos);
  const names = first.records.map((r) => ({ w: r[0] === 0x77, kind: r.toString('latin1', 1, 2) as EntryKind, link: r.toString('latin1', 2, 3) as LinkKind, name: Buffer.from(r.subarray(3)) }));
  const statEnd = buf.indexOf(NUL, first.pos);
  if (statEnd < 0) throw new Error('truncated stat section');
  const stats = matchStatLines(names.map((n) => n.name), buf.subarray(first.pos, statEnd));
  const entries = names.map((n, i) => ({ name: n.name, kind: n.kind, link: n.link, writable: n.w, ...statFields(stats[i]) }));
  return { entries, pos: statEnd + 1 };
}

/** `stat -c '%f %s %Y %Z %u %g %a %n'` fields: raw mode (hex), size, mtime, ctime, uid, gid, permissions (octal). */
const STAT_LINE = /^([0-9a-f]+) (\d+) (\d+) (\d+) (\d+) (\d+) ([0-7]+) /;

/**
 * Matches busybox `stat -c` lines to `names` in argument order; a name gets undefined when stat printed no line for
 * it (it vanished, or is an unmatched glob). Names may hold newlines: each line is matched by the exact bytes of the
 * name it must carry. Lines for `.` and `..` (arguments of a listing, or skipped by the caller) are passed over.
 */
function matchStatLines(names: readonly Buffer[], stats: Buffer): (RegExpExecArray | undefined)[] {
  const matched: (RegExpExecArray | undefined)[] = [];
  let p = 0;
  for (const name of names) {
    let stat: RegExpExecArray | undefined;
    while (p < stats.length) {
      const m = STAT_LINE.exec(stats.toString('latin1', p, Math.min(stats.length, p + 96)));
      if (!m) break;
      const nameStart = p + m[0].length;
      if (stats.subarray(nameStart, nameStart + name.length).equals(name) && stats[nameStart + name.length] === LF) {
        stat = m;
        p = nameStart + name.length + 1;
        break;
      }
      const dots = ['.\n', '..\n'].find((d) => stats.toString('latin1', nameStart, nameStart + d.length) === d);
      if (dots === undefined) break;
      p = nameStart + dots.length;
    }
    matched.push(stat);
  }
  return matched;
}

function statFields(stat: RegExpExecArray | undefined): Pick<RawEntry, 'size' | 'mtime' | 'ctime' | 'mode' | 'uid' | 'gid'> {
  if (stat === undefined) return {};
  return { size: Number(stat[2]), mtime: Number(stat[3]) * 1000, ctime: Number(stat[4]) * 1000, mode: parseInt(stat[7], 8), uid: Number(stat[5]), gid: Number(stat[6]) };
}

const S_IFMT = 0o170000;
const KIND_OF_FORMAT: Record<number, EntryKind> = { 0o040000: 'd', 0o100000: 'f', 0o120000: 'l' };

/**
 * list.sh's busybox listing form (the records after its `s` tag): names, stat lines in the same order, then `r<name>` for
 * each entry we cannot write and `l<linkkind><name>` for each symlink. The type comes from the raw mode; an entry
 * stat printed nothing for (vanished, or a glob that matched nothing) is left out, and so are `.` and `..`.
 */
function parseListing(names: readonly Buffer[], buf: Buffer, pos: number): { entries: RawEntry[]; pos: number } {
  const statEnd = buf.indexOf(NUL, pos);
  if (statEnd < 0) throw new Error('truncated stat section');
  const stats = matchStatLines(names, buf.subarray(pos, statEnd));
  const marks = readRecords(buf, statEnd + 1);
  const readOnly = new Set<string>();
  const links = new Map<string, LinkKind>();
  for (const r of marks.records) {
    if (r[0] === 0x72) readOnly.add(r.toString('latin1', 1));
    else if (r[0] === 0x6c) links.set(r.toString('latin1', 2), r.toString('latin1', 1, 2) as LinkKind);
  }
  const entries: RawEntry[] = [];
  names.forEach((name, i) => {
    const stat = stats[i];
    const key = name.toString('latin1');
    if (stat === undefined || key === '.' || key === '..') return;
    const kind = KIND_OF_FORMAT[parseInt(stat[1], 16) & S_IFMT] ?? 'o';
    entries.push({ name: Buffer.from(name), kind, link: kind === 'l' ? (links.get(key) ?? 'N') : '-', writable: !readOnly.has(key), ...statFields(stat) });
  });
  return { entries, pos: marks.pos };
}

/** `!ERR ERRNO text` from stderr, if the script reported one. */
export function scriptError(stderr: string): { errno: string; text: string } | undefined {
  const m = /^!ERR (\S+) ?(.*)$/m.exec(stderr);
  return m ? { errno: m[1], text: m[2] } : undefined;
}

/** `!KEY value` lines on stderr. */
export function stderrValue(stderr: string, key: string): string | undefined {
  const m = new RegExp(`^!${key} (.*)$`, 'm').exec(stderr);
  return m?.[1];
}

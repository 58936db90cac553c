/**
 * The wire protocol: POSIX `sh -c` scripts run in the debug container against `/proc/<pid>/root`, and their
 * parsers. Every script gets `sh -c SCRIPT sh PID ARG…`; path arguments are octal `printf` formats (names.ts) so
 * any byte string survives the exec URL. Output is bytes:
 *
 * - entries: `<w|r><type><linktype><name>\0` per entry (type d f l o; linktype d f o for a symlink's resolved
 *   target, N dangling, L loop, - not a link), then an empty record `\0`; then (busybox) `stat -c` lines
 *   `%f %s %Y %Z %u %g %a <name>\n` in argument order, or (GNU find) the same fields NUL-terminated with
 *   sub-second times; then `\0`.
 * - errors: `!ERR <ERRNO> <text>` on stderr and exit 3. Other stderr is a tool's message (errnoFromMessage).
 * - readFile: raw bytes on stdout; `!SIZE n` before them and `!SUM hex` after on stderr.
 *
 * Symlinks are resolved by the script itself (`rs`), re-anchoring absolute targets at `/proc/<pid>/root`: the
 * kernel would resolve them against the debug container's root instead.
 */

/** Prelude: R (the target root), `d` (decode an octal argument into $v), `e` (fail), `rs` (resolve). */
const PRELUDE = String.raw`R=/proc/$1/root; T=$1; shift
d(){ v=$(printf "$1"; echo x); v=${'$'}{v%x}; }
e(){ printf '!ERR %s %s\n' "$1" "$2" >&2; exit 3; }
[ -d "$R/" ] || { [ -d /proc/$T ] && e EACCES "cannot read /proc/<pid>/root"; e EGONE "target process is gone"; }
rs(){ r=$1; P=; h=0
while [ -n "$r" ]; do
case $r in /*) r=${'$'}{r#/}; continue;; */*) c=${'$'}{r%%/*}; r=${'$'}{r#*/};; *) c=$r; r=;; esac
case $c in ''|.) continue;; ..) P=${'$'}{P%/*}; continue;; esac
if [ -L "$R$P/$c" ] && { [ -n "$r" ] || [ "$2" = 1 ]; }; then
h=$((h+1)); [ $h -gt 40 ] && return 2
t=$(readlink -- "$R$P/$c"; echo x); t=${'$'}{t%?x}
case $t in /*) P=;; esac
r=$t${'$'}{r:+/$r}
else P=$P/$c; fi
done; }
lk(){ if rs "$1" 1; then if [ -d "$R$P" ]; then l=d; elif [ -f "$R$P" ]; then l=f; elif [ -e "$R$P" ]; then l=o; else l=N; fi; else l=L; fi; }
`;

/** Tools the probe found: how to run a checksum, whether GNU find's -printf works. */
export interface ToolSet {
  /** e.g. `sha256sum`, `busybox sha256sum`, `md5sum`; undefined when none. */
  readonly sum?: string;
  readonly sumKind?: 'sha256' | 'md5';
  readonly gnuFind: boolean;
}

function sumCommand(tools: ToolSet): string {
  return tools.sum ?? '';
}

/**
 * Busybox entry emitter: for the names in "$@" (relative to the cwd, whose target path is $B), one record each,
 * then their `stat -c` lines in one process.
 */
const EMIT_BUSYBOX = String.raw`em(){ for f; do
case $f in .|..) [ $# -gt 1 ] && continue;; esac
[ -e "$f" ] || [ -L "$f" ] || continue
if [ -w "$f" ]; then w=w; else w=r; fi
if [ -L "$f" ]; then y=l; lk "$B/$f"; elif [ -d "$f" ]; then y=d; l=-; elif [ -f "$f" ]; then y=f; l=-; else y=o; l=-; fi
printf '%s%s%s%s\0' "$w" "$y" "$l" "$f"
done; printf '\0'; stat -c '%f %s %Y %Z %u %g %a %n' -- "$@" 2>/dev/null; printf '\0'; }
`;

/** GNU: records and fields from find -printf (one process, no per-entry shell work except symlinks). */
const EMIT_GNU = String.raw`em(){ find "$@" -maxdepth 0 \( -writable -printf w -o -printf r \) -printf '%y %s %T@ %C@ %m %U %G %f\0' 2>/dev/null; printf '\0'
for f; do [ -L "$f" ] || continue; lk "$B/${'$'}{f#./}"; printf '%s%s\0' "$l" "${'$'}{f#./}"; done; printf '\0'; }
emd(){ find . -mindepth 1 -maxdepth 1 \( -writable -printf w -o -printf r \) -printf '%y %s %T@ %C@ %m %U %G %f\0' 2>/dev/null; printf '\0'
for f in * .*; do [ -L "$f" ] || continue; lk "$B/$f"; printf '%s%s\0' "$l" "$f"; done; printf '\0'; }
`;

const CD_DIR = String.raw`[ -e "$R$B" ] || e ENOENT "no such file or directory"
[ -d "$R$B" ] || e ENOTDIR "not a directory"
cd -- "$R$B/" 2>/dev/null && [ -r . ] || e EACCES "permission denied"
`;

export function listScript(tools: ToolSet): string {
  const body = tools.gnuFind
    ? `${EMIT_GNU}d "$1"; rs "$v" 1 || e ELOOP "too many levels of symbolic links"; B=$P\n${CD_DIR}emd\n`
    : `${EMIT_BUSYBOX}d "$1"; rs "$v" 1 || e ELOOP "too many levels of symbolic links"; B=$P\n${CD_DIR}set -- * .*\nem "$@"\n`;
  return PRELUDE + body;
}

/** Stat of one path: its entry block, then (for a symlink that resolves) a block for the resolved target. */
export function statScript(tools: ToolSet): string {
  const one = tools.gnuFind
    ? String.raw`one(){ if [ -z "$1" ]; then B=; cd -- "$R/" || e EACCES "permission denied"; em .; else B=${'$'}{1%/*}; cd -- "$R$B/" 2>/dev/null || e EACCES "permission denied"; em "./${'$'}{1##*/}"; fi; }`
    : String.raw`one(){ if [ -z "$1" ]; then B=; cd -- "$R/" || e EACCES "permission denied"; em .; else B=${'$'}{1%/*}; cd -- "$R$B/" 2>/dev/null || e EACCES "permission denied"; em "${'$'}{1##*/}"; fi; }`;
  return PRELUDE + (tools.gnuFind ? EMIT_GNU : EMIT_BUSYBOX) + one + '\n' + String.raw`d "$1"; rs "$v" 0 || e ELOOP "too many levels of symbolic links"; S=$P
[ -e "$R$S" ] || [ -L "$R$S" ] || e ENOENT "no such file or directory"
one "$S"
if [ -L "$R$S" ] && rs "$S" 1 && [ -e "$R$P" ]; then one "$P"; fi
`;
}

/** readFile: `!SIZE` then the bytes, the checksum in parallel from a second read (page cache). */
export function readScript(tools: ToolSet): string {
  const sum = sumCommand(tools);
  return PRELUDE + String.raw`d "$1"; rs "$v" 1 || e ELOOP "too many levels of symbolic links"; F=$R$P
[ -e "$F" ] || e ENOENT "no such file or directory"
[ -d "$F" ] && e EISDIR "is a directory"
[ -r "$F" ] || e EACCES "permission denied"
printf '!SIZE %s\n' "$(stat -c '%s:%Y' -- "$F")" >&2
` + (sum ? `( s=$(${sum} < "$F") && printf '!SUM %s\\n' "\${s%% *}" >&2 ) &\n` : '') + String.raw`cat -- "$F" || exit 4
wait
`;
}

/**
 * writeFile, atomically: arguments path, size, checksum (or -), flags (c create, o overwrite), expected
 * `size:mtime:sum` (or -). Content arrives on stdin into a temporary file in the same directory; it replaces
 * the target only when its size (and checksum) match, with the old mode and owner; `ln` gives no-clobber.
 */
export function writeScript(tools: ToolSet): string {
  const sum = sumCommand(tools);
  return PRELUDE + String.raw`d "$1"; rs "$v" 1 || e ELOOP "too many levels of symbolic links"; F=$R$P; D=${'$'}{F%/*}; N=$2; K=$3; fl=$4; X=$5
[ -e "$D" ] || e ENOENT "parent directory does not exist"
[ -d "$D" ] || e ENOTDIR "parent is not a directory"
if [ -e "$F" ] || [ -L "$F" ]; then
  [ -d "$F" ] && e EISDIR "is a directory"
  case $fl in *o*) ;; *) e EEXIST "file exists";; esac
  if [ "$X" != - ]; then
    cur=$(stat -c '%s:%Y' -- "$F")
    xs=${'$'}{X%%:*}; xr=${'$'}{X#*:}; xm=${'$'}{xr%%:*}; xk=${'$'}{xr#*:}
    if [ "${'$'}{cur%%:*}" != "$xs" ]; then e ECONFLICT "$cur"; fi
    if [ "$xk" != - ]; then ck=$(` + (sum || 'echo -') + String.raw` < "$F"); [ "${'$'}{ck%% *}" = "$xk" ] || e ECONFLICT "$cur"
    elif [ "${'$'}{cur#*:}" != "$xm" ]; then e ECONFLICT "$cur"; fi
  fi
  ex=1
else
  case $fl in *c*) ;; *) e ENOENT "no such file or directory";; esac
  ex=0
fi
T="$D/.kedbg-$$.tmp"
cat > "$T" || { rm -f -- "$T"; exit 5; }
got=$(stat -c %s -- "$T")
[ "$got" = "$N" ] || { rm -f -- "$T"; e EINCOMPLETE "received $got of $N bytes: the target was not changed"; }
` + (sum ? String.raw`if [ "$K" != - ]; then ck=$(${sum} < "$T"); [ "${'$'}{ck%% *}" = "$K" ] || { rm -f -- "$T"; e EINCOMPLETE "checksum mismatch: the target was not changed"; }; fi
` : '') + String.raw`if [ $ex = 1 ]; then
  set -- $(stat -L -c '%a %u %g' -- "$F")
  chmod "$1" -- "$T" 2>/dev/null || chmod "$1" "$T"
  chown "$2:$3" -- "$T" 2>/dev/null || chown "$2:$3" "$T" 2>/dev/null
  mv -f -- "$T" "$F" || { rm -f -- "$T"; exit 6; }
else
  ln -- "$T" "$F" 2>/dev/null || { if [ -e "$F" ]; then rm -f -- "$T"; e EEXIST "file exists"; fi; mv -f -- "$T" "$F"; }
  rm -f -- "$T"
fi
printf '!STAT %s\n' "$(stat -c '%s:%Y' -- "$F")" >&2
`;
}

export function mkdirScript(): string {
  return PRELUDE + String.raw`d "$1"; rs "$v" 0 || e ELOOP "too many levels of symbolic links"; F=$R$P
[ -e "$F" ] || [ -L "$F" ] && e EEXIST "file exists"
[ -e "${'$'}{F%/*}" ] || e ENOENT "parent directory does not exist"
[ -d "${'$'}{F%/*}" ] || e ENOTDIR "parent is not a directory"
mkdir -- "$F"
`;
}

export function deleteScript(): string {
  return PRELUDE + String.raw`d "$1"; rs "$v" 0 || e ELOOP "too many levels of symbolic links"; F=$R$P
[ -z "$P" ] && e EACCES "refusing to delete the root of the target filesystem"
[ -e "$F" ] || [ -L "$F" ] || e ENOENT "no such file or directory"
if [ -d "$F" ] && [ ! -L "$F" ]; then
  if [ "$2" = r ]; then rm -rf -- "$F"; if [ -e "$F" ]; then e EACCES "some entries could not be removed"; fi; else rmdir -- "$F"; fi
else rm -f -- "$F"; fi
`;
}

/** rename (mv) or copy (cp -a): arguments from, to, flags (o overwrite). */
export function moveScript(kind: 'rename' | 'copy'): string {
  const op = kind === 'rename' ? 'mv -f --' : 'cp -a --';
  return PRELUDE + String.raw`d "$1"; rs "$v" 0 || e ELOOP "too many levels of symbolic links"; A=$R$P
d "$2"; rs "$v" 0 || e ELOOP "too many levels of symbolic links"; Z=$R$P; [ -z "$P" ] && e EEXIST "the root exists"
[ -e "$A" ] || [ -L "$A" ] || e ENOENT "no such file or directory"
[ -e "${'$'}{Z%/*}" ] || e ENOENT "parent directory does not exist"
[ -d "${'$'}{Z%/*}" ] || e ENOTDIR "parent is not a directory"
if [ -e "$Z" ] || [ -L "$Z" ]; then
  case $3 in *o*) ;; *) e EEXIST "file exists";; esac
  [ "$A" -ef "$Z" ] && exit 0
  rm -rf -- "$Z" || exit 5
fi
` + op + ` "$A" "$Z"
`;
}

/** The probe: uid/gid of the debug container and the target, tools, readability of the target root. */
export const PROBE_SCRIPT = String.raw`t=$1
while read k a b c; do case $k in Uid:) echo "uid=$b";; Gid:) echo "gid=$b";; esac; done < /proc/$$/status
while read k a b c; do case $k in Uid:) echo "tuid=$b";; esac; done < /proc/$t/status 2>/dev/null
[ "$t" = 1 ] && [ "$(readlink /proc/1/ns/mnt 2>/dev/null)" = "$(readlink /proc/self/ns/mnt)" ] && echo "self=1"
if [ -d /proc/$t/root/ ] && ls /proc/$t/root/ >/dev/null 2>&1; then echo "root=ok"; else echo "root=denied"; fi
# md5 first: it guards the transfer against truncation and corruption, not tampering, at twice the speed.
for c in md5sum "busybox md5sum" sha256sum "busybox sha256sum"; do if echo | $c >/dev/null 2>&1; then echo "sum=$c"; break; fi; done
[ "$(find /. -maxdepth 0 -printf g 2>/dev/null)" = g ] && echo "gnufind=1"
command -v readlink >/dev/null 2>&1 && echo "readlink=1"
command -v stat >/dev/null 2>&1 && echo "stat=1"
while read dv mp fs o rest; do case ,$o, in *,ro,*) echo "mnt=ro $mp";; *) echo "mnt=rw $mp";; esac; done < /proc/$t/mounts 2>/dev/null
`;

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
    tools: { sum, sumKind: sum === undefined ? undefined : sum.includes('sha256') ? 'sha256' : 'md5', gnuFind: values.get('gnufind') === '1' },
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
  const names = first.records.map((r) => ({ w: r[0] === 0x77, kind: r.toString('latin1', 1, 2) as EntryKind, link: r.toString('latin1', 2, 3) as LinkKind, name: Buffer.from(r.subarray(3)) }));
  const statEnd = buf.indexOf(NUL, first.pos);
  if (statEnd < 0) throw new Error('truncated stat section');
  const stats = buf.subarray(first.pos, statEnd);
  const entries: RawEntry[] = [];
  let p = 0;
  const fieldRe = /^([0-9a-f]+) (\d+) (\d+) (\d+) (\d+) (\d+) ([0-7]+) /;
  for (const n of names) {
    let stat: RegExpExecArray | undefined;
    while (p < stats.length) {
      const head = stats.toString('latin1', p, Math.min(stats.length, p + 96));
      const m = fieldRe.exec(head);
      if (!m) break;
      const nameStart = p + m[0].length;
      const candidate = stats.subarray(nameStart, nameStart + n.name.length);
      if (candidate.equals(n.name) && stats[nameStart + n.name.length] === LF) {
        stat = m;
        p = nameStart + n.name.length + 1;
        break;
      }
      // `.`/`..` (or an argument that vanished): skip this stat line if it is one of those, else this name had none.
      const dots = ['.\n', '..\n'].find((d) => stats.toString('latin1', nameStart, nameStart + d.length) === d);
      if (dots !== undefined) {
        p = nameStart + dots.length;
        continue;
      }
      break;
    }
    entries.push({
      name: n.name,
      kind: n.kind,
      link: n.link,
      writable: n.w,
      ...(stat ? {
        size: Number(stat[2]),
        mtime: Number(stat[3]) * 1000,
        ctime: Number(stat[4]) * 1000,
        mode: parseInt(stat[7], 8),
        uid: Number(stat[5]),
        gid: Number(stat[6]),
      } : {}),
    });
  }
  return { entries, pos: statEnd + 1 };
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

# The target filesystem's shared prelude; each operation's script (list.sh, stat.sh, …) is appended to it.
# sh -c "$script" sh PID SUM GNU ARG…: PID the target's main process (or a root path, see below), SUM the checksum tool the probe found (one of
# sha1sum, md5sum, sha256sum or their busybox forms; - for none), GNU 1 when find has -printf. Paths arrive as
# octal printf formats (names.ts: only [A-Za-z0-9/._-] and \ooo escapes), so any byte string survives the exec URL.
# Sets R (the target root), d (decode an octal argument into $v), e (fail), rs (resolve), lk (link kind), sum.
# G is read by list.sh and stat.sh.
# shellcheck disable=SC2034
T=$1 SUMTOOL=$2 G=$3
shift 3
# Or, for a node debug pod, the root path itself (/host, where the node's / is mounted): our constant, checked anyway.
case $T in
/*) case $T in *[!A-Za-z0-9/._-]*|*/../*|*/..) printf '!ERR EINVAL bad root\n' >&2; exit 3;; esac; R=$T;;
''|*[!0-9]*) printf '!ERR EINVAL bad pid\n' >&2; exit 3;;
*) R=/proc/$T/root;;
esac
# The argument is our own octal encoding of a path: a printf format by design.
# shellcheck disable=SC2059
d(){ v=$(printf "$1"; echo x); v=${v%x}; }
# A script whose stdin carries content (the write script sets STDIN_UNREAD before this prelude) reads it to the end before it fails: a
# Kubernetes exec whose process exits with the client's stdin unread ends only when that stdin ends (seen with
# containerd), so a refusal would otherwise hang until the upload is over — or for ever.
e(){ printf '!ERR %s %s\n' "$1" "$2" >&2; [ -z "${STDIN_UNREAD:-}" ] || cat >/dev/null; exit 3; }
[ -d "$R/" ] || { case $T in /*) e EGONE "root $T is gone";; esac; [ -d "/proc/$T" ] && e EACCES "cannot read /proc/<pid>/root"; e EGONE "target process is gone"; }
# Resolves $1 inside the target's root into $P, following symlinks (all of them with $2 = 1, else all but the last)
# and re-anchoring absolute targets at the target's root: the kernel would resolve them against ours.
rs(){ r=$1; P=; h=0
while [ -n "$r" ]; do
case $r in /*) r=${r#/}; continue;; */*) c=${r%%/*}; r=${r#*/};; *) c=$r; r=;; esac
case $c in ''|.) continue;; ..) P=${P%/*}; continue;; esac
if [ -L "$R$P/$c" ] && { [ -n "$r" ] || [ "$2" = 1 ]; }; then
h=$((h+1)); [ $h -gt 40 ] && return 2
t=$(readlink -- "$R$P/$c"; echo x); t=${t%?x}
case $t in /*) P=;; esac
r=$t${r:+/$r}
else P=$P/$c; fi
done; }
lk(){ if rs "$1" 1; then if [ -d "$R$P" ]; then l=d; elif [ -f "$R$P" ]; then l=f; elif [ -e "$R$P" ]; then l=o; else l=N; fi; else l=L; fi; }
# The checksum of stdin with the probe's tool (SUM is data: only these six run).
sum(){ case $SUMTOOL in sha1sum) sha1sum;; 'busybox sha1sum') busybox sha1sum;; md5sum) md5sum;; sha256sum) sha256sum;; 'busybox md5sum') busybox md5sum;; 'busybox sha256sum') busybox sha256sum;; *) echo -;; esac; }
# Busybox entries: for the names in "$@" (relative to the cwd, whose target path is $B), one record each, then
# their `stat -c` lines in one process.
emb(){ for f; do
case $f in .|..) [ $# -gt 1 ] && continue;; esac
[ -e "$f" ] || [ -L "$f" ] || continue
if [ -w "$f" ]; then w=w; else w=r; fi
if [ -L "$f" ]; then y=l; lk "$B/$f"; elif [ -d "$f" ]; then y=d; l=-; elif [ -f "$f" ]; then y=f; l=-; else y=o; l=-; fi
printf '%s%s%s%s\0' "$w" "$y" "$l" "$f"
done; printf '\0'; stat -c '%f %s %Y %Z %u %g %a %n' -- "$@" 2>/dev/null; printf '\0'; }
# GNU: records and fields from find -printf (one process, no per-entry shell work except symlinks).
emg(){ find "$@" -maxdepth 0 \( -writable -printf w -o -printf r \) -printf '%y %s %T@ %C@ %m %U %G %f\0' 2>/dev/null; printf '\0'
for f; do [ -L "$f" ] || continue; lk "$B/${f#./}"; printf '%s%s\0' "$l" "${f#./}"; done; printf '\0'; }

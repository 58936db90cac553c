# part of: common.sh
# writeFile, atomically: ARG path, size, checksum (or -), flags (c create, o overwrite), expected
# `size:mtime:sum` (or -). Content arrives on stdin into a temporary file in the same directory; it replaces the
# target only when its size (and checksum) match, with the old mode and owner; `ln` gives no-clobber.
d "$1"; rs "$v" 1 || e ELOOP "too many levels of symbolic links"; F=$R$P; D=${F%/*}; N=$2; K=$3; fl=$4; X=$5
[ -e "$D" ] || e ENOENT "parent directory does not exist"
[ -d "$D" ] || e ENOTDIR "parent is not a directory"
if [ -e "$F" ] || [ -L "$F" ]; then
  [ -d "$F" ] && e EISDIR "is a directory"
  case $fl in *o*) ;; *) e EEXIST "file exists";; esac
  if [ "$X" != - ]; then
    cur=$(stat -c '%s:%Y' -- "$F")
    xs=${X%%:*}; xr=${X#*:}; xm=${xr%%:*}; xk=${xr#*:}
    if [ "${cur%%:*}" != "$xs" ]; then e ECONFLICT "$cur"; fi
    if [ "$xk" != - ]; then ck=$(sum < "$F"); [ "${ck%% *}" = "$xk" ] || e ECONFLICT "$cur"
    elif [ "${cur#*:}" != "$xm" ]; then e ECONFLICT "$cur"; fi
  fi
  ex=1
else
  case $fl in *c*) ;; *) e ENOENT "no such file or directory";; esac
  ex=0
fi
T="$D/.kedbg-$$.tmp"
cat > "$T" || { rm -f -- "$T"; cat >/dev/null; exit 5; }
STDIN_UNREAD=
got=$(stat -c %s -- "$T")
[ "$got" = "$N" ] || { rm -f -- "$T"; e EINCOMPLETE "received $got of $N bytes: the target was not changed"; }
if [ "$K" != - ] && [ "$SUMTOOL" != - ]; then ck=$(sum < "$T"); [ "${ck%% *}" = "$K" ] || { rm -f -- "$T"; e EINCOMPLETE "checksum mismatch: the target was not changed"; }; fi
if [ $ex = 1 ]; then
  # The old mode and owner (stat's three numbers, split on purpose).
  # shellcheck disable=SC2046
  set -- $(stat -L -c '%a %u %g' -- "$F")
  chmod "$1" -- "$T" 2>/dev/null || chmod "$1" "$T"
  chown "$2:$3" -- "$T" 2>/dev/null || chown "$2:$3" "$T" 2>/dev/null
  mv -f -- "$T" "$F" || { rm -f -- "$T"; exit 6; }
else
  ln -- "$T" "$F" 2>/dev/null || { if [ -e "$F" ]; then rm -f -- "$T"; e EEXIST "file exists"; fi; mv -f -- "$T" "$F"; }
  rm -f -- "$T"
fi
printf '!STAT %s\n' "$(stat -c '%s:%Y' -- "$F")" >&2

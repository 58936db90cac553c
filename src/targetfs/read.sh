# part of: common.sh
# readFile: ARG the path. `!SIZE size:mtime` on stderr, the bytes on stdout, then `!SUM hex` on stderr: the
# checksum of exactly the bytes that left, computed in the same pass (tee feeds them to the checksum tool through a
# pipe reopened as /proc/self/fd/5; /proc is there, the target's root is read through it), never a second read of
# the file. The shell waits for its children: stopped in the middle (Stop Debug Container ends children before
# parents), it leaves no orphan behind, which in a shared PID namespace would become a zombie under the target's
# main process; and it says that the container was stopped.
d "$1"; rs "$v" 1 || e ELOOP "too many levels of symbolic links"; F=$R$P
[ -e "$F" ] || e ENOENT "no such file or directory"
[ -d "$F" ] && e EISDIR "is a directory"
[ -r "$F" ] || e EACCES "permission denied"
printf '!SIZE %s\n' "$(stat -c '%s:%Y' -- "$F")" >&2
if [ "$SUMTOOL" = - ]; then
  cat -- "$F"
  rc=$?
else
  # fd 3: the exec's stdout; fd 6: this capture. tee's status is printed before the group ends, so before the
  # checksum tool sees the end of its input and prints: `rc N`, a newline, then `HEX  -`.
  exec 3>&1
  out=$( { { tee /proc/self/fd/5 < "$F" >&3 3>&-; echo "rc $?" >&6; } 5>&1 | sum 3>&-; } 6>&1 )
  rc=${out%%"
"*}; rc=${rc#rc }; s=${out#*"
"}; s=${s%% *}
  # No status: the group's shell itself was ended by a signal (e.g. blocked opening a FIFO when stopped).
  case $rc in ''|*[!0-9]*) rc=143;; esac
  case $s in ''|*[!0-9a-f]*) ;; *) printf '!SUM %s\n' "$s" >&2;; esac
fi
if [ "$rc" -ne 0 ]; then
  # cat/tee ended by a signal while Stop Debug Container runs (it leaves this mark first).
  [ "$rc" -gt 128 ] && [ -e /tmp/.ephemeral-debug-stopping ] && e ESTOPPED "the debug container was stopped"
  exit 4
fi

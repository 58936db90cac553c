# part of: common.sh
# readFile: ARG the path. `!SIZE size:mtime` on stderr, the bytes on stdout, then `!SUM hex` on stderr from a
# second read in parallel (page cache). The shell waits for its children: stopped in the middle (Stop Debug
# Container ends children before parents), it leaves no orphan behind, which in a shared PID namespace would
# become a zombie under the target's main process; and it says that the container was stopped.
d "$1"; rs "$v" 1 || e ELOOP "too many levels of symbolic links"; F=$R$P
[ -e "$F" ] || e ENOENT "no such file or directory"
[ -d "$F" ] && e EISDIR "is a directory"
[ -r "$F" ] || e EACCES "permission denied"
printf '!SIZE %s\n' "$(stat -c '%s:%Y' -- "$F")" >&2
if [ "$SUMTOOL" != - ]; then ( s=$(sum < "$F") && printf '!SUM %s\n' "${s%% *}" >&2 ) & fi
cat -- "$F"
rc=$?
wait
if [ $rc -ne 0 ]; then
  # cat ended by a signal while Stop Debug Container runs (it leaves this mark first).
  [ $rc -gt 128 ] && [ -e /tmp/.ephemeral-debug-stopping ] && e ESTOPPED "the debug container was stopped"
  exit 4
fi

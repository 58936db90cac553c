# part of: common.sh
# readFile: ARG the path. `!SIZE size:mtime` on stderr, the bytes on stdout, then `!SUM hex` on stderr from a
# second read in parallel (page cache). The shell waits for both children, and without a checksum it becomes cat:
# stopped in the middle, it leaves no orphan behind (in a shared PID namespace an orphan's parent is the
# target's main process, which does not reap it).
d "$1"; rs "$v" 1 || e ELOOP "too many levels of symbolic links"; F=$R$P
[ -e "$F" ] || e ENOENT "no such file or directory"
[ -d "$F" ] && e EISDIR "is a directory"
[ -r "$F" ] || e EACCES "permission denied"
printf '!SIZE %s\n' "$(stat -c '%s:%Y' -- "$F")" >&2
[ "$SUMTOOL" = - ] && exec cat -- "$F"
( s=$(sum < "$F") && printf '!SUM %s\n' "${s%% *}" >&2 ) &
cat -- "$F" || { wait; exit 4; }
wait

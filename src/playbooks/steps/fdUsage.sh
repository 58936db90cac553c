# part of: prelude.sh
# The target's open file descriptors against its limits, by kind, and the files it has open most often. What the
# descriptors point at is the target's own text (file names): each is read NUL-terminated (readlink -n) and shown
# with control characters (newlines included) as ?, so a name cannot add or forge rows.
need_target; pid=$TARGET_PID
ls "/proc/$pid/fd" >fds 2>fds.err || { cat fds.err; echo "cannot list /proc/$pid/fd: the debug container needs the target's uid or SYS_PTRACE (profile general)"; exit 1; }
n=$(wc -l <fds)
limits=$(sed -n 's/^Max open files[[:space:]]*\([^[:space:]]*\)[[:space:]]*\([^[:space:]]*\).*/\1 \2/p' "/proc/$pid/limits")
soft=${limits% *}; hard=${limits#* }
echo "open file descriptors: $n (soft limit $soft, hard limit $hard)"
case "$soft" in ""|unlimited) ;; *) echo "usage: $((n * 100 / soft))% of the soft limit" ;; esac
echo "== by kind"
for f in "/proc/$pid/fd"/*; do readlink -n "$f" 2>/dev/null && printf '\000'; done | tr '\001-\037\177' '?' | tr '\000' '\n' >targets
sed -e "s/^socket:.*/socket/" -e "s/^pipe:.*/pipe/" -e "s/^anon_inode:\[\{0,1\}\([a-z_]*\).*/anon_inode:\1/" -e "s|^/.*|file|" targets | sort | uniq -c | sort -rn
echo "== most opened files"
grep "^/" targets | sort | uniq -c | sort -rn | head -n 10
echo "== system-wide (allocated, unused, max): $(cat /proc/sys/fs/file-nr)"

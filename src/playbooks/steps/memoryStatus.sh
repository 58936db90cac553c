# part of: prelude.sh
# The target's memory (VmRSS, VmHWM, smaps_rollup) and the largest processes of its PID namespace. The kernel escapes
# control characters in the Name field of /proc/<pid>/status.
need_target; pid=$TARGET_PID
echo "== /proc/$pid/status (memory)"
grep -E "^(Name|VmPeak|VmSize|VmHWM|VmRSS|RssAnon|RssFile|RssShmem|VmData|VmSwap|Threads):" "/proc/$pid/status" || exit 1
echo "== /proc/$pid/smaps_rollup"
cat "/proc/$pid/smaps_rollup" 2>/dev/null || echo "smaps_rollup not readable (needs the target's uid or SYS_PTRACE: profile general), or a kernel before 4.14"
echo "== largest processes in the PID namespace (RSS kB)"
for s in /proc/[0-9]*/status; do awk '/^Name:/{sub(/^Name:[[:space:]]*/, ""); n=$0} /^VmRSS:/{print $2, n}' "$s" 2>/dev/null; done | sort -rn | head -n 5

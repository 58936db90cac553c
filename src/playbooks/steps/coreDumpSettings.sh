# part of: prelude.sh
# Where cores go (core_pattern) and whether the target may write one (its core file size limit).
need_target; pid=$TARGET_PID
pat=$(cat /proc/sys/kernel/core_pattern)
printf 'core_pattern: %s\n' "$pat"
case "$pat" in
  "|"*) printf 'cores are piped to a program on the node (%s): they are not written in the container; look on the node (coredumpctl, /var/lib/systemd/coredump, apport)\n' "${pat#|}" ;;
  /*) printf 'cores are written to %s as the crashing process sees it (its own filesystem)\n' "${pat%/*}" ;;
  *) cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null) || cwd="?"
     printf "cores are written to the crashing process's working directory: %s\n" "$(printable "$cwd")" ;;
esac
echo "core_uses_pid: $(cat /proc/sys/kernel/core_uses_pid 2>/dev/null)  suid_dumpable: $(cat /proc/sys/fs/suid_dumpable 2>/dev/null)"
grep "^Max core file size" "/proc/$pid/limits"
soft=$(sed -n 's/^Max core file size[[:space:]]*\([^[:space:]]*\).*/\1/p' "/proc/$pid/limits")
if [ "$soft" = 0 ]; then echo "the target cannot write a core (ulimit -c is 0): raise it in the entrypoint (ulimit -c unlimited) or the runtime's default rlimits"; fi
echo "coredump_filter: $(cat "/proc/$pid/coredump_filter" 2>/dev/null || echo "not readable")"

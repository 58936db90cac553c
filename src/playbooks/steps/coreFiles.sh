# part of: prelude.sh
# Core files in the target's filesystem: its working directory, the usual folders and core_pattern's folder, two
# levels deep. The names are the shell's own glob results (never split, never options) and printed with control
# characters as ?, one file per line.
need_target; pid=$TARGET_PID
root=/proc/$pid/root
pat=$(cat /proc/sys/kernel/core_pattern)
set -- "$(readlink "/proc/$pid/cwd" 2>/dev/null)" /tmp /var/crash /cores /var/lib/systemd/coredump
case "$pat" in /*) set -- "$@" "${pat%/*}" ;; esac
found=0
for d in "$@"; do
  { [ -n "$d" ] && [ -d "$root$d" ]; } || continue
  for f in "$root$d"/* "$root$d"/*/*; do
    case ${f##*/} in core|core.*|*.core) ;; *) continue ;; esac
    { [ -f "$f" ] && [ ! -L "$f" ]; } || continue
    found=1
    printf '%s bytes, modified %s: %s\n' "$(stat -c %s -- "$f")" "$(stat -c %y -- "$f")" "$(printable "${f#"$root"}")"
  done
done
[ $found = 1 ] || printf "no core files in: %s (in the target's filesystem)\n" "$(printable "$*")"

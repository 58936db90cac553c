# Shell in Target Root: sh -c "$script" target-root PID LABEL
# A shell whose / is the target's filesystem (chroot /proc/PID/root), the debug image's tools on PATH. PID is the
# target's main process (1 when it is PID 1), LABEL names it in messages. Messages start with "target-root:" so
# tests and users can tell them from shell output; 126 (TARGET_UNREADABLE_EXIT) when the target's filesystem
# cannot be read at all.
t=$1 label=$2
case $t in ''|*[!0-9]*) echo "target-root: bad target pid" >&2; exit 2;; esac
tools=/proc/$$/root
if [ "$t" = 1 ] && [ "$(readlink /proc/1/ns/mnt 2>/dev/null)" = "$(readlink /proc/self/ns/mnt)" ]; then
  echo "target-root: PID 1 is this debug container: the runtime ignored targetContainerName, so the target is not visible" >&2; exit 126
fi
if ! ls "/proc/$t/root/" >/dev/null 2>&1; then
  echo "target-root: cannot read the $label filesystem (/proc/$t/root: permission denied): the debug container needs the target's uid or SYS_PTRACE (profile general, or run as its user)" >&2; exit 126
fi
# A static shell from the debug image: busybox where it exists (static in the busybox images).
if [ -x "$tools/bin/busybox" ]; then set -- "$tools/bin/busybox" sh; else set -- "$tools/bin/sh"; fi
bins="$tools/bin:$tools/usr/bin:$tools/sbin:$tools/usr/sbin"
why=$(chroot "/proc/$t/root" "$@" -c true 2>&1) || {
  echo "target-root: cannot chroot into the $label filesystem ($why); the debug container needs CAP_SYS_CHROOT (dropped by the restricted profile) and a static shell. Opening a shell at /proc/$t/root instead: its paths are relative there" >&2
  cd "/proc/$t/root" && exec sh
}
echo "target-root: / is the $label filesystem (pid $t); debug tools are on PATH from $tools" >&2
PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$bins" HOME=/ chroot "/proc/$t/root" "$@"
# Not the last command, so the shell forks for chroot instead of exec'ing it and keeps /proc/$$/root alive.
exit $?

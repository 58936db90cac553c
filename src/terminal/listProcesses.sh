# Lists the processes the debug container sees: sh -c "$script" list-processes [go]
# One line per process: P<TAB>pid<TAB>ppid<TAB>uid<TAB>mnt<TAB>go<TAB>hex, then self<TAB>mnt (the listing shell's
# own mount namespace). hex is od's hex of the bytes `comm NUL exe NUL argv…` (comm with the kernel's newline,
# argv NUL-separated as in /proc/<pid>/cmdline): a process sets its name, executable path and arguments, and
# whatever bytes they hold (newlines, tabs) cannot end a row or a field. pid, ppid, uid and mnt come from the
# kernel's own formats. With `go`, processes outside the debug container whose executable is not a known
# interpreter or shell are checked for Go (a grep of the binary), so a 100 MB node binary is never scanned.
GO=$1
self=$(readlink "/proc/$$/ns/mnt")
for d in /proc/[0-9]*; do
  p=${d#/proc/}
  [ "$p" = "$$" ] && continue
  [ -r "$d/status" ] || continue
  pp=$(sed -n 's/^PPid:[[:space:]]*\([0-9]*\).*/\1/p' "$d/status" 2>/dev/null)
  u=$(sed -n 's/^Uid:[[:space:]]*[0-9]*[[:space:]]*\([0-9]*\).*/\1/p' "$d/status" 2>/dev/null)
  m=$(readlink "$d/ns/mnt" 2>/dev/null)
  e=$(readlink "$d/exe" 2>/dev/null)
  g=
  if [ "$GO" = go ] && [ -n "$e" ] && [ "$m" != "$self" ]; then
    case ${e##*/} in
      node|nodejs|java|python*|sh|bash|ash|dash|busybox|pause|sleep|dlv|gdb) ;;
      *) if grep -q "Go buildinf:" "$d/exe" 2>/dev/null; then g=buildinfo; elif grep -q 'runtime\.main' "$d/exe" 2>/dev/null; then g=runtime.main; fi ;;
    esac
  fi
  x=$({ cat "$d/comm"; printf '\000%s\000' "$e"; cat "$d/cmdline"; } 2>/dev/null | od -An -v -tx1 | tr -d ' \n')
  printf 'P\t%s\t%s\t%s\t%s\t%s\t%s\n' "$p" "$pp" "$u" "$m" "$g" "$x"
done
printf 'self\t%s\n' "$self"

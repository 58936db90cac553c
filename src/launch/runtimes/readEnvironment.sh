# Prints only the named variables of a process's environment (never the rest: it may hold secrets):
# sh -c "$script" read-environment PID NAME…
# One variable per line: the entries of /proc/<pid>/environ end with NUL, and a newline inside a value (the target
# chooses its values) is printed as \001 (parseEnvironment turns it back), so a value cannot forge another variable.
pid=$1; shift
case $pid in ''|*[!0-9]*) exit 2;; esac
for name; do
  case $name in ''|*[!A-Za-z0-9_]*) continue;; esac
  tr '\n\000' '\001\n' < "/proc/$pid/environ" 2>/dev/null | grep -e "^$name=" || true
done

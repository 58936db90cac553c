# Prints only the named variables of a process's environment (never the rest: it may hold secrets):
# sh -c "$script" read-environment PID NAME…
pid=$1; shift
case $pid in ''|*[!0-9]*) exit 2;; esac
for name; do
  case $name in ''|*[!A-Za-z0-9_]*) continue;; esac
  tr '\000' '\n' < "/proc/$pid/environ" 2>/dev/null | grep -e "^$name=" || true
done

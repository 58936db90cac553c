# Whether the dlv started by dlv.sh still runs, and its log: sh -c "$script" dlv-alive PID LOG
kill -0 "$1" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null && echo alive
cat -- "$2" 2>/dev/null

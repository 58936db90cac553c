# Stops a debug server this extension started, by its pid, when it still is that process (same comm), and waits
# until it is gone (or a zombie) so the session's end means the port is closed: sh -c "$script" stop PID COMM
pid=$1 comm=$2
case $pid in ''|*[!0-9]*) exit 2;; esac
[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$comm" ] || exit 0
kill "$pid" 2>/dev/null
i=0
while [ -d "/proc/$pid" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null && [ $i -lt 100 ]; do
  sleep 0.1; i=$((i + 1))
done
# Still there after 10 s: it ignored SIGTERM.
if [ -d "/proc/$pid" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null; then kill -9 "$pid" 2>/dev/null; fi
exit 0

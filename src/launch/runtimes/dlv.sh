# Starts dlv attached to a process, headless, in the background: sh -c "$script" dlv PID PORT LOG
# It listens on 127.0.0.1 only: the port-forward connects there, and nothing else that reaches the pod's IP can
# drive it. Prints dlv's pid, by which the debug session's end stops it.
pid=$1 port=$2 log=$3
case $pid$port in ''|*[!0-9]*) echo "dlv: bad pid or port" >&2; exit 2;; esac
command -v dlv >/dev/null || { echo "dlv: not found" >&2; exit 127; }
# Its own session, so the end of this exec's shell does not take it down.
if command -v setsid >/dev/null; then
  setsid dlv attach "$pid" --headless --listen "127.0.0.1:$port" --accept-multiclient --api-version 2 --continue >"$log" 2>&1 </dev/null &
else
  dlv attach "$pid" --headless --listen "127.0.0.1:$port" --accept-multiclient --api-version 2 --continue >"$log" 2>&1 </dev/null &
fi
echo "$!"

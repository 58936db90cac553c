# part of: prelude.sh
# Opens the Node target's inspector with SIGUSR1 (distroless images have no shell to run anything else), unless one
# already listens; marks that it opened it, so the last step closes it again.
need_target; pid=$TARGET_PID
port=9229
# Is a TCP port listening in the pod (LISTEN = 0A in /proc/net/tcp{,6}, port in hex)?
listening() { grep -qE ":$(printf "%04X" "$1") [0-9A-F]+:0000 0A" /proc/net/tcp /proc/net/tcp6 2>/dev/null; }
comm=$(cat "/proc/$pid/comm")
case $comm in node*) ;; *) printf 'PID %s is "%s", not node\n' "$pid" "$(printable "$comm")"; exit 1 ;; esac
if listening $port; then echo "an inspector already listens on $port: using it (left open)"; exit 0; fi
kill -USR1 "$pid" || { echo "cannot signal PID $pid: the debug container needs the target's uid or root with CAP_KILL"; exit 1; }
i=0; while ! listening $port && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
listening $port || { echo "PID $pid did not open its inspector on $port after SIGUSR1 (--disable-sigusr1, its own SIGUSR1 handler, or another --inspect-port)"; exit 1; }
touch opened-inspector
echo "sent SIGUSR1 to PID $pid: the inspector listens on 127.0.0.1:$port"

# part of: prelude.sh
# The pod's listening sockets (the debug container shares its network namespace).
echo "== listening TCP and UDP sockets of the pod"
if command -v ss >/dev/null 2>&1; then ss -ltnu
else netstat -ltnu
fi

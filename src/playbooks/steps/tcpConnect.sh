# part of: prelude.sh endpoint.sh
# A TCP connect to ENDPOINT (host:port) from inside the pod.
split_endpoint "$ENDPOINT"
if tcp_connect "$host" "$port" 2>nc.err; then
  printf 'TCP connect to %s:%s: connected\n' "$host" "$port"
else
  cat nc.err
  printf 'TCP connect to %s:%s FAILED: nothing accepted the connection within 5 s (refused, filtered by a NetworkPolicy, or the name does not resolve)\n' "$host" "$port"
  exit 1
fi

# part of: prelude.sh
# Shared by the connectivity steps.
# `split_endpoint host:port` (or [v6]:port) sets $host and $port, or fails the step. A host starting with - is refused:
# no DNS name or address does, and the tools would take it for an option.
split_endpoint() {
  port=${1##*:}; host=${1%:*}; host=${host#[}; host=${host%]}
  case $port in ''|*[!0-9]*) printf '"%s" is not host:port\n' "$1"; exit 2 ;; esac
  case $host in '') printf '"%s" has no host\n' "$1"; exit 2 ;; -*) printf '"%s" is not a host name or address\n' "$host"; exit 2 ;; esac
}
# `tcp_connect host port`: nc -z where nc has it (openbsd), else a connect with empty stdin (busybox).
tcp_connect() {
  if nc -h 2>&1 | grep -q -- "-z"; then nc -z -w 5 "$1" "$2"; else nc -w 5 "$1" "$2" </dev/null >/dev/null; fi
}

# part of: prelude.sh endpoint.sh
# DB_ENDPOINT (host:port, by default from the target's env): resolve, connect, and show the server's first bytes.
[ -n "$DB_ENDPOINT" ] || { echo "no database endpoint: give host:port"; exit 2; }
split_endpoint "$DB_ENDPOINT"
case "$host" in *[!0-9.:]*) echo "== DNS"; nslookup "$host" 2>&1 || { printf 'DNS lookup of %s FAILED\n' "$host"; exit 1; } ;; esac
if ! tcp_connect "$host" "$port"; then printf 'TCP connect to %s:%s FAILED: refused, filtered (NetworkPolicy, firewall) or not listening\n' "$host" "$port"; exit 1; fi
printf 'TCP connect to %s:%s: connected\n' "$host" "$port"
echo "== first bytes from the server"
# Protocols that speak first (MySQL) show their greeting; for PostgreSQL and Redis a harmless request is sent.
case "$port" in
  5432) printf "\000\000\000\010\004\322\026\057" | nc -w 3 "$host" "$port" | head -c 1 >reply; r=$(cat reply)
        case "$r" in S) echo "PostgreSQL answered the SSL request: SSL available" ;; N) echo "PostgreSQL answered the SSL request: no SSL" ;; *) echo "no PostgreSQL answer to an SSL request" ;; esac ;;
  6379) printf "PING\r\n" | nc -w 3 "$host" "$port" | head -c 200 | tr -c "[:print:]\n" "." ;;
  *) nc -w 3 "$host" "$port" </dev/null | head -c 200 | tr -c "[:print:]\n" "." ;;
esac
echo

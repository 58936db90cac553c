# part of: prelude.sh
# Looks up DNS_NAME with the pod's resolver.
[ -n "$DNS_NAME" ] || { echo "no name to look up"; exit 2; }
case $DNS_NAME in -*) printf '"%s" is not a DNS name\n' "$DNS_NAME"; exit 2 ;; esac
out=$(nslookup "$DNS_NAME" 2>&1); status=$?
printf '%s\n' "$out"
# busybox nslookup exits 0 on some failures: judge by an answer line too.
if [ $status -eq 0 ] && printf '%s\n' "$out" | grep -q "^Address.*[0-9a-f][.:][0-9a-f]" && ! printf '%s\n' "$out" | grep -qi "can.t find\|no servers\|timed out\|NXDOMAIN\|refused"; then
  printf 'DNS lookup of %s: resolved\n' "$DNS_NAME"
else
  printf "DNS lookup of %s FAILED: the pod's resolver gave no answer (see above; check resolv.conf and the cluster DNS service)\n" "$DNS_NAME"
  exit 1
fi

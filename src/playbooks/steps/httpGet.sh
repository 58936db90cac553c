# part of: prelude.sh
# GET URL from inside the pod: status, headers and the start of the body. Only http:// and https:// URLs: anything
# else (a leading -, a file: URL) would be an option or a local read for curl and wget.
[ -n "$URL" ] || { echo "no URL"; exit 2; }
case $URL in http://*|https://*) ;; *) printf '"%s" is not an http:// or https:// URL\n' "$URL"; exit 2 ;; esac
printf '== GET %s\n' "$URL"
if command -v curl >/dev/null 2>&1; then
  code=$(curl -sS -o body -D headers -w "%{http_code} in %{time_total}s" --max-time 10 "$URL"); status=$?
  cat headers 2>/dev/null
  [ $status -eq 0 ] || { printf 'HTTP GET %s FAILED: curl exit %s (no connection or timeout)\n' "$URL" "$status"; exit 1; }
  echo "status $code"
  case "$code" in 2*|3*) ok=1 ;; *) ok=0 ;; esac
else
  # busybox wget prints the response headers with -S and fails on non-2xx.
  if wget -S -T 10 -O body "$URL" 2>&1; then ok=1; else ok=0; fi
fi
echo "== body (first 2 KiB)"
head -c 2048 body 2>/dev/null; echo
if [ $ok = 1 ]; then printf 'HTTP GET %s: healthy\n' "$URL"; else printf 'HTTP GET %s FAILED: the server answered with an error status or not at all\n' "$URL"; exit 1; fi

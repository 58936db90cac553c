/**
 * The sh steps of the runtime-independent playbooks. They run in the debug container, which shares the pod's
 * network namespace and the target's PID namespace, so /proc/$TARGET_PID is the target and sockets are the
 * pod's. Written for busybox ash (no bash-isms, no GNU-only flags) so they also run in netshoot and ubuntu.
 */

const lines = (...text: string[]): string => text.join('\n');

export const RESOLV_CONF = lines(
  'echo "== /etc/resolv.conf"',
  // Every container of a pod gets the same resolv.conf from the kubelet, so the debug container's is the pod's.
  'if [ -r /etc/resolv.conf ]; then cat /etc/resolv.conf',
  'elif [ -r "/proc/$TARGET_PID/root/etc/resolv.conf" ]; then echo "(the target\'s)"; cat "/proc/$TARGET_PID/root/etc/resolv.conf"',
  'else echo "no /etc/resolv.conf in the debug container nor in the target: this pod has no DNS configuration (dnsPolicy None without dnsConfig, or a node that writes none)"',
  'fi',
  'echo "== /etc/hosts"',
  'cat /etc/hosts 2>/dev/null || echo "no /etc/hosts"',
);

export const LISTENING_SOCKETS = lines(
  'echo "== listening TCP and UDP sockets of the pod"',
  'if command -v ss >/dev/null 2>&1; then ss -ltnu',
  'else netstat -ltnu',
  'fi',
);

export const INTERFACES_AND_ROUTES = lines(
  'if command -v ip >/dev/null 2>&1; then',
  '  echo "== interfaces"; ip -brief address 2>/dev/null || ip address',
  '  echo "== routes"; ip route; ip -6 route 2>/dev/null',
  'else',
  '  echo "== interfaces"; ifconfig -a',
  '  echo "== routes"; route -n',
  'fi',
);

export const DNS_LOOKUP = lines(
  '[ -n "$DNS_NAME" ] || { echo "no name to look up"; exit 2; }',
  'out=$(nslookup "$DNS_NAME" 2>&1); status=$?',
  'printf \'%s\\n\' "$out"',
  // busybox nslookup exits 0 on some failures: judge by an answer line too.
  'if [ $status -eq 0 ] && printf \'%s\\n\' "$out" | grep -q "^Address.*[0-9a-f][.:][0-9a-f]" && ! printf \'%s\\n\' "$out" | grep -qi "can.t find\\|no servers\\|timed out\\|NXDOMAIN\\|refused"; then',
  '  echo "DNS lookup of $DNS_NAME: resolved"',
  'else',
  '  echo "DNS lookup of $DNS_NAME FAILED: the pod\'s resolver gave no answer (see above; check resolv.conf and the cluster DNS service)"',
  '  exit 1',
  'fi',
);

/** Splits `host:port` (or `[v6]:port`) from $1 into $host and $port; used by connectivity steps. */
const SPLIT_ENDPOINT = lines(
  'ep=$1',
  'port=${ep##*:}; host=${ep%:*}; host=${host#[}; host=${host%]}',
  'case "$port" in ""|*[!0-9]*) echo "\\"$ep\\" is not host:port"; exit 2 ;; esac',
  '[ -n "$host" ] || { echo "\\"$ep\\" has no host"; exit 2; }',
);

/** `tcp_connect host port`: nc -z where nc has it (openbsd), else a connect with empty stdin (busybox). */
const TCP_CONNECT_FUNCTION = lines(
  'tcp_connect() {',
  '  if nc -h 2>&1 | grep -q -- "-z"; then nc -z -w 5 "$1" "$2"; else nc -w 5 "$1" "$2" </dev/null >/dev/null; fi',
  '}',
);

export const TCP_CONNECT = lines(
  TCP_CONNECT_FUNCTION,
  'set -- "$ENDPOINT"',
  SPLIT_ENDPOINT,
  'if tcp_connect "$host" "$port" 2>"$ARTIFACT_DIR/nc.err"; then',
  '  echo "TCP connect to $host:$port: connected"',
  'else',
  '  cat "$ARTIFACT_DIR/nc.err"',
  '  echo "TCP connect to $host:$port FAILED: nothing accepted the connection within 5 s (refused, filtered by a NetworkPolicy, or the name does not resolve)"',
  '  exit 1',
  'fi',
);

export const HTTP_GET = lines(
  '[ -n "$URL" ] || { echo "no URL"; exit 2; }',
  'echo "== GET $URL"',
  'if command -v curl >/dev/null 2>&1; then',
  '  code=$(curl -sS -o "$ARTIFACT_DIR/body" -D "$ARTIFACT_DIR/headers" -w "%{http_code} in %{time_total}s" --max-time 10 "$URL"); status=$?',
  '  cat "$ARTIFACT_DIR/headers" 2>/dev/null',
  '  [ $status -eq 0 ] || { echo "HTTP GET $URL FAILED: curl exit $status (no connection or timeout)"; exit 1; }',
  '  echo "status $code"',
  '  case "$code" in 2*|3*) ok=1 ;; *) ok=0 ;; esac',
  'else',
  // busybox wget prints the response headers with -S and fails on non-2xx.
  '  wget -S -T 10 -O "$ARTIFACT_DIR/body" "$URL" 2>&1; status=$?',
  '  [ $status -eq 0 ] && ok=1 || ok=0',
  'fi',
  'echo "== body (first 2 KiB)"',
  'head -c 2048 "$ARTIFACT_DIR/body" 2>/dev/null; echo',
  'if [ $ok = 1 ]; then echo "HTTP GET $URL: healthy"; else echo "HTTP GET $URL FAILED: the server answered with an error status or not at all"; exit 1; fi',
);

export const MEMORY_STATUS = lines(
  'pid=$TARGET_PID',
  'echo "== /proc/$pid/status (memory)"',
  'grep -E "^(Name|VmPeak|VmSize|VmHWM|VmRSS|RssAnon|RssFile|RssShmem|VmData|VmSwap|Threads):" /proc/$pid/status || exit 1',
  'echo "== /proc/$pid/smaps_rollup"',
  'cat /proc/$pid/smaps_rollup 2>/dev/null || echo "smaps_rollup not readable (needs the target\'s uid or SYS_PTRACE: profile general), or a kernel before 4.14"',
  'echo "== largest processes in the PID namespace (RSS kB)"',
  'for s in /proc/[0-9]*/status; do awk \'/^Name:/{n=$2} /^VmRSS:/{print $2, n}\' "$s" 2>/dev/null; done | sort -rn | head -n 5',
);

export const MEMORY_CGROUP = lines(
  'pid=$TARGET_PID',
  'cg=$(sed -n "s/^0:://p" /proc/$pid/cgroup 2>/dev/null)',
  'echo "cgroup (v2) of the target: ${cg:-none found (cgroup v1, or not readable)}"',
  'found=0',
  // With cgroup namespaces the container sees its own cgroup at /sys/fs/cgroup; the pod's limit is one level up.
  'for d in /sys/fs/cgroup "/sys/fs/cgroup$cg" /sys/fs/cgroup/..; do',
  '  [ -r "$d/memory.events" ] || continue',
  '  found=1; echo "== $d"',
  '  for f in memory.max memory.current memory.peak memory.swap.current memory.events memory.pressure; do',
  '    [ -r "$d/$f" ] && { echo "-- $f"; cat "$d/$f"; }',
  '  done',
  'done',
  'if [ -r /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then',
  '  found=1; d=/sys/fs/cgroup/memory; echo "== $d (cgroup v1)"',
  '  for f in memory.limit_in_bytes memory.usage_in_bytes memory.max_usage_in_bytes memory.failcnt memory.oom_control; do',
  '    [ -r "$d/$f" ] && { echo "-- $f"; cat "$d/$f"; }',
  '  done',
  'fi',
  'if [ $found = 0 ]; then',
  '  echo "no memory cgroup files under /sys/fs/cgroup in the debug container: the limit and the OOM-kill count are not visible from here; the pod\'s status (lastState OOMKilled) and its resources.limits.memory tell the rest"',
  '  exit 1',
  'fi',
);

export const FD_USAGE = lines(
  'pid=$TARGET_PID',
  'ls /proc/$pid/fd >"$ARTIFACT_DIR/fds" 2>"$ARTIFACT_DIR/fds.err" || { cat "$ARTIFACT_DIR/fds.err"; echo "cannot list /proc/$pid/fd: the debug container needs the target\'s uid or SYS_PTRACE (profile general)"; exit 1; }',
  'n=$(wc -l <"$ARTIFACT_DIR/fds")',
  'set -- $(awk \'/^Max open files/{print $4, $5}\' /proc/$pid/limits)',
  'soft=$1; hard=$2',
  'echo "open file descriptors: $n (soft limit $soft, hard limit $hard)"',
  'case "$soft" in ""|unlimited) ;; *) echo "usage: $((n * 100 / soft))% of the soft limit" ;; esac',
  'echo "== by kind"',
  'for f in /proc/$pid/fd/*; do readlink "$f" 2>/dev/null; done >"$ARTIFACT_DIR/targets"',
  'sed -e "s/^socket:.*/socket/" -e "s/^pipe:.*/pipe/" -e "s/^anon_inode:\\[\\{0,1\\}\\([a-z_]*\\).*/anon_inode:\\1/" -e "s|^/.*|file|" "$ARTIFACT_DIR/targets" | sort | uniq -c | sort -rn',
  'echo "== most opened files"',
  'grep "^/" "$ARTIFACT_DIR/targets" | sort | uniq -c | sort -rn | head -n 10',
  'echo "== system-wide (allocated, unused, max): $(cat /proc/sys/fs/file-nr)"',
);

export const CORE_DUMP_SETTINGS = lines(
  'pid=$TARGET_PID',
  'pat=$(cat /proc/sys/kernel/core_pattern)',
  'echo "core_pattern: $pat"',
  'case "$pat" in',
  '  "|"*) echo "cores are piped to a program on the node (${pat#|}): they are not written in the container; look on the node (coredumpctl, /var/lib/systemd/coredump, apport)" ;;',
  '  /*) echo "cores are written to ${pat%/*} as the crashing process sees it (its own filesystem)" ;;',
  '  *) echo "cores are written to the crashing process\'s working directory: $(readlink /proc/$pid/cwd 2>/dev/null || echo "?")" ;;',
  'esac',
  'echo "core_uses_pid: $(cat /proc/sys/kernel/core_uses_pid 2>/dev/null)  suid_dumpable: $(cat /proc/sys/fs/suid_dumpable 2>/dev/null)"',
  'limit=$(grep "^Max core file size" /proc/$pid/limits)',
  'echo "$limit"',
  'set -- $limit',
  'if [ "$5" = "0" ]; then echo "the target cannot write a core (ulimit -c is 0): raise it in the entrypoint (ulimit -c unlimited) or the runtime\'s default rlimits"; fi',
  'echo "coredump_filter: $(cat /proc/$pid/coredump_filter 2>/dev/null || echo "not readable")"',
);

export const CORE_FILES = lines(
  'pid=$TARGET_PID',
  'root=/proc/$pid/root',
  'pat=$(cat /proc/sys/kernel/core_pattern)',
  // The target's working directory is its own text: one quoted word, never split (it may read as find options).
  'set -- "$(readlink /proc/$pid/cwd 2>/dev/null)" /tmp /var/crash /cores /var/lib/systemd/coredump',
  'case "$pat" in /*) set -- "$@" "${pat%/*}" ;; esac',
  'found=0',
  'for d in "$@"; do',
  '  { [ -n "$d" ] && [ -d "$root$d" ]; } || continue',
  '  out=$(find "$root$d" -maxdepth 2 -type f \\( -name "core" -o -name "core.*" -o -name "*.core" \\) -exec ls -l -- {} + 2>/dev/null)',
  '  [ -n "$out" ] && { found=1; printf "%s\\n" "$out" | sed "s|$root||"; }',
  'done',
  '[ $found = 1 ] || echo "no core files in: $* (in the target\'s filesystem)"',
);

/** x86_64 syscall numbers a blocked thread usually sits in; other architectures show the number. */
const SYSCALL_NAMES = '0 read 1 write 7 poll 23 select 35 nanosleep 42 connect 43 accept 45 recvfrom 47 recvmsg 61 wait4 202 futex 230 clock_nanosleep 232 epoll_wait 270 pselect6 271 ppoll 281 epoll_pwait 288 accept4 441 epoll_pwait2';

export const THREAD_STATES = lines(
  'pid=$TARGET_PID',
  // The name only: the command line may carry secrets, and it is in the transcript's target line, redacted.
  'echo "process $pid: $(cat /proc/$pid/comm)"',
  `names="${SYSCALL_NAMES}"`,
  'arch=$(uname -m)',
  'printf "%-8s %-16s %-16s %-22s %s\\n" TID NAME STATE WCHAN SYSCALL',
  'd=0',
  'for t in /proc/$pid/task/*; do',
  '  tid=${t##*/}',
  '  st=$(sed -n "s/^State:[[:space:]]*//p" $t/status)',
  '  case "$st" in D*) d=$((d + 1)) ;; esac',
  '  w=$(cat $t/wchan 2>/dev/null); [ -n "$w" ] || w="-"',
  '  sc=$(cut -d" " -f1 $t/syscall 2>/dev/null); [ -n "$sc" ] || sc="(not readable)"',
  '  if [ "$arch" = x86_64 ]; then n=$(echo $names | awk -v s="$sc" \'{for(i=1;i<NF;i+=2) if ($i==s) print $(i+1)}\'); [ -n "$n" ] && sc="$sc ($n)"; fi',
  '  printf "%-8s %-16s %-16s %-22s %s\\n" "$tid" "$(cat $t/comm)" "$st" "$w" "$sc"',
  'done',
  'echo "threads in uninterruptible sleep (D): $d"',
  '[ $d -eq 0 ] || echo "D threads wait in the kernel (usually disk or network filesystem I/O) and cannot be interrupted, not even by SIGKILL"',
);

export const KERNEL_STACKS = lines(
  'pid=$TARGET_PID',
  'ok=0',
  'for t in /proc/$pid/task/*; do',
  '  s=$(cat $t/stack 2>/dev/null) || continue',
  '  ok=1; echo "-- thread ${t##*/} ($(cat $t/comm))"; echo "$s"',
  'done',
  // The kernel shows stacks only to CAP_SYS_ADMIN in the initial user namespace, whatever the uid.
  '[ $ok = 1 ] || { echo "kernel stacks (/proc/$pid/task/*/stack) need root with CAP_SYS_ADMIN: run this playbook with profile sysadmin, where policy allows it"; exit 1; }',
);

export const SYSCALL_TRACE = lines(
  'pid=$TARGET_PID',
  'command -v strace >/dev/null 2>&1 || { echo "no strace in this debug image: use nicolaka/netshoot or another image with strace"; exit 1; }',
  'echo "== 3 seconds of system calls (strace -f; the target slows down while traced)"',
  'timeout 3 strace -f -p $pid -s 64 >"$ARTIFACT_DIR/strace" 2>&1',
  'head -n 200 "$ARTIFACT_DIR/strace"',
  'if grep -q "attach: ptrace" "$ARTIFACT_DIR/strace"; then echo "strace could not attach: the debug container needs SYS_PTRACE (profile general)"; exit 1; fi',
);

export const DB_CONNECT = lines(
  TCP_CONNECT_FUNCTION,
  '[ -n "$DB_ENDPOINT" ] || { echo "no database endpoint: give host:port"; exit 2; }',
  'set -- "$DB_ENDPOINT"',
  SPLIT_ENDPOINT,
  'case "$host" in *[!0-9.:]*) echo "== DNS"; nslookup "$host" 2>&1 || { echo "DNS lookup of $host FAILED"; exit 1; } ;; esac',
  'if ! tcp_connect "$host" "$port"; then echo "TCP connect to $host:$port FAILED: refused, filtered (NetworkPolicy, firewall) or not listening"; exit 1; fi',
  'echo "TCP connect to $host:$port: connected"',
  'echo "== first bytes from the server"',
  // Protocols that speak first (MySQL) show their greeting; for PostgreSQL and Redis a harmless request is sent.
  'case "$port" in',
  '  5432) printf "\\000\\000\\000\\010\\004\\322\\026\\057" | nc -w 3 "$host" "$port" | head -c 1 >"$ARTIFACT_DIR/reply"; r=$(cat "$ARTIFACT_DIR/reply")',
  '        case "$r" in S) echo "PostgreSQL answered the SSL request: SSL available" ;; N) echo "PostgreSQL answered the SSL request: no SSL" ;; *) echo "no PostgreSQL answer to an SSL request" ;; esac ;;',
  '  6379) printf "PING\\r\\n" | nc -w 3 "$host" "$port" | head -c 200 ;;',
  '  *) nc -w 3 "$host" "$port" </dev/null | head -c 200 | tr -c "[:print:]\\n" "." ;;',
  'esac',
  'echo',
);

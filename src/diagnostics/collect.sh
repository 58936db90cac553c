# Collect Diagnostics, run in the debug container: sh -c "$script" diagnostics BOUNDARY PID CAP ENVMODE MINUTES.
# PID "-": the extension is still choosing the target (from a listing taken at the same time); the script takes the
# CPU sample's first half, then reads that PID (or "none", which ends it) as a line on stdin.
# One POSIX sh program that busybox ash, dash and bash all run, using only what busybox and GNU
# coreutils/findutils/grep/sed share (no awk: the GNU debug image lacks it); raw /proc data is printed as-is and
# decoded in TypeScript (report.ts), so it works without ps/ss/ip. Output grammar: see script.ts.
# Everything read from the target (its cwd, file names, environment) is data: quoted, never word-split.
# `cat FILE 2>&1 | body` on purpose: what cat says when it cannot read the file becomes the part's content.
# shellcheck disable=SC2002
B=$1 P=$2 CAP=$3 ENVMODE=$4 MINUTES=$5
case $CAP in ''|*[!0-9]*) CAP=200;; esac
case $MINUTES in ''|*[!0-9]*) MINUTES=60;; esac
W=400
# A file name holding a newline (find -name pattern): such names are left out of line-based lists.
NL_NAME=$(printf '*\n*')
has() { command -v "$1" >/dev/null 2>&1; }
mark() { printf '\n%s %s\n' "$B" "$*"; }
section() { mark section "$1"; }
part() { mark part "$1"; }
st() { mark status "$@"; }
# Content lines get the '|' prefix; a line past the cap becomes a 'truncated' marker.
body() { n=$CAP; [ -n "$1" ] && n=$1; head -n "$((n + 1))" | cut -c "1-$W" | sed -e 's/^/|/' -e "$((n + 1))s/.*/$B truncated/"; }
TO=
has timeout && TO=20
# Runs "$@" with a 20 s limit where timeout exists.
limited() { if [ -n "$TO" ]; then timeout "$TO" "$@"; else "$@"; fi; }
# The CPU sample's first half, taken now: the second comes in the last section (processes), at least a second later,
# so the sampling interval overlaps the collection of every other section instead of adding a pause to it.
UPTIME0=$(body < /proc/uptime)
STAT0=$(cat /proc/[0-9]*/stat 2>/dev/null | body 4000)
if [ "$P" = - ]; then
  P=
  read -r P || true
fi
case $P in ''|*[!0-9]*) echo "diagnostics: no target pid (the extension did not choose one)" >&2; exit 2;; esac
R=/proc/$P/root
NET=/proc/$P/net
[ -r "$NET/tcp" ] || NET=/proc/net
if ls "$R/" >/dev/null 2>&1; then ROOT_OK=1; else ROOT_OK=; fi
ROOT_WHY="cannot read /proc/$P/root: needs the target's uid or SYS_PTRACE"

section system
part tools
for t in ps top ss netstat ip ifconfig nslookup getent df find stat timeout od tail sort cut; do has "$t" && echo "$t"; done | body
part kernel; uname -a 2>&1 | body
part hostname; cat /proc/sys/kernel/hostname 2>&1 | body
part uptime; cat /proc/uptime 2>&1 | body
part loadavg; cat /proc/loadavg 2>&1 | body
part cpus; grep -c '^processor' /proc/cpuinfo 2>&1 | body
part memory; grep -E '^(MemTotal|MemAvailable|SwapTotal|SwapFree):' /proc/meminfo 2>&1 | body
part clock; date +%s | body
if [ -n "$ROOT_OK" ]; then
  part os-release-target; cat "$R/etc/os-release" 2>/dev/null | body || true
fi
part os-release-debug; cat /etc/os-release 2>/dev/null | body

section runtime
part cgroup; cat "/proc/$P/cgroup" 2>&1 | body
part pid1; tr '\000\n' '  ' 2>/dev/null < /proc/1/cmdline | body
if [ -n "$ROOT_OK" ]; then
  part markers; for f in /.dockerenv /run/.containerenv /var/run/secrets/kubernetes.io/serviceaccount/namespace; do [ -e "$R$f" ] && echo "$f"; done | body
fi
part security; grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):' "/proc/$P/status" 2>&1 | body

section target
if [ -r "/proc/$P/status" ]; then
  part status; grep -E '^(Name|State|PPid|Uid|Gid|Threads|VmPeak|VmSize|VmRSS|VmSwap|voluntary_ctxt_switches|nonvoluntary_ctxt_switches):' "/proc/$P/status" | body
  part cmdline; tr '\000\n' '  ' < "/proc/$P/cmdline" | body
  part cwd; readlink "/proc/$P/cwd" 2>/dev/null | body
  part exe; readlink "/proc/$P/exe" 2>/dev/null | body
  [ -n "$ROOT_OK" ] || st unavailable "cannot read the target's working directory and executable: needs the target's uid or SYS_PTRACE"
else
  st unavailable "process $P is not visible: the debug container does not share the target's PID namespace"
fi

section network
part interfaces
if has ip; then ip addr 2>&1 | body
elif has ifconfig; then ifconfig -a 2>&1 | body
else st missing-tool ip "addresses need ip or ifconfig; counters below come from /proc/net/dev"; fi
part dev; cat "$NET/dev" 2>&1 | body
part route; cat "$NET/route" 2>&1 | body
if has ip; then part route6; ip -6 route 2>&1 | body; fi

section sockets
for f in tcp tcp6 udp udp6; do
  if [ -r "$NET/$f" ]; then part "$f"; body 4000 < "$NET/$f"; fi
done
part inodes
# ls -l of /proc/<pid>/fd: the link targets are the kernel's socket:[inode] texts, not file names.
# shellcheck disable=SC2012
for d in /proc/[0-9]*; do p=${d#/proc/}; ls -l "$d/fd" 2>/dev/null | sed -n "s|.*socket:\[\([0-9]*\)\].*|$p \1|p"; done | body 4000

section dns
if [ -n "$ROOT_OK" ] && [ -e "$R/etc/resolv.conf" ]; then part resolv.conf; cat "$R/etc/resolv.conf" 2>&1 | body
else part resolv.conf-debug; cat /etc/resolv.conf 2>&1 | body; fi
if [ -n "$ROOT_OK" ]; then part hosts; cat "$R/etc/hosts" 2>&1 | body; fi
LOOKUP=
if has nslookup; then LOOKUP=nslookup; elif has getent; then LOOKUP=getent; fi
if [ -z "$LOOKUP" ]; then st missing-tool nslookup "no nslookup or getent in the debug image: names were not looked up"; fi
lookup() { if [ "$LOOKUP" = getent ]; then limited getent hosts "$1"; else limited nslookup "$1"; fi; }
NAMES=kubernetes.default.svc
if head -c 1 "/proc/$P/environ" >/dev/null 2>&1; then
  # Kubernetes injects FOO_BAR_SERVICE_HOST for service foo-bar; the sed keeps only [A-Z0-9_] names, so the
  # word splitting of NAMES below sees nothing but letters, digits and dashes.
  NAMES="$NAMES $(tr '\n\000' ' \n' < "/proc/$P/environ" | sed -n 's/^\([A-Z][A-Z0-9_]*\)_SERVICE_HOST=.*/\1/p' | grep -v '^KUBERNETES$' | head -n 10 | tr 'A-Z_' 'a-z-' | tr '\n' ' ')"
else
  st unavailable "service names come from the target's environment, which is not readable: needs the target's uid or SYS_PTRACE"
fi
for n in $NAMES; do
  part "lookup $n"
  if [ -n "$LOOKUP" ]; then out=$(lookup "$n" 2>&1); rc=$?; printf '%s\n' "$out" | body; mark exit "$rc"; fi
done

section mounts
if [ -r "/proc/$P/mounts" ]; then part mounts; body < "/proc/$P/mounts"
else st unavailable "cannot read /proc/$P/mounts"; fi

section disk
if [ -z "$ROOT_OK" ]; then st unavailable "$ROOT_WHY"
elif ! has stat; then st missing-tool stat "no stat in the debug image"
else
  # statfs through the target's root: df cannot, as the target's mounts are not in our mount table.
  part statfs
  while read -r _ mp type _; do
    case $type in proc|sysfs|cgroup|cgroup2|devpts|mqueue|securityfs|debugfs|tracefs|bpf|pstore|configfs|fusectl|hugetlbfs|autofs|binfmt_misc|nsfs) continue ;; esac
    case $mp in *\\*) continue ;; esac
    printf '%s %s ' "$type" "$mp"; stat -f -c '%S %b %f %a %c %d' -- "$R$mp" 2>&1 | head -n 1
  done < "/proc/$P/mounts" | body
fi

section cgroup
part membership; cat "/proc/$P/cgroup" 2>&1 | body
CG='' D=''
if [ -n "$ROOT_OK" ] && [ -f "$R/sys/fs/cgroup/cgroup.controllers" ]; then CG=v2; D="$R/sys/fs/cgroup"
elif [ -n "$ROOT_OK" ] && [ -d "$R/sys/fs/cgroup/memory" ]; then CG=v1; D="$R/sys/fs/cgroup"
else
  # Reachable from the debug container only when its cgroup view is not namespaced (no '..' in the path).
  p=$(sed -n 's/^0:://p' "/proc/$P/cgroup" 2>/dev/null)
  case $p in */..*|'') ;; *) [ -f "/sys/fs/cgroup$p/cgroup.controllers" ] && CG=v2 && D="/sys/fs/cgroup$p" ;; esac
fi
part source; echo "$CG $D" | body
if [ "$CG" = v2 ]; then
  for f in memory.max memory.current memory.peak memory.high memory.swap.max memory.events cpu.max cpu.weight cpu.stat pids.max pids.current; do
    [ -r "$D/$f" ] && { part "file $f"; body < "$D/$f"; }
  done
elif [ "$CG" = v1 ]; then
  for f in memory/memory.limit_in_bytes memory/memory.usage_in_bytes memory/memory.max_usage_in_bytes memory/memory.failcnt cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us cpu/cpu.stat cpuacct/cpuacct.usage pids/pids.max pids/pids.current; do
    [ -r "$D/$f" ] && { part "file $f"; body < "$D/$f"; }
  done
else
  st unavailable "no cgroup filesystem at the target's /sys/fs/cgroup nor reachable from the debug container"
fi

section fds
# Counting entries of /proc/<pid>/fd: their names are numbers.
# shellcheck disable=SC2012
if ls "/proc/$P/fd" >/dev/null 2>&1; then part count; ls "/proc/$P/fd" | wc -l | body
else st unavailable "cannot list /proc/$P/fd: needs the target's uid or SYS_PTRACE"; fi
part limits; cat "/proc/$P/limits" 2>&1 | body

section recent-files
if [ -z "$ROOT_OK" ]; then st unavailable "$ROOT_WHY"
elif ! has find; then st missing-tool find "no find in the debug image"
elif ! has stat; then st missing-tool stat "no stat in the debug image"
else
  part window; echo "$MINUTES $(date +%s) ${TO:+timeout $TO}" | body
  part files
  (cd "$R" && limited find . \( -path ./proc -o -path ./sys -o -path ./dev \) -prune -o -type f -mmin "-$MINUTES" ! -name "$NL_NAME" -exec stat -c '%Y %s %n' -- {} + 2>/dev/null) | sort -rn | body
fi

section logs
if [ -z "$ROOT_OK" ]; then st unavailable "$ROOT_WHY"
elif ! has find; then st missing-tool find "no find in the debug image"
else
  APP=$(readlink "/proc/$P/cwd" 2>/dev/null)
  # The directories to search, as find's path operands: each one word, each starting with ./ (never an option
  # or an expression, whatever the target's working directory is called).
  set --
  [ -d "$R/var/log" ] && set -- ./var/log
  case $APP in /|'') ;; /*) [ -d "$R$APP" ] && set -- "$@" ".$APP" ;; esac
  # One directory a line (a newline in the working directory's name becomes a space).
  part searched; { echo /var/log; printf '%s' "$APP" | tr '\n' ' '; echo; } | body
  if [ $# -gt 0 ]; then
    (cd "$R" && limited find "$@" -maxdepth 3 -type f -name '*.log' ! -name "$NL_NAME" -exec stat -c '%Y %n' -- {} + 2>/dev/null) | sort -rn | head -n 8 | while read -r _ f; do
      case $f in ./*) ;; *) continue;; esac
      part "log $(printf '%s' "$f" | sed 's|^\.||' | tr -c 'A-Za-z0-9._/@+-' '?')"
      tail -c 16384 -- "$R/$f" 2>&1 | tail -n 30 | body
    done
  fi
fi

section environment
if ! head -c 1 "/proc/$P/environ" >/dev/null 2>&1; then
  st unavailable "cannot read /proc/$P/environ: needs the target's uid or SYS_PTRACE"
elif [ "$ENVMODE" = values ]; then
  if has od; then part hex; head -c 65536 "/proc/$P/environ" | od -An -v -tx1 | body 5000
  else st missing-tool od "values need od; names only"; part names; tr '\n\000' ' \n' < "/proc/$P/environ" | sed 's/=.*//' | body; fi
else
  part names; tr '\n\000' ' \n' < "/proc/$P/environ" | sed 's/=.*//' | body
fi

section processes
part uptime0; printf '%s\n' "$UPTIME0"
part stat0; printf '%s\n' "$STAT0"
# Wait only for what is left of the sample's second (uptime in hundredths); sleep without fractions sleeps it whole.
t0=${UPTIME0#|}; t0=${t0%% *}; t1=$(cut -d ' ' -f 1 < /proc/uptime)
left=100
case $t0$t1 in *.*.*) case $t0$t1 in *[!0-9.]*) ;; *) left=$(( 100 - (${t1%.*}${t1#*.} - ${t0%.*}${t0#*.}) )) ;; esac ;; esac
if [ "$left" -ge 100 ]; then sleep 1
elif [ "$left" -gt 0 ]; then sleep "$(printf '0.%02d' "$left")" 2>/dev/null || sleep 1; fi
part uptime1; body < /proc/uptime
part stat1; cat /proc/[0-9]*/stat 2>/dev/null | body 4000
part rss; grep -H '^VmRSS:' /proc/[0-9]*/status 2>/dev/null | body 4000
part cmdline
for d in /proc/[0-9]*; do p=${d#/proc/}; printf '%s ' "$p"; tr '\000\n' '  ' 2>/dev/null < "$d/cmdline"; echo; done | body 4000

mark end
exit 0

# part of: prelude.sh
# Per thread of the target: state, wchan and the system call it sits in. The process's and the threads' names are
# theirs to choose: printed with control characters as ?. The command line is not printed (it may carry secrets; the
# run's target line shows it redacted).
need_target; pid=$TARGET_PID
printf 'process %s: %s\n' "$pid" "$(printable "$(cat "/proc/$pid/comm")")"
# x86_64 syscall numbers a blocked thread usually sits in; other architectures show the number.
names="0 read 1 write 7 poll 23 select 35 nanosleep 42 connect 43 accept 45 recvfrom 47 recvmsg 61 wait4 202 futex 230 clock_nanosleep 232 epoll_wait 270 pselect6 271 ppoll 281 epoll_pwait 288 accept4 441 epoll_pwait2"
arch=$(uname -m)
printf "%-8s %-16s %-16s %-22s %s\n" TID NAME STATE WCHAN SYSCALL
d=0
for t in "/proc/$pid/task"/*; do
  tid=${t##*/}
  st=$(sed -n "s/^State:[[:space:]]*//p" "$t/status")
  case "$st" in D*) d=$((d + 1)) ;; esac
  w=$(cat "$t/wchan" 2>/dev/null); [ -n "$w" ] || w="-"
  sc=$(cut -d" " -f1 "$t/syscall" 2>/dev/null); [ -n "$sc" ] || sc="(not readable)"
  if [ "$arch" = x86_64 ]; then n=$(echo "$names" | awk -v s="$sc" '{for(i=1;i<NF;i+=2) if ($i==s) print $(i+1)}'); [ -n "$n" ] && sc="$sc ($n)"; fi
  printf "%-8s %-16s %-16s %-22s %s\n" "$tid" "$(printable "$(cat "$t/comm")")" "$st" "$w" "$sc"
done
echo "threads in uninterruptible sleep (D): $d"
[ $d -eq 0 ] || echo "D threads wait in the kernel (usually disk or network filesystem I/O) and cannot be interrupted, not even by SIGKILL"

# part of: prelude.sh
# Three seconds of the target's system calls (strace escapes the bytes it prints).
need_target; pid=$TARGET_PID
command -v strace >/dev/null 2>&1 || { echo "no strace in this debug image: use nicolaka/netshoot or another image with strace"; exit 1; }
echo "== 3 seconds of system calls (strace -f; the target slows down while traced)"
timeout 3 strace -f -p "$pid" -s 64 >strace.out 2>&1
head -n 200 strace.out
if grep -q "attach: ptrace" strace.out; then echo "strace could not attach: the debug container needs SYS_PTRACE (profile general)"; exit 1; fi

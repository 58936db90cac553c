# part of: prelude.sh
# Each thread's kernel stack. The kernel shows them only to CAP_SYS_ADMIN in the initial user namespace, whatever
# the uid.
need_target; pid=$TARGET_PID
ok=0
for t in "/proc/$pid/task"/*; do
  s=$(cat "$t/stack" 2>/dev/null) || continue
  ok=1; printf '%s\n' "-- thread ${t##*/} ($(printable "$(cat "$t/comm")"))" "$s"
done
[ $ok = 1 ] || { echo "kernel stacks (/proc/$pid/task/*/stack) need root with CAP_SYS_ADMIN: run this playbook with profile sysadmin, where policy allows it"; exit 1; }

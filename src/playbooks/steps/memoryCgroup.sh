# part of: prelude.sh
# The memory cgroup's limit, usage and OOM events, v2 or v1.
need_target; pid=$TARGET_PID
cg=$(sed -n "s/^0:://p" "/proc/$pid/cgroup" 2>/dev/null)
printf 'cgroup (v2) of the target: %s\n' "$(printable "${cg:-none found (cgroup v1, or not readable)}")"
found=0
# With cgroup namespaces the container sees its own cgroup at /sys/fs/cgroup; the pod's limit is one level up.
for d in /sys/fs/cgroup "/sys/fs/cgroup$cg" /sys/fs/cgroup/..; do
  [ -r "$d/memory.events" ] || continue
  found=1; printf '== %s\n' "$(printable "$d")"
  for f in memory.max memory.current memory.peak memory.swap.current memory.events memory.pressure; do
    [ -r "$d/$f" ] && { echo "-- $f"; cat "$d/$f"; }
  done
done
if [ -r /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then
  found=1; d=/sys/fs/cgroup/memory; echo "== $d (cgroup v1)"
  for f in memory.limit_in_bytes memory.usage_in_bytes memory.max_usage_in_bytes memory.failcnt memory.oom_control; do
    [ -r "$d/$f" ] && { echo "-- $f"; cat "$d/$f"; }
  done
fi
if [ $found = 0 ]; then
  echo "no memory cgroup files under /sys/fs/cgroup in the debug container: the limit and the OOM-kill count are not visible from here; the pod's status (lastState OOMKilled) and its resources.limits.memory tell the rest"
  exit 1
fi

# Stop Debug Container: ends every process of this container (those sharing its mount namespace, whatever PID
# namespace they share) except this shell: sh -c "$script" stop-debug-container
# Children before their parents, so each parent reaps its children as they end: in a PID namespace shared with
# the target, a process whose parent died first is re-parented to the target's main process, which does not reap
# it (a zombie under the target for as long as the target runs). TERM first; after 2 s KILL for what ignored it
# (an interactive shell ignores TERM).
me=$(readlink /proc/self/ns/mnt)
# The mark by which a target-filesystem read that ends under us says why (src/targetfs/read.sh).
{ true > /tmp/.ephemeral-debug-stopping; } 2>/dev/null
# "pid ppid" of each live process of this container but this shell (a zombie has no mount namespace to read).
members() {
  for d in /proc/[0-9]*; do
    p=${d#/proc/}
    [ "$p" = "$$" ] && continue
    [ "$(readlink "$d/ns/mnt" 2>/dev/null)" = "$me" ] || continue
    printf '%s %s\n' "$p" "$(sed -n 's/^PPid:[[:space:]]*//p' "$d/status" 2>/dev/null)"
  done
}
round=0
while [ $round -lt 20 ]; do
  list=$(members)
  [ -z "$list" ] && exit 0
  parents=" $(printf '%s\n' "$list" | while read -r _ pp; do printf '%s ' "$pp"; done)"
  leaves=
  for p in $(printf '%s\n' "$list" | while read -r q _; do echo "$q"; done); do
    case $parents in *" $p "*) ;; *) leaves="$leaves $p" ;; esac
  done
  sig=TERM
  [ $round -ge 10 ] && sig=KILL
  # shellcheck disable=SC2086 # a list of pids
  kill "-$sig" $leaves 2>/dev/null
  sleep 0.2
  round=$((round + 1))
done
exit 0

# Stop Debug Container, one round: signals the leaves of this container's process tree (every process sharing
# its mount namespace, whatever PID namespace it shares) except this shell, and prints what it did:
#   sh -c "$script" stop-debug-container TERM|KILL   →  "signalled N" or "none"
# Children before their parents, so each parent reaps its children as they end: in a PID namespace shared with
# the target, a process whose parent died first is re-parented to the target's main process, which does not reap
# it (a zombie under the target for as long as the target runs). The caller waits between rounds, not this
# script: a `sleep` of ours alive when the container's last process ends would itself be such an orphan.
signal=$1
case $signal in TERM | KILL) ;; *) echo "usage: stop-debug-container TERM|KILL" >&2; exit 2 ;; esac
me=$(readlink /proc/self/ns/mnt)
# The mark by which a target-filesystem read that ends under us says why (src/targetfs/read.sh).
{ true > /tmp/.ephemeral-debug-stopping; } 2>/dev/null
# The scan runs in this shell, not in a subshell, so that only this shell needs leaving out: the glob is expanded
# before any command substitution below forks.
pids=
parents=' '
for d in /proc/[0-9]*; do
  p=${d#/proc/}
  [ "$p" = "$$" ] && continue
  [ "$(readlink "$d/ns/mnt" 2>/dev/null)" = "$me" ] || continue
  pp=$(sed -n 's/^PPid:[[:space:]]*//p' "$d/status" 2>/dev/null)
  [ -n "$pp" ] || continue
  pids="$pids $p"
  parents="$parents$pp "
done
leaves=
count=0
for p in $pids; do
  case $parents in *" $p "*) ;; *) leaves="$leaves $p"; count=$((count + 1)) ;; esac
done
if [ $count -eq 0 ]; then
  echo none
  exit 0
fi
# shellcheck disable=SC2086 # a list of pids
kill "-$signal" $leaves 2>/dev/null
echo "signalled $count"

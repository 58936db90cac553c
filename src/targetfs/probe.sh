# The probe: sh -c "$script" sh PID. uid/gid of the debug container and the target, tools, readability of the
# target's root, and its mounts (read-only or not).
t=$1
# A pid, or a root path (a node debug pod's /host): then there is no target process, and the mounts are ours under it.
case $t in
/*) case $t in *[!A-Za-z0-9/._-]*|*/../*|*/..) exit 2;; esac; R=$t;;
''|*[!0-9]*) exit 2;;
*) R=/proc/$t/root;;
esac
while read -r k _ b _; do case $k in Uid:) echo "uid=$b";; Gid:) echo "gid=$b";; esac; done < "/proc/$$/status"
case $t in /*) ;; *)
while read -r k _ b _; do case $k in Uid:) echo "tuid=$b";; esac; done < "/proc/$t/status" 2>/dev/null
[ "$t" = 1 ] && [ "$(readlink /proc/1/ns/mnt 2>/dev/null)" = "$(readlink /proc/self/ns/mnt)" ] && echo "self=1";;
esac
if [ -d "$R/" ] && ls "$R/" >/dev/null 2>&1; then echo "root=ok"; else echo "root=denied"; fi
# sha1 first: it guards the transfer against truncation and corruption, not tampering, and it is the fastest of
# the three on both ends (CPU instructions for it on the extension's side; on the stream's path in the container).
for c in sha1sum "busybox sha1sum" md5sum "busybox md5sum" sha256sum "busybox sha256sum"; do
  # shellcheck disable=SC2086 # "busybox sha1sum" is a command and its argument
  if echo | $c >/dev/null 2>&1; then echo "sum=$c"; break; fi
done
[ "$(find /. -maxdepth 0 -printf g 2>/dev/null)" = g ] && echo "gnufind=1"
command -v readlink >/dev/null 2>&1 && echo "readlink=1"
command -v stat >/dev/null 2>&1 && echo "stat=1"
case $t in
/*) while read -r _ mp _ o _; do
  case $mp in "$R") p=/;; "$R"/*) p=${mp#"$R"};; *) continue;; esac
  case ,$o, in *,ro,*) echo "mnt=ro $p";; *) echo "mnt=rw $p";; esac
done < /proc/self/mounts 2>/dev/null;;
*) while read -r _ mp _ o _; do case ,$o, in *,ro,*) echo "mnt=ro $mp";; *) echo "mnt=rw $mp";; esac; done < "/proc/$t/mounts" 2>/dev/null;;
esac

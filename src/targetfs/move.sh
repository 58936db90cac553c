# part of: common.sh
# rename or copy: ARG mv|cp, from, to, flags (o overwrite). Never loses the destination: the source is first
# moved or copied to a temporary name beside it (same directory, same filesystem), and only that finished copy
# replaces the destination — by rename(2) over a file, or, for a directory, by moving the old one aside and back
# should the swap fail. A copy that fails (unreadable source, full disk) leaves the destination as it was.
op=$1
d "$2"; rs "$v" 0 || e ELOOP "too many levels of symbolic links"; A=$R$P
d "$3"; rs "$v" 0 || e ELOOP "too many levels of symbolic links"; Z=$R$P; [ -z "$P" ] && e EEXIST "the root exists"
[ -e "$A" ] || [ -L "$A" ] || e ENOENT "no such file or directory"
Y=${Z%/*}
[ -e "$Y" ] || e ENOENT "parent directory does not exist"
[ -d "$Y" ] || e ENOTDIR "parent is not a directory"
if [ -e "$Z" ] || [ -L "$Z" ]; then
  case $4 in *o*) ;; *) e EEXIST "file exists";; esac
  # -ef: same file (busybox, dash and bash test all have it).
  # shellcheck disable=SC3013
  [ "$A" -ef "$Z" ] && exit 0
  N="$Y/.kedbg-$$.new" O="$Y/.kedbg-$$.old"
  case $op in
    mv) mv -- "$A" "$N" || { rm -rf -- "$N"; exit 5; } ;;
    *) cp -a -- "$A" "$N" || { rm -rf -- "$N"; exit 5; } ;;
  esac
  if [ ! -d "$Z" ] && [ ! -d "$N" ]; then
    mv -f -- "$N" "$Z" && exit 0
  else
    mv -- "$Z" "$O" || { [ "$op" = mv ] && mv -- "$N" "$A"; rm -rf -- "$N"; exit 6; }
    if mv -- "$N" "$Z"; then rm -rf -- "$O"; exit 0; fi
    mv -- "$O" "$Z"
  fi
  # The swap failed: the source goes back (rename) or the copy away (copy); the destination is untouched.
  if [ "$op" = mv ]; then mv -- "$N" "$A"; else rm -rf -- "$N"; fi
  exit 6
fi
if [ "$op" = mv ]; then exec mv -- "$A" "$Z"; else exec cp -a -- "$A" "$Z"; fi

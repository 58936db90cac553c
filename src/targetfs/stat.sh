# part of: common.sh
# stat: ARG the path. Its entry block, then (for a symlink that resolves) a block for the resolved target.
one(){
  if [ -z "$1" ]; then
    B=; cd -- "$R/" || e EACCES "permission denied"
    if [ "$G" = 1 ]; then emg .; else emb .; fi
  else
    B=${1%/*}; cd -- "$R$B/" 2>/dev/null || e EACCES "permission denied"
    if [ "$G" = 1 ]; then emg "./${1##*/}"; else emb "${1##*/}"; fi
  fi
}
d "$1"; rs "$v" 0 || e ELOOP "too many levels of symbolic links"; S=$P
[ -e "$R$S" ] || [ -L "$R$S" ] || e ENOENT "no such file or directory"
one "$S"
if [ -L "$R$S" ] && rs "$S" 1 && [ -e "$R$P" ]; then one "$P"; fi

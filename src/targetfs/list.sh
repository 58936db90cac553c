# part of: common.sh
# readDirectory: ARG the directory. Entry records of everything in it (see protocol.ts).
d "$1"; rs "$v" 1 || e ELOOP "too many levels of symbolic links"; B=$P
[ -e "$R$B" ] || e ENOENT "no such file or directory"
[ -d "$R$B" ] || e ENOTDIR "not a directory"
if ! { cd -- "$R$B/" 2>/dev/null && [ -r . ]; }; then e EACCES "permission denied"; fi
if [ "$G" = 1 ]; then
  find . -mindepth 1 -maxdepth 1 \( -writable -printf w -o -printf r \) -printf '%y %s %T@ %C@ %m %U %G %f\0' 2>/dev/null; printf '\0'
  for f in * .*; do [ -L "$f" ] || continue; lk "$B/$f"; printf '%s%s\0' "$l" "$f"; done; printf '\0'
else
  set -- * .*
  emb "$@"
fi

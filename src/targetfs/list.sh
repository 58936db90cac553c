# part of: common.sh
# readDirectory: ARG the directory. Entry records of everything in it (see protocol.ts).
d "$1"; rs "$v" 1 || e ELOOP "too many levels of symbolic links"; B=$P
[ -e "$R$B" ] || e ENOENT "no such file or directory"
[ -d "$R$B" ] || e ENOTDIR "not a directory"
if ! { cd -- "$R$B/" 2>/dev/null && [ -r . ]; }; then e EACCES "permission denied"; fi
if [ "$G" = 1 ]; then
  find . -mindepth 1 -maxdepth 1 \( -writable -printf w -o -printf r \) -printf '%y %s %T@ %C@ %m %U %G %f\0' 2>/dev/null; printf '\0'
  for f in * .*; do [ -L "$f" ] || continue; lk "$B/$f"; printf '%s%s\0' "$l" "$f"; done; printf '\0'
elif command -v stat >/dev/null 2>&1; then
  # The listing form (tag `s`): every name NUL-terminated by one printf, their stat lines by one stat (the type is
  # in the mode), then only what stat cannot tell from here, per entry with builtins alone: names we cannot write
  # (access(2) as our user: `r` records) and where each symlink leads inside the target's root (`l` records).
  set -- * .*
  printf 's\0'; printf '%s\0' "$@"; printf '\0'
  stat -c '%f %s %Y %Z %u %g %a %n' -- "$@" 2>/dev/null; printf '\0'
  for f; do
    [ -w "$f" ] || printf 'r%s\0' "$f"
    if [ -L "$f" ]; then lk "$B/$f"; printf 'l%s%s\0' "$l" "$f"; fi
  done; printf '\0'
else
  set -- * .*
  emb "$@"
fi

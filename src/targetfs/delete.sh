# part of: common.sh
# delete: ARG the path, r (recursive) or -.
d "$1"; rs "$v" 0 || e ELOOP "too many levels of symbolic links"; F=$R$P
[ -z "$P" ] && e EACCES "refusing to delete the root of the target filesystem"
[ -e "$F" ] || [ -L "$F" ] || e ENOENT "no such file or directory"
if [ -d "$F" ] && [ ! -L "$F" ]; then
  if [ "$2" = r ]; then rm -rf -- "$F"; if [ -e "$F" ]; then e EACCES "some entries could not be removed"; fi; else rmdir -- "$F"; fi
else rm -f -- "$F"; fi

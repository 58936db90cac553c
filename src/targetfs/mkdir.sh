# part of: common.sh
# createDirectory: ARG the path.
d "$1"; rs "$v" 0 || e ELOOP "too many levels of symbolic links"; F=$R$P
{ [ -e "$F" ] || [ -L "$F" ]; } && e EEXIST "file exists"
[ -e "${F%/*}" ] || e ENOENT "parent directory does not exist"
[ -d "${F%/*}" ] || e ENOTDIR "parent is not a directory"
exec mkdir -- "$F"

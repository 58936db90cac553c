# part of: prelude.sh
# `jcmd COMMAND…` runs one jcmd command over the socket jvmAttach.sh found; exits 3 when there is none.
jcmd() {
  [ -r attach/socket ] || { echo "no attach socket (see the first step)" >&2; exit 3; }
  java attach/PlaybookAttach.java "$(cat attach/socket)" "$@"
}

# Injects debugpy into a running Python process: sh -c "$script" inject-debugpy PID PORT PYTHON
# The target runs in another mount namespace, so the code gdb makes it run must import debugpy from a path IT can
# see: debugpy is copied into the target's /tmp through /proc/<pid>/root and run from there by that same
# /proc/<pid>/root/… path, which resolves to the same files in both namespaces.
# The copy goes to a fresh directory made by mktemp -d: a name the target cannot guess, created by this shell
# (mode 0700, owned by the debug container's user) and never a path the target could have planted first.
# debugpy listens on 127.0.0.1 only: the port-forward connects there.
set -e
pid=$1 port=$2 py=$3
case $pid$port in ''|*[!0-9]*) echo "debugpy: bad pid or port" >&2; exit 2;; esac
src=$("$py" -c 'import debugpy, os; print(os.path.dirname(os.path.abspath(debugpy.__file__)))')
dst=$(mktemp -d "/proc/$pid/root/tmp/.ephemeral-debug-debugpy.XXXXXXXXXX")
if [ ! -d "$dst" ] || [ -L "$dst" ]; then echo "cannot make a private directory in the target's /tmp" >&2; exit 1; fi
# -L: distributions (Debian) unbundle the vendored pydevd as symlinks the target could not follow.
cp -rL "$src" "$dst/debugpy"
# Modules the vendored pydevd imports that distributions unbundle (Debian: bytecode): beside debugpy, a folder the
# injected code puts on sys.path.
unbundled() {
  p=$("$py" -c "import $1, os; print(os.path.dirname(os.path.abspath($1.__file__)))" 2>/dev/null) || return 0
  case $p in "$src"*) ;; *) cp -rL "$p" "$dst/$1" ;; esac
}
unbundled bytecode
# Readable by the target (any uid), writable by nobody else.
chmod -R go-w "$dst"
chmod -R a+rX "$dst"
# debugpy runs `gdb --pid`; gdb reads the target's binaries as target:/… by entering its mount namespace, which
# needs CAP_SYS_ADMIN. A gdb wrapper first on PATH points its sysroot at /proc/<pid>/root instead (readable with
# SYS_PTRACE).
real=$(command -v gdb) || { echo "gdb: not found" >&2; exit 127; }
bin=$(mktemp -d /tmp/ephemeral-debug-gdb.XXXXXX)
printf '#!/bin/sh\nexec "%s" -iex "set sysroot /proc/%s/root" "$@"\n' "$real" "$pid" > "$bin/gdb"
chmod +x "$bin/gdb"
cd /
status=0
PATH="$bin:$PATH" "$py" "$dst/debugpy" --listen "127.0.0.1:$port" --pid "$pid" || status=$?
rm -rf "$bin"
echo "debugpy-dir $dst"
exit "$status"

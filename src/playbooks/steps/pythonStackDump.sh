# part of: prelude.sh
# Every thread's Python stack, taken inside the target interpreter: gdb stops it, takes the GIL
# (PyGILState_Ensure), runs the code below with PyRun_SimpleString, which leaves the stacks as a string on sys, and
# prints that string itself (PyUnicode_AsUTF8). Nothing is written to or read from the target's filesystem, so
# nothing the target planted in its /tmp (a link at a guessable name) can be written through or read back; the
# stacks' own text (thread and file names, source lines) comes out with control characters as ?. gdb's sysroot is
# /proc/<pid>/root, since gdb cannot enter the target's mount namespace without CAP_SYS_ADMIN (py-spy is not in the
# image). A thread stuck in C code while holding the GIL makes this wait until the timeout.
need_target; pid=$TARGET_PID
comm=$(cat "/proc/$pid/comm")
case $comm in python*) ;; *) printf 'PID %s is "%s", not python\n' "$pid" "$(printable "$comm")"; exit 1 ;; esac
command -v gdb >/dev/null 2>&1 || { echo "no gdb in this debug image (python:3.12 from this catalogue has it): cannot run code in the target"; exit 1; }
# The code as one C string literal for gdb: backslashes and double quotes escaped, each line ended by \n. The
# here-document is quoted (nothing in it expands) and holds no comment or blank line (the script is sent without those).
code=$(sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/$/\\n/' <<'PLAYBOOK_PY' | tr -d '\n'
def _ephemeral_debug_stacks():
    import sys, threading, traceback
    shown = lambda text: ''.join(c if c.isprintable() else '?' for c in str(text))
    names = dict((t.ident, t.name) for t in threading.enumerate())
    me = threading.get_ident()
    out = []
    for ident, frame in sys._current_frames().items():
        out.append('Thread %d (%s)%s:' % (ident, shown(names.get(ident, '?')), ' [interrupted here by gdb]' if ident == me else ''))
        stack = traceback.extract_stack(frame)
        for f in (stack[:-2] if ident == me else stack):
            out.append('  File "%s", line %s, in %s' % (shown(f.filename), f.lineno, shown(f.name)))
            if f.line:
                out.append('    ' + shown(f.line))
        out.append('')
    sys._ephemeral_debug_stacks = '\n'.join(out)
_ephemeral_debug_stacks()
del _ephemeral_debug_stacks
PLAYBOOK_PY
)
root=/proc/$pid/root
# $gil is a gdb convenience variable, not the shell's: single quotes keep it for gdb.
# shellcheck disable=SC2016
timeout 60 gdb -p "$pid" -batch -nx -iex "set sysroot $root" -iex "set auto-load off" \
  -ex 'set $gil = (int) PyGILState_Ensure()' \
  -ex "call (int) PyRun_SimpleString(\"$code\")" \
  -ex 'echo ::playbook-stacks::\n' \
  -ex 'printf "%s\n", (char *) PyUnicode_AsUTF8((void *) PySys_GetObject("_ephemeral_debug_stacks"))' \
  -ex 'echo ::playbook-stacks-end::\n' \
  -ex 'call (int) PyRun_SimpleString("__import__(\"sys\").__dict__.pop(\"_ephemeral_debug_stacks\", None)")' \
  -ex 'call (void) PyGILState_Release($gil)' >gdb.out 2>&1
status=$?
stacks=$(sed -n '/^::playbook-stacks::$/,/^::playbook-stacks-end::$/p' gdb.out | sed '1d;$d')
if [ -n "$stacks" ]; then printf '%s\n' "$stacks"; exit 0; fi
tail -n 15 gdb.out
if grep -q "ptrace: Operation not permitted" gdb.out; then echo "gdb could not attach: the debug container needs SYS_PTRACE (profile general)"
elif grep -q "No symbol" gdb.out; then echo "the interpreter has no PyGILState_Ensure/PyRun_SimpleString symbols (statically linked or stripped): no stack dump"
elif [ $status -eq 124 ]; then echo "gdb timed out: a thread holds the GIL while blocked in C code"
else echo "the stack dump produced no output (gdb exit $status)"; fi
exit 1

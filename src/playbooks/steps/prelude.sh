# The runner's prelude to every playbook step, built-in or from settings: sh -c "$prelude$step" playbook-step NAME=VALUE…
# The values (the target's PID, the pod's and container's names, the inputs, whose defaults may come from the pod's
# spec, the scratch folder) arrive as positional arguments and become environment variables here, never script text.
for assignment do
  case ${assignment%%=*} in
    ''|[!A-Za-z_]*|*[!A-Za-z0-9_]*) echo "playbook: \"${assignment%%=*}\" is not a variable name" >&2; exit 125 ;;
  esac
  # ${…?}: the variable is the assignment NAME=VALUE (ShellCheck reads a plain "$assignment" as a name it meant to export).
  export "${assignment?}"
done
set --
# Pod-controlled text (process and thread names, paths) on one line: control characters, newlines included, become ?,
# so no name can end a row of a step's output or forge one.
printable() { printf '%s' "$1" | tr '[:cntrl:]' '?'; }
# Steps that read the target's /proc call this first: without a PID (the runner found no target) they cannot run.
need_target() {
  case $TARGET_PID in
    ''|*[!0-9]*) echo "the target process was not found (see the target line of this run): this step needs it"; exit 1 ;;
  esac
}
mkdir -p "$ARTIFACT_DIR" && cd "$ARTIFACT_DIR" || exit 125

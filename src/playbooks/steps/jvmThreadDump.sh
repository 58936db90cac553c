# part of: prelude.sh jcmd.sh
# A thread dump over the attach socket; without one, kill -3: the JVM prints the dump on its own stdout, which is the
# container log, and the marker tells the runner where this dump starts in it.
need_target; pid=$TARGET_PID
if [ -r attach/socket ]; then
  jcmd Thread.print -l
  exit $?
fi
echo "falling back to kill -3: the JVM writes the thread dump to its stdout (the container log)"
{ printf "%s\n" "$PLAYBOOK_LOG_MARKER" >"/proc/$pid/fd/1"; } 2>/dev/null || echo "(the JVM's stdout cannot be written from here: the newest dump in the log is shown)"
kill -QUIT "$pid" || { echo "cannot signal PID $pid"; exit 1; }
sleep 2
echo "::read-target-log:: Full thread dump"

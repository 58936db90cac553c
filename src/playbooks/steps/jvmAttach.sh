# part of: prelude.sh
# Finds (or makes the JVM open) its attach socket and writes a client of jcmd's attach protocol (version 1 over the
# JVM's Unix socket). jcmd and jstack cannot be used here: an ephemeral container joins the target's PID namespace,
# so the JVM's PID is the same on both sides, and then JDK 17's attach looks for the socket in the debug container's
# own /tmp (it only uses /proc/<pid>/root/tmp when the PIDs differ) and refuses a symlink to it.
need_target; pid=$TARGET_PID
exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || exe=$(cat "/proc/$pid/comm" 2>/dev/null)
case $exe in */java) ;; *) printf 'PID %s is %s, not a JVM\n' "$pid" "$(printable "$exe")"; exit 1 ;; esac
command -v java >/dev/null 2>&1 || { echo "no java in this debug image: use eclipse-temurin:17 or another JDK 11+"; exit 1; }
ns=$(sed -n "s/^NSpid:.*[[:space:]]\([0-9][0-9]*\)$/\1/p" "/proc/$pid/status"); [ -n "$ns" ] || ns=$pid
tmp=/proc/$pid/root/tmp
sock=$tmp/.java_pid$ns
trigger=$tmp/.attach_pid$ns
if [ ! -S "$sock" ]; then
  # What jcmd does: an .attach_pid file plus SIGQUIT makes the JVM open its attach socket instead of dumping threads.
  # The target's /tmp is the target's: a link it planted at that name is removed (rm does not follow it) and the file
  # is made with noclobber (O_EXCL), so nothing is ever created or truncated through a link into the debug container.
  [ -L "$trigger" ] && rm -f "$trigger"
  if { [ -f "$trigger" ] || ( set -C; : >"$trigger" ) 2>/dev/null; } && kill -QUIT "$pid"; then
    i=0; while [ ! -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    rm -f "$trigger"
  fi
fi
if [ ! -S "$sock" ]; then
  echo "the JVM did not open its attach socket ($sock): started with -XX:+DisableAttachMechanism, a read-only /tmp, or the debug container is not root or the JVM's user; the thread dump falls back to kill -3"
  exit 0
fi
mkdir -p attach
# The client, in a quoted here-document (nothing in it expands; no comment or blank line in it).
cat >attach/PlaybookAttach.java <<'PLAYBOOK_JAVA'
import java.io.ByteArrayOutputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
public class PlaybookAttach {
  public static void main(String[] a) throws Exception {
    try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(a[0]))) {
      String command = String.join(" ", Arrays.copyOfRange(a, 1, a.length));
      ch.write(ByteBuffer.wrap(("1\0jcmd\0" + command + "\0\0\0").getBytes(StandardCharsets.UTF_8)));
      ByteBuffer buf = ByteBuffer.allocate(65536);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      while (ch.read(buf) > 0) { buf.flip(); out.write(buf.array(), 0, buf.limit()); buf.clear(); }
      String text = out.toString(StandardCharsets.UTF_8);
      int newline = text.indexOf('\n');
      String code = newline < 0 ? text.trim() : text.substring(0, newline).trim();
      System.out.print(newline < 0 ? "" : text.substring(newline + 1));
      System.exit("0".equals(code) ? 0 : 1);
    }
  }
}
PLAYBOOK_JAVA
printf "%s\n" "$sock" >attach/socket
echo "attach socket: $sock"

# Starts JDWP in a JVM that has onjcmd=y: sh -c "$script" start-java-debugging PID
# Asks for its attach socket like jcmd does (an .attach_pid file in its /tmp and SIGQUIT), waits for the socket,
# then sends `jcmd VM.start_java_debugging` on it with a tiny client of HotSpot's attach protocol (version 1),
# run with the single-file source launcher. jcmd itself cannot reach the socket here: with a shared PID
# namespace JDK 17's attach looks in its own /tmp, and it refuses a symlink to the real socket.
pid=$1
case $pid in ''|*[!0-9]*) echo "bad pid" >&2; exit 2;; esac
ns=$(sed -n 's/^NSpid:.*[[:space:]]\([0-9][0-9]*\)$/\1/p' "/proc/$pid/status")
[ -n "$ns" ] || ns=$pid
tmp=/proc/$pid/root/tmp
sock=$tmp/.java_pid$ns
trigger=$tmp/.attach_pid$ns
if [ ! -S "$sock" ]; then
  # The target's /tmp is the target's: a link it planted at that name is removed (rm does not follow it) and the file
  # is made with noclobber (O_EXCL), so nothing is ever created or truncated through a link into the debug container.
  [ -L "$trigger" ] && rm -f "$trigger"
  { [ -f "$trigger" ] || ( set -C; : >"$trigger" ) 2>/dev/null; } && kill -QUIT "$pid" || exit 3
  i=0; while [ ! -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
  rm -f "$trigger"
  [ -S "$sock" ] || { echo "the JVM did not open its attach socket (started with -XX:+DisableAttachMechanism?)" >&2; exit 4; }
fi
src=$(mktemp -d /tmp/ephemeral-debug-attach.XXXXXX)
cat > "$src/EphemeralDebugAttach.java" <<'JAVA'
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
public class EphemeralDebugAttach {
  public static void main(String[] a) throws Exception {
    try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(a[0]))) {
      String req = "1\0jcmd\0" + a[1] + "\0\0\0";
      ch.write(ByteBuffer.wrap(req.getBytes(StandardCharsets.UTF_8)));
      ByteBuffer buf = ByteBuffer.allocate(65536);
      StringBuilder out = new StringBuilder();
      while (ch.read(buf) > 0) { buf.flip(); out.append(StandardCharsets.UTF_8.decode(buf)); buf.clear(); }
      String text = out.toString();
      System.out.print(text);
      System.exit(text.startsWith("0") ? 0 : 1);
    }
  }
}
JAVA
java "$src/EphemeralDebugAttach.java" "$sock" VM.start_java_debugging
status=$?
rm -rf "$src"
exit $status

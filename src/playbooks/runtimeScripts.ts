/**
 * The sh steps of the runtime playbooks (Node, JVM, Python). Helper programs are written into $ARTIFACT_DIR
 * (the run's scratch folder in the debug container) with quoted here-documents, so nothing in them expands.
 */

const lines = (...text: string[]): string => text.join('\n');

/** Is a TCP port listening in the pod (LISTEN = 0A in /proc/net/tcp{,6}, port in hex)? */
const LISTENING = 'listening() { grep -qE ":$(printf "%04X" "$1") [0-9A-F]+:0000 0A" /proc/net/tcp /proc/net/tcp6 2>/dev/null; }';

// --- Node ---------------------------------------------------------------------------------------------------

export const NODE_INSPECTOR_PORT = 9229;

/**
 * A DevTools-protocol client for Node 22 (global WebSocket and fetch): `handles` prints a summary of
 * process._getActiveHandles()/_getActiveRequests() and memoryUsage(); `snapshot` streams
 * HeapProfiler.takeHeapSnapshot into $ARTIFACT. With CLOSE=1 it closes the inspector afterwards, so a port
 * opened by SIGUSR1 does not stay open to everything in the pod.
 */
const INSPECTOR_CLIENT = String.raw`'use strict';
const fs = require('node:fs');
const port = Number(process.env.INSPECTOR_PORT || ${NODE_INSPECTOR_PORT});
const mode = process.argv[2];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function debuggerUrl() {
  let last = 'no answer';
  for (let i = 0; i < 50; i++) {
    try {
      const list = await (await fetch('http://127.0.0.1:' + port + '/json/list')).json();
      if (list[0] && list[0].webSocketDebuggerUrl) return list[0].webSocketDebuggerUrl;
      last = 'no debug target listed';
    } catch (e) { last = e.message; }
    await sleep(200);
  }
  throw new Error('the inspector at 127.0.0.1:' + port + ' did not answer /json/list (' + last + ')');
}
(async () => {
  const ws = new WebSocket(await debuggerUrl());
  let next = 1;
  const pending = new Map();
  let file, bytes = 0;
  ws.onmessage = (event) => {
    const msg = JSON.parse(typeof event.data === 'string' ? event.data : Buffer.from(event.data).toString());
    if (msg.method === 'HeapProfiler.addHeapSnapshotChunk') { fs.writeSync(file, msg.params.chunk); bytes += Buffer.byteLength(msg.params.chunk); return; }
    const p = pending.get(msg.id);
    if (p) { pending.delete(msg.id); if (msg.error) p.reject(new Error(msg.error.message)); else p.resolve(msg.result); }
  };
  const closed = new Promise((r) => { ws.onclose = r; });
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = () => reject(new Error('the WebSocket to the inspector failed')); });
  const send = (method, params) => new Promise((resolve, reject) => {
    const id = next++;
    pending.set(id, { resolve, reject });
    ws.send(JSON.stringify({ id, method, params: params || {} }));
  });
  try {
    if (mode === 'handles') {
      const expression = '(() => { const count = (xs) => xs.reduce((m, x) => { const n = (x && x.constructor && x.constructor.name) || typeof x; m[n] = (m[n] || 0) + 1; return m; }, {});' +
        ' return JSON.stringify({ pid: process.pid, activeHandles: count(process._getActiveHandles()), activeRequests: count(process._getActiveRequests()), memoryUsage: process.memoryUsage() }, null, 2); })()';
      const reply = await send('Runtime.evaluate', { expression, returnByValue: true });
      if (reply.exceptionDetails) throw new Error('evaluating in the target failed: ' + reply.exceptionDetails.text);
      console.log(reply.result.value);
    } else if (mode === 'snapshot') {
      file = fs.openSync(process.env.ARTIFACT, 'w');
      await send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
      fs.closeSync(file);
      console.log('heap snapshot: ' + bytes + ' bytes');
    }
  } finally {
    if (process.env.CLOSE === '1') {
      send('Runtime.evaluate', { expression: "require('node:inspector').close()", includeCommandLineAPI: true }).catch(() => {});
      await Promise.race([closed, sleep(2000)]);
      console.log('closed the inspector again');
    }
    ws.close();
  }
})().catch((e) => { console.error(e.message); process.exit(1); });
`;

export const NODE_OPEN_INSPECTOR = lines(
  LISTENING,
  `port=${NODE_INSPECTOR_PORT}`,
  'pid=$TARGET_PID',
  'comm=$(cat /proc/$pid/comm)',
  'case "$comm" in node*|nodejs*) ;; *) echo "PID $pid is \\"$comm\\", not node"; exit 1 ;; esac',
  'if listening $port; then echo "an inspector already listens on $port: using it (left open)"; exit 0; fi',
  'kill -USR1 $pid || { echo "cannot signal PID $pid: the debug container needs the target\'s uid or root with CAP_KILL"; exit 1; }',
  'i=0; while ! listening $port && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done',
  'listening $port || { echo "PID $pid did not open its inspector on $port after SIGUSR1 (--disable-sigusr1, its own SIGUSR1 handler, or another --inspect-port)"; exit 1; }',
  'touch "$ARTIFACT_DIR/opened-inspector"',
  'echo "sent SIGUSR1 to PID $pid: the inspector listens on 127.0.0.1:$port"',
);

const writeInspectorClient = lines(
  'cat >"$ARTIFACT_DIR/inspector-client.js" <<\'PLAYBOOK_JS\'',
  INSPECTOR_CLIENT.trimEnd(),
  'PLAYBOOK_JS',
);

export const NODE_ACTIVE_HANDLES = lines(writeInspectorClient, 'node "$ARTIFACT_DIR/inspector-client.js" handles');

export const NODE_HEAP_SNAPSHOT = lines(
  writeInspectorClient,
  'close=0; [ -e "$ARTIFACT_DIR/opened-inspector" ] && close=1',
  'CLOSE=$close node "$ARTIFACT_DIR/inspector-client.js" snapshot',
);

// --- JVM ----------------------------------------------------------------------------------------------------

/**
 * jcmd's attach protocol (version 1 over the JVM's Unix socket), spoken directly. jcmd and jstack cannot be
 * used here: an ephemeral container joins the target's PID namespace, so the JVM's PID is the same on both
 * sides, and then JDK 17's attach looks for the socket in the debug container's own /tmp (it only uses
 * /proc/<pid>/root/tmp when the PIDs differ) and refuses a symlink to it.
 */
const ATTACH_CLIENT = String.raw`import java.io.ByteArrayOutputStream;
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
`;

export const JVM_ATTACH = lines(
  'pid=$TARGET_PID',
  'case "$(readlink /proc/$pid/exe)" in */java) ;; *) echo "PID $pid is $(readlink /proc/$pid/exe 2>/dev/null || cat /proc/$pid/comm), not a JVM"; exit 1 ;; esac',
  'command -v java >/dev/null 2>&1 || { echo "no java in this debug image: use eclipse-temurin:17 or another JDK 11+"; exit 1; }',
  'ns=$(sed -n "s/^NSpid:.*[[:space:]]\\([0-9][0-9]*\\)$/\\1/p" /proc/$pid/status); [ -n "$ns" ] || ns=$pid',
  'tmp=/proc/$pid/root/tmp',
  'sock=$tmp/.java_pid$ns',
  'if [ ! -S "$sock" ]; then',
  // What jcmd does: an .attach_pid file plus SIGQUIT makes the JVM open its attach socket instead of dumping threads.
  '  if touch "$tmp/.attach_pid$ns" 2>/dev/null && kill -QUIT $pid; then',
  '    i=0; while [ ! -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done',
  '    rm -f "$tmp/.attach_pid$ns"',
  '  fi',
  'fi',
  'if [ ! -S "$sock" ]; then',
  '  echo "the JVM did not open its attach socket ($sock): started with -XX:+DisableAttachMechanism, a read-only /tmp, or the debug container is not root or the JVM\'s user; the thread dump falls back to kill -3"',
  '  exit 0',
  'fi',
  'mkdir -p "$ARTIFACT_DIR/attach"',
  'cat >"$ARTIFACT_DIR/attach/PlaybookAttach.java" <<\'PLAYBOOK_JAVA\'',
  ATTACH_CLIENT.trimEnd(),
  'PLAYBOOK_JAVA',
  'printf "%s\\n" "$sock" >"$ARTIFACT_DIR/attach/socket"',
  'echo "attach socket: $sock"',
);

/** Runs one jcmd command over the socket found by JVM_ATTACH; exits 3 when there is none. */
const jcmd = (command: string): string => lines(
  '[ -r "$ARTIFACT_DIR/attach/socket" ] || { echo "no attach socket (see the first step)"; exit 3; }',
  `java "$ARTIFACT_DIR/attach/PlaybookAttach.java" "$(cat "$ARTIFACT_DIR/attach/socket")" ${command}`,
);

export const JVM_THREAD_DUMP = lines(
  'pid=$TARGET_PID',
  'if [ -r "$ARTIFACT_DIR/attach/socket" ]; then',
  '  ' + jcmd('Thread.print -l'),
  '  exit $?',
  'fi',
  // Fallback: the JVM prints the dump on its own stdout, which is the container log; the marker tells the
  // runner where this dump starts in it.
  'echo "falling back to kill -3: the JVM writes the thread dump to its stdout (the container log)"',
  '{ printf "%s\\n" "$PLAYBOOK_LOG_MARKER" >/proc/$pid/fd/1; } 2>/dev/null || echo "(the JVM\'s stdout cannot be written from here: the newest dump in the log is shown)"',
  'kill -QUIT $pid || { echo "cannot signal PID $pid"; exit 1; }',
  'sleep 2',
  'echo "::read-target-log:: Full thread dump"',
);

export const JVM_HEAP_INFO = jcmd('GC.heap_info');

export const JVM_CLASS_HISTOGRAM = lines(
  '[ -r "$ARTIFACT_DIR/attach/socket" ] || { echo "no attach socket (see the first step)"; exit 3; }',
  `java "$ARTIFACT_DIR/attach/PlaybookAttach.java" "$(cat "$ARTIFACT_DIR/attach/socket")" GC.class_histogram >"$ARTIFACT_DIR/histogram"; status=$?`,
  'head -n 30 "$ARTIFACT_DIR/histogram"',
  'exit $status',
);

// --- Python -------------------------------------------------------------------------------------------------

/** Runs inside the target interpreter (via gdb): every thread's Python stack into the file named in argv. */
const PYTHON_STACKS = String.raw`import sys, threading, traceback
def _playbook_dump(path):
    names = {t.ident: t.name for t in threading.enumerate()}
    me = threading.get_ident()
    with open(path, 'w') as out:
        for ident, frame in sys._current_frames().items():
            out.write('Thread %s (%s)%s:\n' % (ident, names.get(ident, '?'), ' [interrupted here by gdb]' if ident == me else ''))
            out.write(''.join(traceback.format_stack(frame)))
            out.write('\n')
`;

/**
 * gdb stops the interpreter, takes the GIL with PyGILState_Ensure and runs Python with PyRun_SimpleString
 * (py-spy is not in the image). The code is passed as a file in the target's own /tmp, reached through
 * /proc/<pid>/root; gdb's sysroot points there too, since gdb cannot enter the target's mount namespace
 * without CAP_SYS_ADMIN. A thread stuck in C code while holding the GIL makes this wait until the timeout.
 */
export const PYTHON_STACK_DUMP = lines(
  'pid=$TARGET_PID',
  'case "$(cat /proc/$pid/comm)" in python*) ;; *) echo "PID $pid is \\"$(cat /proc/$pid/comm)\\", not python"; exit 1 ;; esac',
  'command -v gdb >/dev/null 2>&1 || { echo "no gdb in this debug image (python:3.12 from this catalogue has it): cannot run code in the target"; exit 1; }',
  'name=.playbook-pystack-$$',
  'inside=/tmp/$name',
  'root=/proc/$pid/root',
  'cat >"$root$inside.py" <<\'PLAYBOOK_PY\' || { echo "cannot write to the target\'s /tmp (read-only?): no stack dump"; exit 1; }',
  PYTHON_STACKS.trimEnd(),
  'PLAYBOOK_PY',
  'timeout 60 gdb -p $pid -batch -nx -iex "set sysroot $root" -iex "set auto-load off" \\',
  '  -ex \'set $gil = (int) PyGILState_Ensure()\' \\',
  `  -ex "call (int) PyRun_SimpleString(\\"exec(open('$inside.py').read()); _playbook_dump('$inside.txt')\\")" \\`,
  '  -ex \'call (void) PyGILState_Release($gil)\' >"$ARTIFACT_DIR/gdb.out" 2>&1',
  'status=$?',
  'rm -f "$root$inside.py"',
  'if [ -s "$root$inside.txt" ]; then cat "$root$inside.txt"; rm -f "$root$inside.txt"; exit 0; fi',
  'tail -n 15 "$ARTIFACT_DIR/gdb.out"',
  'if grep -q "ptrace: Operation not permitted" "$ARTIFACT_DIR/gdb.out"; then echo "gdb could not attach: the debug container needs SYS_PTRACE (profile general)";',
  'elif grep -q "No symbol" "$ARTIFACT_DIR/gdb.out"; then echo "the interpreter has no PyGILState_Ensure/PyRun_SimpleString symbols (statically linked or stripped): no stack dump";',
  'elif [ $status -eq 124 ]; then echo "gdb timed out: a thread holds the GIL while blocked in C code";',
  'else echo "the stack dump produced no output (gdb exit $status)"; fi',
  'exit 1',
);

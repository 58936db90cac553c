# part of: prelude.sh
# Writes inspector-client.js into the scratch folder: a DevTools-protocol client for Node 22 (global WebSocket and
# fetch). `handles` prints a summary of process._getActiveHandles()/_getActiveRequests() and memoryUsage();
# `snapshot` streams HeapProfiler.takeHeapSnapshot into $ARTIFACT. With CLOSE=1 it closes the inspector afterwards,
# so a port opened by SIGUSR1 does not stay open to everything in the pod. The here-document is quoted: nothing in it
# expands, and it holds no comment or blank line (the script is sent without those).
cat >inspector-client.js <<'PLAYBOOK_JS'
'use strict';
const fs = require('node:fs');
const port = Number(process.env.INSPECTOR_PORT || 9229);
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
PLAYBOOK_JS

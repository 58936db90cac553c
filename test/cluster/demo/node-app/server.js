// Demo workload for the distroless node image: a plain HTTP server, no shell in the image, inspector off.
'use strict';
const http = require('node:http');
const os = require('node:os');

const port = Number(process.env.PORT || 8080);
const healthPort = Number(process.env.HEALTH_PORT || 8081);
let requests = 0;

const server = http.createServer((req, res) => {
  requests++; // ← a good first breakpoint: every request to :8080 stops here, never the readiness probe
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ app: 'node-app', host: os.hostname(), pid: process.pid, path: req.url, requests }) + '\n');
});

// Readiness (GET /healthz, workloads.yaml) has a port of its own, outside the request handler above.
const health = http.createServer((req, res) => {
  res.statusCode = req.url === '/healthz' ? 200 : 404;
  res.end(res.statusCode === 200 ? 'ok\n' : '');
});

server.listen(port, () => console.log(`node-app listening on :${port}`));
health.listen(healthPort);
process.on('SIGTERM', () => {
  console.log('node-app: SIGTERM, closing');
  health.close();
  server.close(() => process.exit(0));
});

// Demo workload for the distroless node image: a plain HTTP server, no shell in the image, inspector off.
'use strict';
const http = require('node:http');
const os = require('node:os');

const port = Number(process.env.PORT || 8080);
let requests = 0;

const server = http.createServer((req, res) => {
  requests++;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ app: 'node-app', host: os.hostname(), pid: process.pid, path: req.url, requests }) + '\n');
});

server.listen(port, () => console.log(`node-app listening on :${port}`));
process.on('SIGTERM', () => {
  console.log('node-app: SIGTERM, closing');
  server.close(() => process.exit(0));
});

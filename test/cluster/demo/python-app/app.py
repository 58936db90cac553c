"""Demo workload for the python image: a plain HTTP server on 8000 (attach debugpy with --pid or listen)."""
import http.server
import json
import os
import socket

requests = 0


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        global requests
        requests += 1
        body = json.dumps({"app": "python-app", "host": socket.gethostname(), "pid": os.getpid(),
                           "path": self.path, "requests": requests}).encode() + b"\n"
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    server = http.server.ThreadingHTTPServer(("", 8000), Handler)
    print("python-app listening on :8000", flush=True)
    server.serve_forever()

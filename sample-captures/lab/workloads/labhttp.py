"""What the lab's Python services share: a keep-alive HTTP/1.1 JSON handler with /healthz, a threading server."""
import http.server
import json
import urllib.parse


def send_json(handler, status, obj):
    body = json.dumps(obj).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class JsonHandler(http.server.BaseHTTPRequestHandler):
    """Subclasses answer `get(url)`; /healthz is answered here."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        if u.path == "/healthz":
            return self.send(200, {"ok": True})
        return self.get(u)

    def get(self, url):
        self.send(404, {"error": "not found"})

    def send(self, status, obj):
        send_json(self, status, obj)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(port, handler):
    Server(("0.0.0.0", port), handler).serve_forever()

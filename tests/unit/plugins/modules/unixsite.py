"""A site on a unix socket for the health-check tests: answers each path with the status
`answers` gives it (404 for any other) and counts the requests it got."""
import http.server
import socketserver
import threading


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the base class's name)
        self.server.requests.append((self.path, self.headers["Host"]))
        self.send_response(self.server.answers.get(self.path, 404))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):  # a unix client has no address to log
        pass


class UnixSite(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, path, answers):
        self.answers = answers
        self.requests = []
        super().__init__(path, Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def close(self):
        self.shutdown()
        self.server_close()

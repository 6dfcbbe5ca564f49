"""A site on a unix socket for the health-check tests: answers each path with the status
`answers` gives it (404 for any other) and counts the requests it got."""
import http.server
import socketserver
import threading


class UnixSite(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, path, answers):
        self.answers = answers
        self.requests = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(handler):  # noqa: N802,N805 (the base class's name; the site is self)
                self.requests.append((handler.path, handler.headers["Host"]))
                handler.send_response(self.answers.get(handler.path, 404))
                handler.send_header("Content-Length", "0")
                handler.end_headers()

            def log_message(handler, *args):  # noqa: N805
                pass

        super().__init__(path, Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def close(self):
        self.shutdown()
        self.server_close()

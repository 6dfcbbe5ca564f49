"""release_tool: the operator's flask-release command and the HTTP client over a unix
socket that the flask_smoke module shares with it."""
import argparse
import http.server
import os
import socketserver
import threading

from ansible_collections.flaskops.production.plugins.module_utils import release_tool


class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the name http.server calls)
        status = 200 if self.path == "/ok" and self.headers["Host"] == "site.example" else 503
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):  # a unix client has no address to log
        pass


def serve(path):
    server = socketserver.UnixStreamServer(path, Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def probe(sock, path):
    return release_tool.cmd_probe(argparse.Namespace(
        unix=sock, https=None, http=None, host="site.example", path=path, status=None, tries=1, timeout=5))


def test_probe_asks_the_app_over_its_unix_socket(tmp_path):
    sock = str(tmp_path / "app.sock")
    server = serve(sock)
    try:
        assert probe(sock, "/ok") == {"ok": True, "status": 200, "error": None, "attempts": 1}
        assert probe(sock, "/broken")["status"] == 503 and not probe(sock, "/broken")["ok"]
    finally:
        server.shutdown()
        server.server_close()


def test_probe_reports_a_missing_socket_as_an_error(tmp_path):
    result = probe(str(tmp_path / "none.sock"), "/ok")
    assert not result["ok"] and result["status"] is None and "FileNotFoundError" in result["error"]


def test_the_role_installs_this_very_file():
    role_copy = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..",
                             "roles", "flask_release", "files", "flask_release.py")
    assert os.path.realpath(role_copy) == os.path.realpath(release_tool.__file__.replace(".pyc", ".py"))

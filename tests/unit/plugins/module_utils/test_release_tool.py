"""release_tool: the operator's flask-release command and the HTTP client over a unix
socket that the flask_smoke module shares with it."""
import argparse
import http.server
import json
import os
import socketserver
import subprocess
import sys
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


def test_the_operators_command_runs_on_its_own(tmp_path):
    """Installed as /usr/local/sbin/flask-release, the file runs with the standard library
    alone: activate, status and history answer as the module's functions do."""
    root = tmp_path / "shop"
    for release in ("v1", "v2"):
        (root / "releases" / release).mkdir(parents=True)
        (root / "releases" / release / "release.json").write_text("{}")
    tool = release_tool.__file__.replace(".pyc", ".py")

    def run(*args):
        done = subprocess.run([sys.executable, "-S", tool, *args], capture_output=True, text=True, check=False,
                              env={"PATH": os.environ["PATH"]})
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert json.loads(run("activate", str(root), "v1"))["changed"]
    assert json.loads(run("activate", str(root), "v2"))["previous"] == "v1"
    state = json.loads(run("status", str(root)))
    assert (state["current"], state["previous"], state["releases"]) == ("v2", "v1", ["v2", "v1"]), state
    run("record", str(root), "--action", "deploy", "--result", "ok", "--release", "v2", "--who", "ana")
    assert [r["release"] for r in json.loads(run("history", str(root), "--json"))] == ["v2"]
    refused = subprocess.run([sys.executable, "-S", tool, "activate", str(root), "v9"], capture_output=True, text=True,
                             check=False)
    assert refused.returncode != 0 and "release v9 is not in" in refused.stderr

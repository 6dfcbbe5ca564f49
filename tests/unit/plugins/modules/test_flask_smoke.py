"""flask_smoke: the release answers on a socket in its unit's own directory; root writes
only into a directory of its own, and stops the whole unit."""
import http.server
import os
import socketserver
import threading
import time

import pytest

from ansible_collections.flaskops.production.plugins.modules import flask_smoke

PARAMS = {"release": "/srv/a/releases/r", "module": "app:create_app()", "server": "gunicorn", "path": "/health",
          "host": "localhost", "status": [200], "timeout": 5}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the base class's name)
        self.send_response(204 if self.path == "/empty" else 200)
        self.end_headers()

    def log_message(self, *args):
        pass


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


@pytest.fixture(name="server")
def unix_server(tmp_path):
    path = str(tmp_path / "gunicorn.sock")
    server = UnixServer(path, Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield path
    server.shutdown()
    server.server_close()


def test_the_health_url_is_asked_on_the_unix_socket(server):
    assert flask_smoke.ask(PARAMS, server, lambda: True, time.monotonic() + 5) == 200
    assert flask_smoke.ask(dict(PARAMS, path="/empty"), server, lambda: True, time.monotonic() + 5) == 204


def test_a_server_that_exits_before_listening_is_reported(tmp_path):
    with pytest.raises(RuntimeError, match="gunicorn exited before listening"):
        flask_smoke.ask(PARAMS, str(tmp_path / "none.sock"), lambda: False, time.monotonic() + 5)


def test_a_server_that_never_listens_is_given_up_on_at_the_deadline(tmp_path):
    with pytest.raises(RuntimeError, match="did not listen within 5 s"):
        flask_smoke.ask(PARAMS, str(tmp_path / "none.sock"), lambda: True, time.monotonic() + 0.2)


def test_gunicorns_settings_go_into_roots_own_directory(tmp_path):
    argv = flask_smoke.server_command(PARAMS, "/run/flask-smoke-x/gunicorn.sock", str(tmp_path))
    config = tmp_path / "gunicorn.conf.py"
    assert argv == ["/srv/a/releases/r/venv/bin/gunicorn", "--config", str(config), "app:create_app()"]
    text = config.read_text()
    assert "unix:/run/flask-smoke-x/gunicorn.sock" in text and "workers = 1" in text
    assert oct(os.stat(config).st_mode & 0o777) == "0o644"


def test_waitress_calls_a_factory(tmp_path):
    argv = flask_smoke.server_command(dict(PARAMS, server="waitress"), "/run/u/waitress.sock", str(tmp_path))
    assert argv[0].endswith("/venv/bin/waitress-serve") and argv[-2:] == ["--call", "app:create_app"]
    assert os.listdir(tmp_path) == []


def test_the_mark_is_written_atomically_as_roots_file(tmp_path):
    flask_smoke.put(str(tmp_path / "release.json"), '{"id": "r"}')
    assert (tmp_path / "release.json").read_text() == '{"id": "r"}'
    assert [name for name in os.listdir(tmp_path) if name.startswith(".put-")] == []


def test_the_smoke_unit_has_the_servers_sandbox_and_its_own_socket_directory():
    sandbox = ["PrivateNetwork=yes", "SystemCallFilter=@system-service", "SystemCallFilter=~@privileged"]
    props = flask_smoke.smoke_properties(dict(PARAMS, sandbox=sandbox), "flask-smoke-x")
    assert props[:3] == sandbox
    assert "RuntimeDirectory=flask-smoke-x" in props
    assert props[-1] == "SystemCallFilter=@chown", "gunicorn chowns the socket it binds"
    assert flask_smoke.smoke_properties(dict(PARAMS, sandbox=[]), "u")[-1] == "RuntimeDirectoryMode=0750", \
        "an allow list of chown alone would forbid everything else"

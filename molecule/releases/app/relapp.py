"""Test app for releases: it says which version answers, and its health URL can be
made to fail in the ways real releases fail (see the HEALTH file the tests write)."""
import pathlib
import socket

from flask import Flask

HERE = pathlib.Path(__file__).parent
VERSION = (HERE / "VERSION").read_text(encoding="utf-8").strip()
HEALTH_FILE = HERE / "HEALTH"
HEALTH = HEALTH_FILE.read_text(encoding="utf-8").strip() if HEALTH_FILE.exists() else "ok"

if HEALTH == "import-error":
    raise RuntimeError("this test release refuses to import")

app = Flask(__name__)


@app.route("/")
def index():
    return f"version {VERSION}\n", 200, {"X-App-Version": VERSION}


@app.route("/health")
def health():
    if HEALTH == "fail":
        return "unhealthy\n", 503
    if HEALTH == "needs-network":
        # Works on a laptop and in the pre-switch check; the production sandbox
        # has no network, so this release only fails once it is live.
        socket.create_connection(("127.0.0.1", 22), timeout=2).close()
    return "ok\n"

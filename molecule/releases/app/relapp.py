"""Test app for releases: it says which version answers, and its health URL can be
made to fail in the ways real releases fail (see the HEALTH file the tests write)."""
import pathlib

from flask import Flask, request

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
    if HEALTH == "fails-behind-proxy" and "X-Forwarded-For" in request.headers:
        # Healthy on the private socket of the pre-switch check (no proxy in front, the
        # same sandbox as the server), unhealthy through the proxy: a release that only
        # fails once it is live.
        return "unhealthy behind the proxy\n", 503
    return "ok\n"

"""Test app of the cluster scenario: every response says which app server answered and
which release it runs; /health can be made to fail on one named host. Its release command
(`flask --app cluster migrate`) notes where, for which release and when it ran."""
import os
import socket
import time

from flask import Flask, jsonify, request

HERE = os.path.dirname(os.path.abspath(__file__))
HOSTNAME = socket.gethostname()


def _read(name, default=""):
    try:
        with open(os.path.join(HERE, name), encoding="utf-8") as handle:
            return handle.read().strip()
    except FileNotFoundError:
        return default


VERSION = _read("VERSION", "1")
# Hosts on which this release fails its health check (a test writes the file).
UNHEALTHY_ON = _read("UNHEALTHY_ON").split()

app = Flask(__name__)


@app.after_request
def served_by(response):
    response.headers["X-Served-By"] = HOSTNAME
    response.headers["X-App-Version"] = VERSION
    return response


@app.route("/")
def index():
    return f"cluster v{VERSION} on {HOSTNAME}\n"


@app.route("/health")
def health():
    if HOSTNAME in UNHEALTHY_ON:
        return "unhealthy\n", 503
    return "ok\n"


@app.route("/whoami")
def whoami():
    # Raw WSGI values: gunicorn sets the scheme from X-Forwarded-Proto only for
    # addresses in forwarded_allow_ips; REMOTE_ADDR is the load balancer.
    return jsonify(
        remote_addr=request.environ.get("REMOTE_ADDR"),
        scheme=request.environ.get("wsgi.url_scheme"),
        forwarded_for=request.headers.get("X-Forwarded-For"),
        forwarded_proto=request.headers.get("X-Forwarded-Proto"),
        host=request.host,
        served_by=HOSTNAME,
    )


@app.cli.command("migrate")
def migrate():
    """Stands in for a schema migration: appends host, release id, version and time to a
    log in the shared `instance` directory (under the app's data directory)."""
    release = os.path.basename(os.path.dirname(HERE))
    with open(os.path.join(HERE, "instance", "migrations.log"), "a", encoding="utf-8") as log:
        log.write(f"{HOSTNAME} {release} {VERSION} {time.time():.6f}\n")

"""Test app: hello world, plus routes that show what an attacker or a proxy would see."""
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.route("/")
def hello_world():
    return "Hello, World!"


@app.route("/boom")
def boom():
    # The text must never reach a client: the tests look for it in the 500 page.
    raise RuntimeError("probe-secret-exception-text")


@app.route("/whoami")
def whoami():
    return jsonify(
        remote_addr=request.remote_addr,
        forwarded_for=request.headers.get("X-Forwarded-For"),
        forwarded_proto=request.headers.get("X-Forwarded-Proto"),
        host=request.host,
    )


@app.route("/powered")
def powered():
    # Frameworks like to announce themselves; the proxy must strip this.
    return "powered", 200, {"X-Powered-By": "probe-framework/1.0"}

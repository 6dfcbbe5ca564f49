"""Test app: hello world, plus routes that show what an attacker or a proxy would see."""
import os

from flask import Flask, jsonify, redirect, request, session, url_for

app = Flask(__name__)
# The scenario's test key, from the app's environment file; without it the app signs nothing.
app.secret_key = os.environ.get("SECRET_KEY")


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
        url=url_for("whoami", _external=True),
        script_root=request.script_root,
        headers=dict(request.headers.items()),
    )


@app.route("/login")
def login():
    # The cookies the proxy must flag: the session, a bare one, one the app made Strict
    # (already Secure and HttpOnly, which must not come twice), and two the scenario names.
    session["user"] = "alice"
    response = redirect(url_for("account", _external=True))
    response.set_cookie("prefs", "dark")
    response.set_cookie("csrf_guard", "g1", secure=True, httponly=True, samesite="Strict")
    response.set_cookie("ui_state", "open")
    response.set_cookie("lang", "en")
    return response


@app.route("/account")
def account():
    return jsonify(user=session.get("user"))


@app.route("/powered")
def powered():
    # Frameworks like to announce themselves; the proxy must strip this.
    return "powered", 200, {"X-Powered-By": "probe-framework/1.0"}

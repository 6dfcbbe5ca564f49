"""Test app of the security scenario, built the way real apps are: an app factory with
the tutorial's placeholder key (overridden by FLASK_SECRET_KEY in production), a session
cookie and a cookie of its own, redirects to external URLs behind ProxyFix, and a
route that raises."""
from flask import Flask, jsonify, redirect, request, session, url_for
from werkzeug.middleware.proxy_fix import ProxyFix


def create_app():
    app = Flask(__name__)
    # The tutorial's line: a deploy must refuse it unless the environment overrides it.
    app.config.from_mapping(SECRET_KEY="dev")
    app.config.from_prefixed_env()
    # Trusts one proxy for every forwarding header Werkzeug knows, as many apps do.
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_port=1, x_prefix=1)

    @app.route("/")
    def index():
        return "secapp\n"

    @app.route("/login")
    def login():
        session["user"] = "alice"
        response = redirect(url_for("account", _external=True))
        response.set_cookie("prefs", "dark")
        response.set_cookie("csrf_guard", "g1", samesite="Strict")
        response.set_cookie("ui_state", "open")
        response.set_cookie("lang", "en")
        return response

    @app.route("/account")
    def account():
        return jsonify(user=session.get("user"))

    @app.route("/whoami")
    def whoami():
        return jsonify(
            remote_addr=request.remote_addr,
            scheme=request.scheme,
            host=request.host,
            script_root=request.script_root,
            url=url_for("whoami", _external=True),
            headers={name: value for name, value in request.headers.items()},
        )

    @app.route("/boom")
    def boom():
        raise RuntimeError("secapp-secret-exception-text")

    return app

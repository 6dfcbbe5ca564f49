"""A notes app written the way Flask's tutorial writes apps: an app factory, an
instance folder holding its SQLite database and config.py, CLI commands for the
database, plus a worker and a periodic job that leave traces in the instance folder."""
import hashlib
import os
import pathlib

from flask import Flask, jsonify, redirect, request

VERSION = (pathlib.Path(__file__).parent.parent / "VERSION").read_text(encoding="utf-8").strip()


def create_app():
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(SECRET_KEY="dev", DATABASE=os.path.join(app.instance_path, "flaskr.sqlite"))
    # The real key comes from instance/config.py, a shared file the deploy links in.
    app.config.from_pyfile("config.py", silent=True)
    try:
        os.makedirs(app.instance_path)
    except OSError:
        pass

    from . import db, jobs

    db.init_app(app)
    jobs.init_app(app)

    @app.route("/")
    def index():
        notes = db.get_db().execute("SELECT id, body FROM note ORDER BY id").fetchall()
        return jsonify(version=VERSION, notes=[dict(row) for row in notes]), 200, {"X-App-Version": VERSION}

    @app.route("/notes", methods=["POST"])
    def add_note():
        body = request.form.get("body", "").strip()
        if not body:
            return "a note needs a body\n", 400
        connection = db.get_db()
        connection.execute("INSERT INTO note (body) VALUES (?)", (body,))
        connection.commit()
        return redirect("/", code=303)

    @app.route("/health")
    def health():
        return "ok\n", 200, {"X-App-Version": VERSION}

    @app.route("/about")
    def about():
        # Proves which key the app runs with, without showing it.
        key = app.config["SECRET_KEY"].encode()
        return jsonify(version=VERSION, secret_key_sha256=hashlib.sha256(key).hexdigest(),
                       instance_path=app.instance_path)

    return app

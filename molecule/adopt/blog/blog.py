import os

from flask import Flask


def create_app():
    app = Flask(__name__)
    app.config["DATABASE"] = os.environ.get("DATABASE_URL")
    app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]

    @app.route("/")
    def index():
        return "blog: " + app.config["DATABASE"]

    return app

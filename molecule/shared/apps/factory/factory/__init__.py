"""Test app built by a factory, with a debug switch only the development server uses."""
from flask import Flask


def create_app():
    app = Flask(__name__)

    @app.route("/")
    def hello():
        return "Hello from the factory!"

    return app


if __name__ == "__main__":
    create_app().run(debug=True)

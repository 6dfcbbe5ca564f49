"""Test app configured from FLASK_* environment variables: harmless until the
environment file turns testing mode on, which only the import check can see."""
from flask import Flask

app = Flask(__name__)
app.config.from_prefixed_env()


@app.route("/")
def hello_world():
    return f"testing is {'on' if app.testing else 'off'}"

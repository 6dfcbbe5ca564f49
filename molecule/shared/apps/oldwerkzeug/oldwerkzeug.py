"""Test app pinned to a Werkzeug without the debugger fix: the deploy must refuse it."""
from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello_world():
    return "old werkzeug"

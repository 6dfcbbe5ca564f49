"""Test app that turns the debugger on at import: the deploy must refuse it."""
from flask import Flask

app = Flask(__name__)
app.debug = True


@app.route("/")
def hello_world():
    return "debug is on"

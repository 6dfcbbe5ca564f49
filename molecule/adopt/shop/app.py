import os

from flask import Flask

app = Flask(__name__)
app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]


@app.route("/")
def index():
    return "shop: " + os.environ.get("DATABASE_URL", "no database")


@app.route("/boom")
def boom():
    raise RuntimeError("shop-exception-text")


if __name__ == "__main__":
    app.run(debug=True, host="0.0.0.0", port=5000)

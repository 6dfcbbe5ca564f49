"""The module finds a development server among this machine's real processes and sockets.

The server is a stand-in for Werkzeug's (its Flask class only listens), started the way the
guide's reader starts one: `python3 app.py` with app.run(debug=True), under nohup, with a
secret in its environment. What is read is the real /proc of this machine."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from ansible_collections.flaskops.production.plugins.modules import flask_devserver_info

from modulelib import run_module

APP = '''import socket
import sys


class Flask:
    """Stands in for flask.Flask: listens as the development server does, answers nothing."""

    def __init__(self, name):
        self.name = name

    def run(self, debug=False, host="127.0.0.1"):
        server = socket.socket()
        server.bind((host, 0))
        server.listen()
        with open("port", "w") as handle:
            handle.write(str(server.getsockname()[1]))
        while True:
            server.accept()[0].close()


app = Flask(__name__)

if __name__ == "__main__":
    app.run(debug=True, host="127.0.0.1")
'''
SECRET = "s3cret-value-9f2c1d"


@pytest.fixture
def devserver(tmp_path):
    home = tmp_path / "My Shop"
    home.mkdir()
    (home / "app.py").write_text(APP)
    (home / "requirements.txt").write_text("flask\n")
    env = {"PATH": os.environ["PATH"], "SECRET_KEY": SECRET, "DATABASE_URL": "sqlite:////var/tmp/x.db", "FLASK_DEBUG": "1"}
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=str(home), env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN))
    for _ in range(100):
        if (home / "port").exists() and (home / "port").read_text():
            break
        time.sleep(0.05)
    yield home, proc, int((home / "port").read_text())
    proc.kill()
    proc.wait()


def test_finds_the_readers_server_and_keeps_its_secret(devserver):
    home, proc, port = devserver
    result = run_module(flask_devserver_info, {"server_names": ["shop.test"]})
    assert not result.get("failed"), result
    mine = [s for s in result["servers"] if s["cwd"] == str(home)]
    assert len(mine) == 1, result["servers"]
    server = mine[0]
    assert server["port"] == port and server["listen"] == ["127.0.0.1:%d" % port] and not server["exposed"]
    assert server["pids"] == [proc.pid]
    assert server["kind"] == "app.run" and server["debug"] is True
    assert server["module"] == "app:app"
    assert server["requirements"] == ["requirements.txt"]
    assert {"kind": "nohup"} in server["keepers"]
    assert "SECRET_KEY" in server["env_carried"] and "DATABASE_URL" in server["env_carried"]
    assert "FLASK_DEBUG" in server["env_dropped"] and "FLASK_DEBUG" not in server["env_carried"]
    assert server["refusals"] == []
    assert server["item"] == {"name": "my-shop", "server_names": ["shop.test"], "source": "host_dir",
                              "source_host_dir": str(home), "source_user": server["user"], "module": "app:app"}
    assert SECRET not in json.dumps(result) and "env_values" not in server
    # Asked for, the values of the carried variables come back, and only those.
    valued = [s for s in run_module(flask_devserver_info, {"server_names": ["shop.test"], "values": True})["servers"]
              if s["cwd"] == str(home)][0]
    assert valued["env_values"]["SECRET_KEY"] == SECRET and set(valued["env_values"]) == set(valued["env_carried"])
    assert all(SECRET not in line for line in valued["plan"])


def test_an_operators_item_names_the_app(devserver):
    home, dummy, port = devserver
    result = run_module(flask_devserver_info, {"apps": [{"port": port, "name": "shop", "module": "app:app",
                                                         "server_names": ["www.shop.test"]}]})
    server = [s for s in result["servers"] if s["cwd"] == str(home)][0]
    assert server["item"]["name"] == "shop" and server["item"]["server_names"] == ["www.shop.test"]


def test_two_apps_in_the_module_are_refused(devserver):
    home, dummy, port = devserver
    (home / "app.py").write_text(APP.replace("app = Flask(__name__)", "admin = Flask('a')\napp = Flask(__name__)"))
    server = [s for s in run_module(flask_devserver_info, {})["servers"] if s["cwd"] == str(home)][0]
    assert server["module"] is None
    assert any("several Flask apps in one module (admin, app)" in r for r in server["refusals"])


def test_the_plan_reads_as_the_entry(devserver):
    home, dummy, port = devserver
    server = [s for s in run_module(flask_devserver_info, {})["servers"] if s["cwd"] == str(home)][0]
    text = "\n".join(server["plan"])
    assert "port %d: %s app.py, as " % (port, sys.executable) in text
    assert "debug ON, listening on 127.0.0.1:%d" % port in text and "reachable from other hosts" not in text
    assert "kept running by: nohup" in text
    assert "environment carried (names only): DATABASE_URL, SECRET_KEY" in text
    assert '"module": "app:app"' in text and "REFUSED" not in text

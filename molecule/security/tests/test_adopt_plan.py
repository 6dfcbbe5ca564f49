"""The adoption plan (playbooks/adopt.yml) on a host that runs Flask's development server the
way the guide's reader does: `python app.py` with app.run(debug=True) under a systemd unit,
`flask run --debug` kept alive by nohup and an @reboot crontab line, and one run by root
from /root. The plan names each server, what keeps it and the flask_apps item it would use,
refuses the one it must, shows no secret value and changes nothing on the host."""
import base64
import os

import pytest
from conftest import PROJECT, run_playbook

ADOPT = os.path.join(PROJECT, "playbooks", "adopt.yml")
SECRET = "reader-secret-4b1e9d07c2"
SHOP = '''from flask import Flask

app = Flask(__name__)


@app.route("/")
def index():
    return "shop"


if __name__ == "__main__":
    app.run(debug=True, host="0.0.0.0", port=5000)
'''
BLOG = '''import os

from flask import Flask


def create_app():
    app = Flask(__name__)
    app.config["DATABASE"] = os.environ.get("DATABASE_URL")

    @app.route("/")
    def index():
        return "blog"

    return app
'''
TOOL = '''from flask import Flask

admin = Flask("admin")
app = Flask(__name__)

if __name__ == "__main__":
    app.run(debug=True, host="127.0.0.1", port=5002)
'''
UNIT = f'''[Unit]
Description=The shop, run as the guide's reader runs it

[Service]
User=ana
WorkingDirectory=/home/ana/shop
Environment=SECRET_KEY={SECRET} DATABASE_URL=sqlite:////home/ana/shop/shop.db FLASK_DEBUG=1
ExecStart=/home/ana/venv/bin/python app.py

[Install]
WantedBy=multi-user.target
'''
SNAPSHOT = ("find /home/ana /root/tool /etc /var/spool/cron -xdev -type f ! -name '*.pyc' "
            "-exec sha256sum {} + 2>/dev/null | sort")


def listening(host, port):
    return host.run(f"ss -Hltn 'sport = :{port}' | grep -q LISTEN").rc == 0


@pytest.fixture(scope="module")
def readers_server(host):
    def put(path, content, owner):
        data = base64.b64encode(content.encode()).decode()
        assert host.run(f"install -d -o {owner} -g {owner} {os.path.dirname(path)} && echo {data} | base64 -d > {path}"
                        f" && chown {owner}: {path}").rc == 0
        assert host.file(path).content_string == content

    assert host.run("id ana || useradd --create-home --shell /bin/bash ana").rc == 0
    put("/home/ana/shop/app.py", SHOP, "ana")
    put("/home/ana/shop/requirements.txt", "flask\n", "ana")
    put("/home/ana/blog/blog.py", BLOG, "ana")
    put("/root/tool/app.py", TOOL, "root")
    setup = host.run("runuser -u ana -- python3 -m venv /home/ana/venv"
                     " && runuser -u ana -- /home/ana/venv/bin/pip install --quiet flask")
    assert setup.rc == 0, setup.stderr
    put("/etc/systemd/system/shop-dev.service", UNIT, "root")
    put("/var/spool/cron/crontabs/ana",
        "@reboot cd /home/ana/blog && nohup /home/ana/venv/bin/python -m flask --app blog run --debug "
        "--host 0.0.0.0 --port 5001 >/dev/null 2>&1 &\n", "ana")
    assert host.run("systemctl daemon-reload && systemctl start shop-dev.service").rc == 0
    # Each in a subshell whose output goes nowhere, so that the SSH session that starts it ends.
    assert host.run(
        f"(cd /home/ana/blog && runuser -u ana -- env SECRET_KEY={SECRET} DATABASE_URL=sqlite:////home/ana/blog/b.db "
        "nohup /home/ana/venv/bin/python -m flask --app blog run --debug --host 0.0.0.0 --port 5001) "
        "</dev/null >/dev/null 2>&1 &").rc == 0
    assert host.run("(cd /root/tool && nohup /home/ana/venv/bin/python app.py) </dev/null >/dev/null 2>&1 &").rc == 0
    for port in (5000, 5001, 5002):
        assert host.run(f"for i in $(seq 50); do ss -Hltn 'sport = :{port}' | grep -q LISTEN && exit 0; "
                        "sleep 0.2; done; exit 1").rc == 0, f"no development server listens on {port}"
    yield
    # The patterns' brackets keep pkill from matching the shell that runs it.
    host.run("systemctl stop shop-dev.service; rm -f /etc/systemd/system/shop-dev.service; systemctl daemon-reload;"
             " pkill -f '[f]lask --app blog run'; pkill -f '/home/ana/venv/bin/[p]ython app.py';"
             " rm -rf /root/tool /var/spool/cron/crontabs/ana")
    for port in (5000, 5001, 5002):
        assert host.run(f"for i in $(seq 50); do ss -Hltn 'sport = :{port}' | grep -q LISTEN || exit 0; "
                        "sleep 0.2; done; exit 1").rc == 0, f"a development server still listens on {port}"


@pytest.fixture(scope="module")
def plan(host, readers_server):
    before = host.check_output(SNAPSHOT)
    result = run_playbook(ADOPT)
    result.after = host.check_output(SNAPSHOT)
    result.before = before
    return result


def test_the_plan_changes_nothing(host, plan):
    assert plan.returncode == 0 and plan.changed == 0, plan.output[-3000:]
    assert plan.after == plan.before
    for port in (5000, 5001, 5002):
        assert listening(host, port), f"the plan stopped the server on {port}"


# What the plan must say of each development server, in its words (white space folded).
PLAN_SAYS = {
    "unit": [
        "port 5000: /home/ana/venv/bin/python app.py, as ana in /home/ana/shop",
        "the Flask development server (app.run), debug ON, listening on 0.0.0.0:5000 (reachable from other hosts)",
        "kept running by: the systemd unit shop-dev.service",
        "app: app:app; requirements: requirements.txt",
        "environment carried (names only): DATABASE_URL, SECRET_KEY",
        '"module": "app:app", "name": "shop", "server_names": ["molecule-security"], "source": "host_dir", '
        '"source_host_dir": "/home/ana/shop", "source_user": "ana"',
    ],
    "nohup": [
        "port 5001: /home/ana/venv/bin/python -m flask --app blog run --debug",
        "the Flask development server (flask run), debug ON",
        "kept running by: an @reboot line in /var/spool/cron/crontabs/ana, nohup",
        '"module": "blog:create_app()", "name": "blog"',
    ],
}


@pytest.mark.parametrize("server", sorted(PLAN_SAYS))
def test_the_plan_names_each_server_how_it_is_kept_and_its_item(plan, server):
    text = " ".join(plan.output.split())
    missing = [said for said in PLAN_SAYS[server] if said not in text]
    assert not missing, f"the plan does not say {missing}:\n{plan.output[-3000:]}"


def test_the_plan_refuses_roots_server_with_two_apps(plan):
    text = " ".join(plan.output.split())
    assert "port 5002: /home/ana/venv/bin/python app.py, as root in /root/tool" in text, plan.output
    assert "REFUSED: /root/tool/app.py: several Flask apps in one module (admin, app)" in text
    assert "REFUSED: it runs as root from /root/tool" in text


def test_no_secret_value_in_the_plan(plan):
    assert SECRET not in plan.output


def test_acting_on_a_plan_with_a_refused_server_changes_nothing(host, readers_server):
    """All three chosen (no adopt_apps): the root server from /root is refused, so the
    adoption stops before any change, naming its port, and every server keeps running."""
    before = host.check_output(SNAPSHOT)
    result = run_playbook(ADOPT, "-e", "adopt=yes")
    assert result.returncode != 0 and result.changed == 0, result.output[-3000:]
    assert "The plan refuses 5002" in " ".join(result.output.split()), result.output[-3000:]
    assert host.check_output(SNAPSHOT) == before
    assert listening(host, 5000) and listening(host, 5001) and listening(host, 5002)
    assert SECRET not in result.output

"""The parsers that find development servers: real /proc tables and real app sources."""
import pytest

from ansible_collections.flaskops.production.plugins.module_utils import devserver

TCP = """  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1388 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 41234 1 0000000000000000 100 0 0 10 0
   1: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 41235 1 0000000000000000 100 0 0 10 0
   2: 0100007F:1388 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 41236 1 0000000000000000 20 4 30 10 -1
"""
TCP6 = """  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1389 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 51000 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:138A 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 51001 1 0000000000000000 100 0 0 10 0
"""


def test_listeners_of_both_tables():
    assert devserver.tcp_listeners(TCP) == [(41234, "0.0.0.0", 5000), (41235, "127.0.0.1", 80)]
    assert devserver.tcp_listeners(TCP6, ipv6=True) == [(51000, "[0:0:0:0:0:0:0:1]", 5001), (51001, "127.0.0.1", 5002)]
    assert devserver.exposed("0.0.0.0") and not devserver.exposed("127.0.0.1")
    assert not devserver.exposed("[0:0:0:0:0:0:0:1]")


@pytest.mark.parametrize("argv,want", [
    (["python3", "app.py"], {"script": "app.py", "args": []}),
    (["/usr/bin/python3.11", "-u", "-X", "dev", "/srv/shop/run.py", "--x"], {"script": "/srv/shop/run.py", "args": ["--x"]}),
    (["python", "-m", "flask", "--app", "shop", "run"], {"module": "flask", "args": ["--app", "shop", "run"]}),
    (["python3", "-mflask", "run"], {"module": "flask", "args": ["run"]}),
    (["python3", "-c", "print(1)"], None),
    (["/usr/sbin/nginx", "-g", "daemon off;"], None),
])
def test_python_command(argv, want):
    assert devserver.python_command(argv) == want


def test_flask_cli():
    assert devserver.flask_cli(["--app", "shop:create_app()", "run", "--debug", "--host", "0.0.0.0"]) == \
        {"app": "shop:create_app()", "debug": True}
    assert devserver.flask_cli(["--app=shop", "--debug", "run"]) == {"app": "shop", "debug": True}
    assert devserver.flask_cli(["run"]) == {"app": None, "debug": None}
    assert devserver.flask_cli(["db", "upgrade"]) is None


def test_source_facts_of_the_guides_app():
    facts = devserver.source_facts(
        "from flask import Flask\napp = Flask(__name__)\n\n@app.route('/')\ndef index():\n    return 'hi'\n\n"
        "if __name__ == '__main__':\n    app.run(debug=True, host='0.0.0.0')\n")
    assert facts == {"apps": ["app"], "factories": [], "runs": True, "debug": True}
    assert devserver.app_guess(facts) == ("app", None)


def test_source_facts_of_a_factory_and_of_two_apps():
    factory = devserver.source_facts(
        "import flask\n\ndef create_app(test_config=None):\n    app = flask.Flask(__name__)\n    return app\n\n"
        "def helper():\n    return 1\n")
    assert factory["factories"] == ["create_app"] and not factory["runs"]
    assert devserver.app_guess(factory) == ("create_app()", None)
    two = devserver.source_facts("from flask import Flask\nadmin = Flask('a')\nsite = Flask('b')\nsite.run()\n")
    obj, reason = devserver.app_guess(two)
    assert obj is None and "admin, site" in reason
    assert devserver.app_guess(two, "site") == ("site", None)
    assert devserver.app_guess(devserver.source_facts("x = 1\n"))[1] == "no Flask app found in the module"


def test_app_module(tmp_path):
    (tmp_path / "flaskr").mkdir()
    assert devserver.app_module("flaskr:create_app()", str(tmp_path)) == (str(tmp_path / "flaskr/__init__.py"), "create_app()")
    assert devserver.app_module("app.py", str(tmp_path)) == (str(tmp_path / "app.py"), None)
    assert devserver.app_module("pkg.wsgi:app", str(tmp_path)) == (str(tmp_path / "pkg/wsgi.py"), "app")


def test_read_nofollow_refuses_links(tmp_path):
    (tmp_path / "real.py").write_text("x = 1\n")
    (tmp_path / "link.py").symlink_to(tmp_path / "real.py")
    assert devserver.read_nofollow(str(tmp_path / "real.py")) == "x = 1\n"
    assert devserver.read_nofollow(str(tmp_path / "link.py")) is None
    assert devserver.read_nofollow(str(tmp_path)) is None


def test_keepers_parsers():
    cron = "# m h dom mon dow command\n@reboot cd /home/ana/shop && nohup python3 app.py &\n@reboot /usr/bin/other\n"
    assert devserver.reboot_lines(cron, ["/home/ana/shop"]) == ["@reboot cd /home/ana/shop && nohup python3 app.py &"]
    assert devserver.systemd_unit("0::/system.slice/shop-dev.service\n") == "shop-dev.service"
    assert devserver.systemd_unit("0::/user.slice/user-1000.slice/session-3.scope\n") is None
    assert devserver.systemd_unit("0::/user.slice/user-0.slice/user@0.service/app.slice/x.scope\n") is None
    assert devserver.hup_ignored("Name:\tpython3\nSigIgn:\t0000000000001001\n")
    assert not devserver.hup_ignored("SigIgn:\t0000000001001000\n")


def test_env_names_carry_the_apps_own_and_drop_debug():
    carried, dropped = devserver.env_names({"PATH": "/bin", "DATABASE_URL": "sqlite://", "SECRET_KEY": "s",
                                            "FLASK_DEBUG": "1", "FLASK_APP": "app", "WERKZEUG_RUN_MAIN": "true"})
    assert carried == ["DATABASE_URL", "SECRET_KEY"]
    assert dropped == ["FLASK_APP", "FLASK_DEBUG", "WERKZEUG_RUN_MAIN"]


def test_app_name():
    assert devserver.app_name("/home/ana/My Shop/") == "my-shop"
    assert devserver.app_name("/opt/2024") == "app-2024"


def test_a_session_or_crons_unit_keeps_nothing():
    assert devserver.keeping_unit("shop-dev.service")
    for unit in ("ssh.service", "sshd.service", "cron.service", "getty@tty1.service", None):
        assert not devserver.keeping_unit(unit), unit

"""flask_import_check: the app is imported as its user, in the server's sandbox, with a time limit."""
import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.flaskops.production.plugins.modules import flask_import_check

ARGS = {"release": "/srv/a/releases/r", "module": "app:app", "env_file": "/etc/flask/a.env.next",
        "tool": "/usr/local/lib/flask-app-tool.py", "public_keys": "/usr/local/lib/keys.txt",
        "user": "a", "group": "a", "sandbox": ["PrivateNetwork=yes"], "timeout": 30}


def run(monkeypatch, capsys, args, result=(0, '{"debug": false}\n', "")):
    calls = []

    def fake_run_unit(command, user, group, properties, timeout, workdir, env=None, env_file=None):
        calls.append({"command": command, "user": user, "properties": properties, "timeout": timeout,
                      "workdir": workdir, "env_file": env_file})
        return result

    monkeypatch.setattr(flask_import_check, "run_unit", fake_run_unit)
    monkeypatch.setattr(flask_import_check.os.path, "isfile", lambda path: True)
    with patch_module_args(args), pytest.raises(SystemExit):
        flask_import_check.main()
    return calls, json.loads(capsys.readouterr().out)


def test_the_check_runs_as_the_app_user_in_its_sandbox(monkeypatch, capsys):
    calls, out = run(monkeypatch, capsys, ARGS)
    assert calls == [{"command": ["/srv/a/releases/r/venv/bin/python", "/usr/local/lib/flask-app-tool.py", "check",
                                  "--env-file", "/etc/flask/a.env.next", "--public-keys", "/usr/local/lib/keys.txt",
                                  "app:app"],
                      "user": "a", "properties": ["PrivateNetwork=yes"], "timeout": 30,
                      "workdir": "/srv/a/releases/r/app", "env_file": "/etc/flask/a.env.next"}]
    assert out["rc"] == 0 and out["stdout_lines"] == ['{"debug": false}'] and not out["changed"]


def test_a_failed_import_is_reported_not_raised(monkeypatch, capsys):
    out = run(monkeypatch, capsys, ARGS, (1, "", "Traceback\nImportError: https://u:secret@x.invalid/\n"))[1]
    assert out["rc"] == 1 and not out.get("failed")
    assert out["stderr_lines"][-1] == "ImportError: https://***@x.invalid/"


def test_check_mode_runs_none_of_the_apps_code(monkeypatch, capsys):
    calls, out = run(monkeypatch, capsys, dict(ARGS, _ansible_check_mode=True))
    assert calls == [] and out["skipped"] and not out["changed"]
    assert out["msg"] == "would import app:app from /srv/a/releases/r as a"

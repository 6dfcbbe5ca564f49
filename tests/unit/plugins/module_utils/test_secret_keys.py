"""secret_keys: one definition of a weak Flask secret key, which the app's import check
(flask_app's tool) and the host audit (flask_audit) both start with."""
import hashlib
import json
import os
import socket
import subprocess
import sys

from ansible_collections.flaskops.production.plugins.module_utils import secret_keys

ROLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "roles")
LONG = b"k" * secret_keys.SECRET_KEY_MIN_BYTES


def digest(key):
    return hashlib.sha256(key).hexdigest()[:secret_keys.PUBLIC_KEY_DIGITS]


def test_a_short_key_is_short_and_a_listed_key_is_public():
    listed = b"a publicly known key of some length"
    digests = secret_keys.public_key_digests(["# flask-unsign wordlist\n", "\n", digest(listed) + "\n"])
    assert secret_keys.secret_key_weakness(b"dev", digests) == "short"
    assert secret_keys.secret_key_weakness(LONG[:-1], digests) == "short"
    assert secret_keys.secret_key_weakness(listed, digests) == "public"
    assert secret_keys.secret_key_weakness(LONG, digests) is None
    assert secret_keys.secret_key_weakness(b"", digests) is None


def test_the_role_list_holds_digests_only():
    with open(os.path.join(ROLES, "flask_app", "files", "public-keys.txt"), encoding="ascii") as handle:
        digests = secret_keys.public_key_digests(handle)
    assert len(digests) > 1000
    assert all(len(item) == secret_keys.PUBLIC_KEY_DIGITS and int(item, 16) >= 0 for item in digests)
    # The example key of Flask's own documentation, which flask-unsign's wordlist holds.
    flask_docs_key = b"192b9bdd22ab9ed4d12e236c78afcb9a393ec15f71bbf5dc987d54727823bcbf"
    assert secret_keys.secret_key_weakness(flask_docs_key, digests) == "public"


def role_script(role, name):
    """The host-side script as the role sends or installs it: this module, then the script."""
    with open(os.path.join(ROLES, role, "files", "flaskops_secret_keys.py"), encoding="utf-8") as handle:
        head = handle.read()
    with open(os.path.join(ROLES, role, "files", name), encoding="utf-8") as handle:
        return head, handle.read()


def script_scope(monkeypatch, text):
    """The names the script defines, its `from flaskops_secret_keys import` answered by this module."""
    monkeypatch.setitem(sys.modules, "flaskops_secret_keys", secret_keys)
    scope = {"__name__": "script"}
    exec(compile(text, "script", "exec"), scope)  # noqa: S102 (the role's own script)
    return scope


def audit_as_sent(digests):
    """The audit's text as the flask_audit role sends it to python3's stdin (tasks/main.yml)."""
    head, script = role_script("flask_audit", "flask_audit.py")
    with open(os.path.join(ROLES, "flask_audit", "files", "flaskops_devserver.py"), encoding="utf-8") as handle:
        devserver = handle.read()
    return (head + "PUBLIC_KEY_DIGESTS = %s\n" % json.dumps(digests)
            + "DEVSERVER_SOURCE = %s\n" % json.dumps(devserver) + script)


def test_the_audit_as_sent_runs_and_finds_a_python_listener_on_every_address():
    """The audit reads the host's sockets and their holders with module_utils/devserver.py:
    this test's own socket on 0.0.0.0 is a Python process listening beyond loopback."""
    with socket.socket() as listener:
        listener.bind(("0.0.0.0", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        result = subprocess.run([sys.executable, "-", "--max-ports", "0", "--timeout", "1", "--host-header", "localhost"],
                                input=audit_as_sent([digest(b"x" * 30)]), capture_output=True, text=True,
                                timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    where = "0.0.0.0:%d" % port
    assert [f for f in report["findings"] if f["kind"] == "public listener" and f["where"] == where
            and os.getpid() in f["pids"]], report["findings"]


def test_the_audit_judges_keys_with_the_shared_code(monkeypatch):
    listed = b"another publicly known key, long enough"
    scope = script_scope(monkeypatch, "PUBLIC_KEY_DIGESTS = %r\n" % [digest(listed)] + role_script("flask_audit", "flask_audit.py")[1])
    found = scope["weak_secret_keys"]({"SECRET_KEY": "dev", "APP_SECRET_KEY": listed.decode(), "OK_SECRET_KEY": LONG.decode()})
    assert found == ["APP_SECRET_KEY publicly known", "SECRET_KEY shorter than 24 bytes"]


def test_the_app_tool_as_installed_runs(tmp_path):
    tool = tmp_path / "flask-app-tool.py"
    tool.write_text("".join(role_script("flask_app", "flask_app_tool.py")))
    result = subprocess.run([sys.executable, str(tool), "--help"], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0 and "check" in result.stdout, result.stderr


def test_the_app_tool_judges_keys_with_the_shared_code(monkeypatch):
    scope = script_scope(monkeypatch, role_script("flask_app", "flask_app_tool.py")[1])
    problems = scope["secret_key_problems"]({"SECRET_KEY": "dev"}, {"FLASK_SECRET_KEY": "dev"}, "/nonexistent", frozenset())
    assert problems == [{"name": "SECRET_KEY", "why": "it is shorter than 24 bytes", "where": ["environment variable FLASK_SECRET_KEY"]}]

"""The import check refuses a short or publicly known SECRET_KEY, says where it was set,
never prints it, and leaves the running site as it was; a strong key goes live."""
import json
import os
import shutil

import pytest
from conftest import APP, PROJECT, live, run_playbook

DEPLOY = os.path.join(PROJECT, "playbooks", "deploy.yml")
SOURCE = os.path.join(PROJECT, "molecule", "security", "app")
# The example key of Flask's own documentation: in flask-unsign's wordlist, 64 bytes long.
PUBLIC_KEY = "192b9bdd22ab9ed4d12e236c78afcb9a393ec15f71bbf5dc987d54727823bcbf"


def deploy(*args):
    return run_playbook(DEPLOY, *args)


def with_secret_env(env):
    return ("-e", json.dumps({"flask_app_secret_env": env}))


def assert_refused_and_untouched(result, before, host, site):
    assert result.returncode != 0 and result.failed == 1, f"the weak key was deployed:\n{result.output[-3000:]}"
    pid, release, env = live(host)
    assert (pid, release) == before[:2], "the refused deploy changed the live release or restarted gunicorn"
    assert env == before[2], "the refused key reached the environment file gunicorn restarts with"
    assert site.https("/").body == "secapp\n", "the site stopped serving"


@pytest.fixture(scope="module")
def before(host):
    return live(host)


def test_public_key_from_the_environment_is_refused_by_name(host, site, before):
    result = deploy(*with_secret_env({"FLASK_SECRET_KEY": PUBLIC_KEY}))
    assert_refused_and_untouched(result, before, host, site)
    assert "weak SECRET_KEY" in result.output and "publicly known" in result.output, result.output[-3000:]
    assert "environment variable FLASK_SECRET_KEY" in result.output, result.output[-3000:]
    assert PUBLIC_KEY not in result.output, "the refused key was printed"


def test_placeholder_key_in_the_code_is_refused_naming_file_and_line(host, site, before):
    # Without FLASK_SECRET_KEY the app keeps the tutorial's SECRET_KEY="dev".
    result = deploy(*with_secret_env({}))
    assert_refused_and_untouched(result, before, host, site)
    assert "weak SECRET_KEY" in result.output and "shorter than 24 bytes" in result.output, result.output[-3000:]
    assert "secapp/__init__.py:12" in result.output, result.output[-3000:]


def test_new_release_with_weak_key_never_goes_live(host, site, before, tmp_path):
    source = tmp_path / "app"
    shutil.copytree(SOURCE, source)
    (source / "VERSION").write_text("2\n")
    releases = set(host.file(f"/srv/{APP}/releases").listdir())
    result = deploy("-e", f"flask_app_source_dir={source}", *with_secret_env({"FLASK_SECRET_KEY": "short-key"}))
    assert_refused_and_untouched(result, before, host, site)
    assert "was not deployed and has been removed" in result.output, result.output[-3000:]
    assert "shorter than 24 bytes" in result.output and "environment variable FLASK_SECRET_KEY" in result.output
    assert set(host.file(f"/srv/{APP}/releases").listdir()) == releases, "the refused release was left on disk"


def test_strong_key_is_accepted_and_signs_the_session(host, site):
    result = deploy()
    assert result.returncode == 0, f"the scenario's strong key was refused:\n{result.output[-3000:]}"
    login = site.https("/login")
    session = [c.split(";")[0] for c in login.headers.get_all("Set-Cookie") if c.startswith("session=")]
    assert session, "the app set no session cookie"
    account = site.https("/account", headers={"Cookie": session[0]})
    assert json.loads(account.body) == {"user": "alice"}, "the session signed with the strong key does not verify"

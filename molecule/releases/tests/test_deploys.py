"""Deploys and rollbacks while a bounded load runs: zero failed requests, the answers
switch version, and bad releases never take over. The tests run in file order."""
import json
import secrets
import shlex
import subprocess

import pytest

from conftest import (APP, APP_SOURCE, DEPLOY, INSTANCE, deploy, deploy_history, release_state, rollback,
                      run_playbook, site_get)
from sitelib import start_auth_server


def test_unchanged_code_deploys_nothing_and_adds_no_record(host):
    """A run that changes nothing adds no record to the deploy history."""
    before = deploy_history(host)
    assert before and before[-1]["action"] == "deploy" and before[-1]["result"] == "ok", (
        f"the converge left no deploy record to compare with: {before[-3:]}")
    result = deploy(APP_SOURCE)
    assert result.returncode == 0, result.output[-3000:]
    assert result.changed == 0, f"a deploy of unchanged code changed things:\n{result.output[-3000:]}"
    assert deploy_history(host) == before, "a deploy that changed nothing added a record to the history"


@pytest.mark.any_release
@pytest.mark.parametrize(
    ("extra_vars", "named"),
    [({"flask_app_env": {"FLASK_ENV": "development"}}, "FLASK_ENV=development"),
     ({"flask_app_secret_env": {"FLASK_DEBUG": "true"}}, "FLASK_DEBUG=true")],
    ids=["flask-env-development", "secret-flask-debug"],
)
def test_debug_environment_is_refused_by_name_before_any_change(host, extra_vars, named):
    """A setting that turns Flask's debugger on, plain or secret, stops the deploy before
    anything changes: the message names it, the environment file, the live release, the
    running gunicorn and the history are as they were."""
    env_file = f"/etc/flask/{APP}.env"
    before = (host.file(env_file).sha256sum, release_state(host), deploy_history(host))
    result = deploy(APP_SOURCE, "-e", json.dumps(extra_vars))
    assert result.returncode != 0 and result.failed == 1, f"a deploy with {named} was accepted:\n{result.output[-3000:]}"
    said = " ".join(result.output.split())
    assert f"{named} in flask_app_env or flask_app_secret_env would turn the debugger on" in said, (
        f"the refusal does not name {named}:\n{result.output[-3000:]}")
    assert result.changed == 0, f"the refused deploy changed the host:\n{result.output[-3000:]}"
    assert (host.file(env_file).sha256sum, release_state(host), deploy_history(host)) == before, (
        "the refused deploy changed the environment file, the release, gunicorn or the history")


def test_first_release_got_the_virtualenv_built_while_apt_ran(host):
    """The first converge found the system packages missing: the background apt run built
    the first release's virtualenv from the same requirements meanwhile (the
    flask_packages module) and the build moved it in, with no path of the seed's place left
    in it; the seed's place is gone and pip runs from the release's own path."""
    release = f"/srv/{APP}/releases/{release_state(host)['current']}"
    assert host.file(f"{release}/venv-from").content_string.strip() == "seed", "the first venv was built again"
    assert not host.file(f"/srv/{APP}/.venv-seed").exists, "the seed was left behind"
    left = host.run(f"grep -rl --exclude='*.pyc' /srv/{APP}/.venv-seed {release}/venv")
    assert left.stdout == "", f"files of the first venv still name the seed's place: {left.stdout}"
    pip = host.run(f"{release}/venv/bin/pip --version")
    assert pip.rc == 0 and f"{release}/venv/lib" in pip.stdout, pip.stdout + pip.stderr
    assert not host.check_output("ls /run/flask-app-packages-* 2>/dev/null || true"), "the apt run's status file was left"


def test_deploy_v2_under_load(host, load, make_release):
    before = release_state(host)
    with load:
        result = deploy(make_release(2))
    assert result.returncode == 0, result.output[-3000:]
    load.assert_no_failure()
    assert load.versions == ["1", "2"], f"versions answered in turn: {load.versions}"
    after = release_state(host)
    assert after["previous"] == before["current"] and after["current"] != before["current"]
    assert after["running_current"] is True


def installed_at(host, release):
    """When Flask's files in a release's virtualenv were written (pip sets the time it installs)."""
    return host.check_output(
        f"stat -c %Y /srv/{APP}/releases/{release}/venv/lib/python3*/site-packages/flask/__init__.py")


def test_a_code_only_deploy_copies_the_live_virtualenv(host):
    """v2 changed the code, not the requirements: its virtualenv is v1's, copied (the
    installed files keep v1's times) and moved (no path of v1's release is left in it)."""
    state = release_state(host)
    new, old = state["current"], state["previous"]
    assert host.file(f"/srv/{APP}/releases/{new}/venv-from").content_string.strip() == old
    assert installed_at(host, new) == installed_at(host, old), "v2's packages were installed again"
    script = host.file(f"/srv/{APP}/releases/{new}/venv/bin/gunicorn").content_string
    assert script.startswith(f"#!/srv/{APP}/releases/{new}/venv/bin/python"), script.splitlines()[0]
    left = host.run(f"grep -rl --exclude='*.pyc' /srv/{APP}/releases/{old} /srv/{APP}/releases/{new}/venv")
    assert left.stdout == "", f"files of v2's virtualenv still name v1's release: {left.stdout}"


def test_rollback_under_load(host, load):
    with load:
        result = rollback()
    assert result.returncode == 0, result.output[-3000:]
    load.assert_no_failure()
    assert load.versions == ["2", "1"], f"versions answered in turn: {load.versions}"


def test_release_that_does_not_import_is_refused(host, load, make_release):
    before = release_state(host)
    with load:
        result = deploy(make_release(3, "import-error"))
    assert result.returncode != 0 and result.failed == 1, "a release that cannot import was deployed"
    assert "does not import" in result.output and "this test release refuses to import" in result.output
    load.assert_no_failure()
    assert load.versions == ["1"], f"versions answered: {load.versions}"
    after = release_state(host)
    assert after["current"] == before["current"] and after["releases"] == before["releases"], (
        "the refused release changed the releases on disk")


def test_release_that_fails_its_health_check_is_refused(host, load, make_release):
    before = release_state(host)
    with load:
        result = deploy(make_release(4, "fail"))
    assert result.returncode != 0 and result.failed == 1, "an unhealthy release was deployed"
    assert "health check failed" in result.output and "503" in result.output, result.output[-3000:]
    load.assert_no_failure()
    assert load.versions == ["1"], f"versions answered: {load.versions}"
    assert release_state(host)["releases"] == before["releases"]


def test_release_failing_once_live_is_rolled_back(host, load, make_release):
    """Healthy on a private socket, unhealthy through the proxy: caught after the switch."""
    before = release_state(host)
    with load:
        result = deploy(make_release(5, "fails-behind-proxy"))
    assert result.returncode != 0 and result.failed == 1, "a release failing once live stayed live"
    assert f"Rolled back to release {before['current']}, which answers its health check again" in result.output, (
        result.output[-3000:])
    load.assert_no_failure()
    assert load.versions[0] == "1" and load.versions[-1] == "1", load.versions
    after = release_state(host)
    assert after["current"] == before["current"] and after["running_current"] is True


def test_only_the_last_releases_are_kept(host):
    state = release_state(host)
    assert len(state["releases"]) == 3, f"expected v1, v2 and the rolled-back v5 on disk: {state}"
    result = deploy(APP_SOURCE, "-e", "flask_release_keep=2")
    assert result.returncode == 0 and result.changed == 1, result.output[-3000:]
    kept = release_state(host)
    assert kept["releases"] == state["releases"][:2] and kept["current"] == state["current"], kept
    assert sorted(host.check_output(f"ls /srv/{APP}/releases").split()) == sorted(kept["releases"])


def test_named_rollback_to_a_missing_release_fails_cleanly(host):
    before = release_state(host)
    result = rollback("-e", "flask_release_rollback_to=000000000000")
    assert result.returncode != 0 and "is not on this host" in result.output, result.output[-3000:]
    assert release_state(host)["current"] == before["current"]


def commit_all(source, message):
    """Make the release folder `source` a git repository holding its files in one commit."""
    git = ["git", "-C", source, "-c", "user.name=test", "-c", "user.email=test@example.invalid"]
    subprocess.run(["git", "-c", "init.defaultBranch=main", "init", "-q", source], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", message], check=True)


def test_git_source_deploys_once_per_commit(host, make_release, tmp_path, ca_file):
    """A release from a git repository; the same commit deployed again changes nothing."""
    source = make_release(6)
    commit_all(source, "version 6")
    bare = tmp_path / "relapp.git"
    subprocess.run(["git", "clone", "-q", "--bare", source, str(bare)], check=True)
    subprocess.run(["podman", "cp", str(bare), f"{INSTANCE}:/opt/relapp.git"], check=True)
    args = ("-e", "flask_app_source=git", "-e", "flask_app_git_repo=file:///opt/relapp.git")
    first = run_playbook(DEPLOY, *args)
    assert first.returncode == 0, first.output[-3000:]
    assert "version 6" in site_get(ca_file)
    again = run_playbook(DEPLOY, *args)
    assert again.returncode == 0 and again.changed == 0, f"the same commit deployed again changed things:\n{again.output[-3000:]}"


def test_git_credentials_reach_no_file_and_no_command_line(host, make_release, tmp_path, ca_file):
    """A token in the git URL (a password holding an @) is used for the fetch from a server
    that requires it, yet is in no file under /srv, on no command line while git runs (the
    server looks at every process's as it answers), and the cache is root's, mode 0700."""
    source = make_release(9)
    commit_all(source, "version 9")
    served = tmp_path / "served"
    served.mkdir()
    subprocess.run(["git", "clone", "-q", "--bare", source, str(served / "relapp.git")], check=True)
    subprocess.run(["git", "-C", str(served / "relapp.git"), "update-server-info"], check=True)
    token = "tok@" + secrets.token_hex(12)
    start_auth_server(host, INSTANCE, served, token, 18765, "git", 600)
    try:
        result = run_playbook(DEPLOY, "-e", "flask_app_source=git",
                              "-e", f"flask_app_git_repo=http://deploy:{token}@127.0.0.1:18765/relapp.git")
    finally:
        host.run("systemctl stop test-git-server")
    assert result.returncode == 0, result.output[-3000:]
    assert "version 9" in site_get(ca_file), "the release fetched with the credentials is not live"
    requests = [json.loads(line) for line in host.file("/root/git-requests.log").content_string.splitlines()]
    assert any(r["authorised"] for r in requests), f"git never sent the credentials: {requests}"
    assert not any(r["on_command_line"] for r in requests), f"the token was on a command line: {requests}"
    for secret in (token, token.split("@")[1]):
        found = host.run(f"grep -rlF -D skip {shlex.quote(secret)} /srv /run /etc/flask")
        assert found.stdout == "", f"the token (or its part after @) is stored in {found.stdout}"
        assert secret not in result.output, "the play printed the token"
    cache = host.file(f"/srv/{APP}/git-cache")
    assert (cache.user, cache.group, cache.mode) == ("root", "root", 0o700), (cache.user, cache.group, oct(cache.mode))
    history = host.file(f"/srv/{APP}/deploy-history.jsonl")
    assert "http://127.0.0.1:18765/relapp.git" in history.content_string, "the history lost the URL without credentials"


def test_restart_missed_by_an_interrupted_run_happens_on_the_next(host, make_release, ca_file):
    """A run that dies after the switch but before the restart leaves `current` on the
    new release while gunicorn still runs the old code; the next run restarts it."""
    assert deploy(make_release(8)).returncode == 0
    assert deploy(make_release(7)).returncode == 0
    live = release_state(host)
    assert "version 7" in site_get(ca_file) and live["running_current"] is True
    # The interrupted run: the link moves to release 8, nothing restarts.
    host.check_output(f"flask-release activate /srv/{APP} {live['previous']}")
    interrupted = release_state(host)
    assert interrupted["current"] == live["previous"] and interrupted["running_current"] is False, interrupted
    assert "version 7" in site_get(ca_file), "gunicorn should still run the code it started with"
    # The next run deploys release 8 again (the same source, so the same id): nothing
    # to switch, but gunicorn must restart onto it.
    result = deploy(make_release(8))
    assert result.returncode == 0 and result.changed >= 1, result.output[-3000:]
    after = release_state(host)
    assert after["current"] == live["previous"] and after["running_current"] is True, after
    assert "version 8" in site_get(ca_file), "no restart: the old code still answers"


def test_new_requirements_build_a_fresh_virtualenv(host, make_release, ca_file):
    """A release whose requirements changed never reuses the live virtualenv, nor a seed
    venv recorded for other inputs (one left by an earlier run): that one is removed."""
    source = make_release(8)
    with open(f"{source}/requirements.txt", "a", encoding="utf-8") as handle:
        handle.write("blinker>=1.9\n")
    seed = f"/srv/{APP}/.venv-seed"
    recorded = json.dumps({"requirements": "Flask==3.1.3\n", "inputs": []})
    host.check_output(f"mkdir -p {seed}/bin && printf %s {shlex.quote(recorded)} > {seed}/flask-app-seed.json")
    before = release_state(host)["current"]
    result = deploy(source)
    assert result.returncode == 0, result.output[-3000:]
    assert "version 8" in site_get(ca_file)
    after = release_state(host)["current"]
    assert after != before and installed_at(host, after) != installed_at(host, before), (
        "the release with new requirements reused the live virtualenv")
    assert host.file(f"/srv/{APP}/releases/{after}/venv-from").content_string.strip() == "built"
    assert not host.file(seed).exists, "a seed recorded for other inputs was left in place"


def test_named_rollback_to_an_older_release(host, ca_file):
    """rollback.yml -e flask_release_rollback_to=ID goes back to a release older than the
    previous one: that release then answers from outside, gunicorn runs it, and the
    history gains one rollback record naming it."""
    state = release_state(host)
    versions = {release: host.file(f"/srv/{APP}/releases/{release}/app/VERSION").content_string.strip()
                for release in state["releases"]}
    older = [release for release in state["releases"] if release not in (state["current"], state["previous"])
             and versions[release] not in (versions[state["current"]], versions[state["previous"]])]
    assert older, f"no release older than the previous one, with a version of its own, on disk: {state}, {versions}"
    target = older[-1]
    before = deploy_history(host)
    result = rollback("-e", f"flask_release_rollback_to={target}")
    assert result.returncode == 0, result.output[-3000:]
    assert f"version {versions[target]}" in site_get(ca_file), (
        f"release {target} (version {versions[target]}) does not answer after the rollback to it")
    after = release_state(host)
    assert after["current"] == target and after["running_current"] is True, after
    records = deploy_history(host)
    assert len(records) == len(before) + 1, f"one record expected, got {records[len(before):]}"
    assert (records[-1]["action"], records[-1]["result"], records[-1]["release"]) == ("rollback", "ok", target), (
        records[-1])

"""An app written like Flask's tutorial deploys with inventory variables only and keeps
its data. Every test takes the host fixture, so that pytest keeps them in file order: the database is created first, then notes are
written through the site and must survive every deploy, rollback and prune."""
import json
import os
import time

import pytest

from conftest import (APP, DEPLOY, INSTANCE, WEBSERVERS, SECRET, add_note, deploy, notes, release_state, rollback,
                      run_command, run_playbook, secret_sha, wait_for, worker_status)


def test_check_mode_on_the_converged_host_changes_nothing(host):
    result = run_playbook(WEBSERVERS, "--check", "--diff")
    assert result.returncode == 0 and result.changed == 0, (
        f"--check --diff found changes on a converged host:\n{result.output[-3000:]}")


def test_database_is_created_by_run_playbook(host):
    assert not host.file(f"{INSTANCE}/flaskr.sqlite").exists, "the database existed before init-db"
    result = run_command("flask --app flaskr init-db")
    assert result.returncode == 0, result.output[-3000:]
    assert "Initialized the database." in result.output and "exit status 0" in result.output, result.output[-3000:]
    database = host.file(f"{INSTANCE}/flaskr.sqlite")
    assert database.exists and database.user == APP, "init-db did not create the database as the app user"


def output_lines(result):
    """The lines run.yml printed for the command (its debug message's list items)."""
    return [line.strip()[2:].strip() for line in result.output.splitlines() if line.strip().startswith("- ")]


def test_one_off_command_runs_as_the_app_user(host):
    result = run_command("echo user=$(id -un)")
    assert result.returncode == 0, result.output[-3000:]
    assert f"user={APP}" in output_lines(result), f"the one-off command did not run as {APP}:\n{result.output[-3000:]}"


def test_one_off_command_runs_in_the_live_releases_app_directory(host):
    live = host.check_output(f"readlink -f /srv/{APP}/current") + "/app"
    result = run_command("echo cwd=$(pwd -P)")
    assert result.returncode == 0, result.output[-3000:]
    assert f"cwd={live}" in output_lines(result), f"the one-off command did not run in {live}:\n{result.output[-3000:]}"


def test_one_off_command_cannot_write_the_release(host):
    """The sandbox (ProtectSystem=strict) makes the release read-only: the write fails with
    EROFS, not merely EACCES from file modes."""
    result = run_command(f"touch /srv/{APP}/current/app/probe 2>&1; echo touch-status=$?")
    assert result.returncode == 0, result.output[-3000:]
    lines = output_lines(result)
    assert "touch-status=0" not in lines and any(line.startswith("touch-status=") for line in lines), (
        f"the one-off command could write the release:\n{result.output[-3000:]}")
    assert "Read-only file system" in " ".join(result.output.split()), (
        f"the write failed, but not on a read-only file system (the sandbox):\n{result.output[-3000:]}")
    assert not host.file(f"/srv/{APP}/current/app/probe").exists


def test_one_off_command_failure_is_reported_with_its_status(host):
    result = run_command("flask --app flaskr no-such-command")
    assert result.returncode != 0 and result.failed == 1, "a failing one-off command passed"
    assert "exit status 2" in result.output and "No such command" in result.output, result.output[-3000:]


def test_one_off_command_refuses_another_app(host):
    result = run_command("true", "-e", "flask_app=other")
    assert result.returncode != 0, "run.yml accepted an app the host does not have"
    assert "flask_app=other" in result.output and APP in result.output, result.output[-3000:]


def test_app_reads_its_secret_key_from_the_shared_file(host, site):
    about = json.loads(site.https("/about").body)
    assert about["secret_key_sha256"] == secret_sha(SECRET), "the app does not run with instance/config.py's key"


def test_shared_file_is_root_owned_and_readable_by_the_app_group_only(host):
    shared = host.file(f"/etc/flask/{APP}/instance/config.py")
    assert (shared.user, shared.group, shared.mode) == ("root", APP, 0o640), (
        f"config.py is {shared.user}:{shared.group} {oct(shared.mode)}")
    link = host.file(f"{INSTANCE}/config.py")
    assert link.is_symlink and link.linked_to == f"/etc/flask/{APP}/instance/config.py"
    assert host.run(f"runuser -u {APP} -- sh -c 'echo x >> {INSTANCE}/config.py'").rc != 0, (
        "the app user can write its shared config file")


def test_release_links_the_shared_instance_folder(host):
    link = host.file(f"/srv/{APP}/current/app/instance")
    assert link.is_symlink and link.linked_to == INSTANCE, "the live release's instance folder is not the shared one"


def test_worker_and_timer_run_in_the_sandbox(host):
    state = release_state(host)
    worker = state["processes"][f"flask-{APP}-worker.service"]
    assert worker["active"] == "active" and worker["running_current"], f"worker: {worker}"
    assert state["timers"][f"flask-{APP}-tick.timer"]["active"] == "active", state["timers"]
    unit = host.run(f"systemctl show -p User,ProtectSystem,PrivateNetwork,ReadWritePaths flask-{APP}-worker.service").stdout
    for expected in (f"User={APP}", "ProtectSystem=strict", "PrivateNetwork=yes", f"ReadWritePaths=/srv/{APP}/data"):
        assert expected in unit, f"the worker's unit lacks {expected}:\n{unit}"


def test_worker_restarts_after_it_dies(host):
    unit = f"flask-{APP}-worker.service"
    first = host.check_output(f"systemctl show -p MainPID --value {unit}")
    assert first not in ("", "0"), f"{unit} has no main process"
    host.check_output(f"kill -KILL {first}")
    again = wait_for(f"{unit} back with a new process", lambda: (
        (pid := host.check_output(f"systemctl show -p MainPID --value {unit}")) not in ("", "0", first)
        and host.service(unit).is_running and pid), timeout=30)
    assert again != first


def test_worker_stops_with_sigterm_then_sigkill_after_30_s(host):
    """How systemd stops the worker (the behaviour itself is systemd's): SIGTERM to the
    command, SIGKILL to what is left after 30 s."""
    unit = f"flask-{APP}-worker.service"
    shown = dict(line.split("=", 1) for line in host.check_output(
        f"systemctl show -p KillSignal,SendSIGKILL,TimeoutStopUSec,KillMode {unit}").splitlines())
    assert shown == {"KillSignal": "15", "SendSIGKILL": "yes", "TimeoutStopUSec": "30s", "KillMode": "mixed"}, shown


def test_timer_fires(host):
    def count():
        log = host.file(f"{INSTANCE}/ticks.log")
        return len(log.content_string.splitlines()) if log.exists else 0

    before = count()
    wait_for("a new run of the tick timer", lambda: count() > before, timeout=40)


def test_note_survives_a_deploy_and_the_worker_follows(host, site, make_release):
    add_note(site, "written-on-v1")
    before = worker_status(host)
    result = deploy(make_release(2))
    assert result.returncode == 0, result.output[-3000:]
    page = notes(site)
    assert page["version"] == "2" and "written-on-v1" in [n["body"] for n in page["notes"]], page
    status = wait_for("the worker on release 2", lambda: (s := worker_status(host))["version"] == "2" and s)
    assert status["pid"] != before["pid"] and status["notes"] == 1, status
    # The release shipped its own instance/ with a file in it: it got the link instead.
    assert host.file(f"/srv/{APP}/current/app/instance").is_symlink
    assert host.file(f"{INSTANCE}/flaskr.sqlite").size > 1000, "the release's copy replaced the live database"


def test_timer_runs_the_new_release(host):
    wait_for("a tick from release 2", lambda: host.file(f"{INSTANCE}/ticks.log").content_string.splitlines()[-1]
             .endswith(" 2"), timeout=40)


def test_note_survives_a_rollback_and_the_worker_goes_back(host, site):
    add_note(site, "written-on-v2")
    result = rollback()
    assert result.returncode == 0, result.output[-3000:]
    page = notes(site)
    assert page["version"] != "2", page
    assert [n["body"] for n in page["notes"]] == ["written-on-v1", "written-on-v2"], page
    wait_for("the worker back on the earlier release", lambda: worker_status(host)["version"] != "2")


def test_release_whose_release_command_fails_never_goes_live(host, site, load, make_release):
    before = release_state(host)
    with load:
        result = deploy(make_release(3, migration="fail"))
    assert result.returncode != 0 and result.failed == 1, "a release whose migration failed was deployed"
    assert "migration 0002 failed" in result.output and "flask --app flaskr migrate" in result.output, (
        f"the failing command's output is not shown:\n{result.output[-3000:]}")
    load.assert_no_failure()
    assert len(set(load.versions)) == 1, f"versions answered: {load.versions}"
    after = release_state(host)
    assert after["current"] == before["current"] and after["releases"] == before["releases"], (
        "the refused release changed the releases on disk")
    assert len(notes(site)["notes"]) == 2


def test_notes_survive_a_prune(host, site, make_release):
    result = deploy(make_release(4), "-e", "flask_release_keep=2")
    assert result.returncode == 0, result.output[-3000:]
    state = release_state(host)
    assert len(state["release_dirs"]) == 2, f"nothing was pruned: {state}"
    page = notes(site)
    assert page["version"] == "4" and len(page["notes"]) == 2, page


def test_secret_shared_file_is_never_printed(host, site, make_release, tmp_path):
    new_secret = "rotated-" + os.urandom(8).hex()
    extra = tmp_path / "secret.json"
    extra.write_text(json.dumps({"flask_app_shared_files": [
        {"path": "instance/config.py", "content": f'SECRET_KEY = "{new_secret}"\n'}]}))
    start = time.time()
    result = deploy(make_release(4), "-e", f"@{extra}", "-vvv", "--diff")
    assert result.returncode == 0, result.output[-3000:]
    assert new_secret not in result.output, "the shared file's content appears in the play's output"
    journal = host.run(f"journalctl --since=@{int(start)} --no-pager").stdout
    assert new_secret not in journal, "the shared file's content appears in the journal"
    # The change restarted the app, which now runs with the new key.
    about = json.loads(site.https("/about").body)
    assert about["secret_key_sha256"] == secret_sha(new_secret), "the app kept the old key"


BAD_INPUTS = {
    "a shared path leaving the code directory": ({"flask_app_shared_paths": ["../x"]}, "flask_app_shared_paths item '../x'"),
    "an absolute shared path": ({"flask_app_shared_paths": ["/var/lib/x"]}, "flask_app_shared_paths item '/var/lib/x'"),
    "a duplicate shared path": ({"flask_app_shared_paths": ["instance", "instance"]}, "flask_app_shared_paths item 'instance'"),
    "an empty release command": ({"flask_app_release_commands": [" "]}, "flask_app_release_commands item"),
    "a process name unfit for a unit": ({"flask_app_processes": [{"name": "my worker", "command": "x"}]},
                                        'flask_app_processes item "my worker"'),
    "an invalid calendar": ({"flask_app_timers": [{"name": "tick", "command": "x", "on_calendar": "every tuesday-ish"}]},
                            "flask_app_timers item 'tick'"),
}


@pytest.mark.parametrize("case", BAD_INPUTS, ids=list(BAD_INPUTS))
def test_bad_input_fails_before_any_change(host, case, tmp_path):
    variables, message = BAD_INPUTS[case]
    extra = tmp_path / "bad.json"
    extra.write_text(json.dumps(variables))
    result = run_playbook(DEPLOY, "-e", f"@{extra}")
    assert result.returncode != 0 and result.failed == 1, f"{case} was accepted"
    assert message in result.output, f"the failure does not name {message!r}:\n{result.output[-2000:]}"
    assert result.changed == 0, f"{case} failed only after changes:\n{result.output[-2000:]}"


def test_a_process_no_longer_listed_is_stopped_and_removed_then_comes_back(host, site, tmp_path):
    """flask_processes removes the units of a process the app no longer lists (stopped,
    disabled, the file gone, systemd reloaded) and keeps the rest; listed again, it runs."""
    unit = f"flask-{APP}-worker.service"
    extra = tmp_path / "no-worker.json"
    extra.write_text(json.dumps({"flask_app_processes": []}))
    result = run_playbook(WEBSERVERS, "-e", f"@{extra}")
    assert result.returncode == 0 and result.changed > 0, result.output[-3000:]
    assert not host.file(f"/etc/systemd/system/{unit}").exists, "the dropped process's unit file is still there"
    shown = host.run(f"systemctl show -p LoadState,ActiveState {unit}").stdout
    assert "LoadState=not-found" in shown and "ActiveState=inactive" in shown, shown
    assert host.service(f"flask-{APP}-tick.timer").is_running, "the timer went with the dropped process"
    assert site.https("/").status == 200
    back = run_playbook(WEBSERVERS)
    assert back.returncode == 0, back.output[-3000:]
    assert host.service(unit).is_running and host.service(unit).is_enabled, "the process listed again does not run"

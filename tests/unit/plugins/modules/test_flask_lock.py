"""flask_lock: one run at a time per app, the same run renews, only the holder releases,
check mode takes nothing, and the operator's command is installed from the same code."""
import inspect
import json
import os
import stat

from ansible_collections.flaskops.production.plugins.module_utils import deploy_lock
from ansible_collections.flaskops.production.plugins.modules import flask_lock

from modulelib import run_module

ANA = {"run_id": "run-ana", "who": "ana@laptop", "purpose": "Deploy shop"}
BOB = {"run_id": "run-bob", "who": "CI job 42", "purpose": "Deploy shop"}


def take(tmp_path, holder, _check=False, **extra):
    args = dict(name="shop", holder=holder, dir=str(tmp_path / "locks"), command=str(tmp_path / "flask-lock"))
    args.update(extra)
    return run_module(flask_lock, args, check_mode=_check)


def test_a_free_lock_is_taken_with_its_holders_record(tmp_path):
    result = take(tmp_path, ANA)
    assert result["acquired"] and not result["renewed"], result
    record = json.loads((tmp_path / "locks/shop.lock").read_text())
    assert record["who"] == "ana@laptop" and record["app"] == "shop" and record["since_epoch"] > 0


def test_a_held_lock_refuses_another_run_and_names_the_holder(tmp_path):
    take(tmp_path, ANA)
    result = take(tmp_path, BOB)
    assert not result["acquired"], result
    assert result["holder"]["who"] == "ana@laptop"
    assert json.loads((tmp_path / "locks/shop.lock").read_text())["run_id"] == "run-ana"


def test_the_same_run_renews_its_lock(tmp_path):
    first = take(tmp_path, ANA)
    again = take(tmp_path, ANA)
    assert again["acquired"] and again["renewed"], again
    assert again["holder"]["since"] == first["holder"]["since"]


def test_each_app_has_its_own_lock(tmp_path):
    take(tmp_path, ANA)
    other = take(tmp_path, BOB, name="blog")
    assert other["acquired"], other


def test_a_waiting_run_takes_the_lock_once_it_is_released(tmp_path):
    directory = str(tmp_path / "locks")
    deploy_lock.acquire(directory, "shop", ANA)
    ticks = []

    def sleep(seconds):  # the holder lets go while the waiter sleeps its second second
        ticks.append(seconds)
        if len(ticks) == 2:
            deploy_lock.release(directory, "shop", "run-ana")

    clock = iter(range(100)).__next__
    result = deploy_lock.acquire(directory, "shop", BOB, wait=30, sleep=sleep, clock=clock)
    assert result["acquired"] and len(ticks) == 2, (result, ticks)


def test_a_waiting_run_gives_up_after_its_wait(tmp_path):
    directory = str(tmp_path / "locks")
    deploy_lock.acquire(directory, "shop", ANA)
    clock = iter(range(100)).__next__
    result = deploy_lock.acquire(directory, "shop", BOB, wait=5, sleep=lambda s: None, clock=clock)
    assert not result["acquired"] and result["waited"] >= 5, result


def test_only_the_holder_releases(tmp_path):
    take(tmp_path, ANA)
    args = dict(name="shop", dir=str(tmp_path / "locks"), state="released")
    refused = run_module(flask_lock, dict(args, run_id="run-bob"))
    assert not refused["released"] and refused["held"], refused
    assert (tmp_path / "locks/shop.lock").exists()
    released = run_module(flask_lock, dict(args, run_id="run-ana"))
    assert released["released"] and not (tmp_path / "locks/shop.lock").exists()


def test_clear_removes_whoever_holds_it(tmp_path):
    take(tmp_path, ANA)
    result = run_module(flask_lock, dict(name="shop", dir=str(tmp_path / "locks"), state="absent"))
    assert result["changed"] and result["cleared"] and result["holder"]["who"] == "ana@laptop"
    assert not (tmp_path / "locks/shop.lock").exists()


def test_check_mode_takes_and_installs_nothing_but_answers_as_a_real_run(tmp_path):
    free = take(tmp_path, BOB, _check=True)
    assert free["acquired"] and free["changed"], free  # the command would be installed
    assert not (tmp_path / "locks/shop.lock").exists() and not (tmp_path / "flask-lock").exists()
    take(tmp_path, ANA)
    held = take(tmp_path, BOB, _check=True)
    assert not held["acquired"] and held["holder"]["who"] == "ana@laptop", held


def test_the_operators_command_is_the_shared_code_and_drift_is_put_back(tmp_path):
    command = tmp_path / "flask-lock"
    first = take(tmp_path, ANA)
    assert first["changed"] and first["command_installed"]
    assert command.read_text() == inspect.getsource(deploy_lock)
    assert stat.S_IMODE(command.stat().st_mode) == 0o755
    assert not take(tmp_path, ANA)["changed"]
    with open(command, "a") as handle:
        handle.write("# drift\n")
    os.chmod(command, 0o644)
    repaired = take(tmp_path, ANA)
    assert repaired["changed"] and command.read_text() == inspect.getsource(deploy_lock)
    assert stat.S_IMODE(command.stat().st_mode) == 0o755


def test_the_operators_command_reads_a_lock(tmp_path, capsys):
    take(tmp_path, ANA)
    assert deploy_lock.main(["status", "shop", "--dir", str(tmp_path / "locks")]) == 0
    assert json.loads(capsys.readouterr().out)["holder"]["who"] == "ana@laptop"


def test_a_name_that_is_not_an_app_name_is_refused(tmp_path):
    result = take(tmp_path, ANA, name="../etc/passwd")
    assert result.get("failed") and "app name" in result["msg"], result

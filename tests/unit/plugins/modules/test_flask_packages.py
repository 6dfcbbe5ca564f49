"""flask_packages: an install starts only where a package is missing, runs apart from the
task and is waited for; check mode installs nothing; a failed install fails the wait with
apt-get's message."""
from ansible_collections.flaskops.production.plugins.modules import flask_packages

from modulelib import run_module


def args(tmp, **extra):
    return dict(dict(packages=["python3-venv", "git"], status=str(tmp / "status.json")), **extra)


def test_a_missing_package_is_installed_in_the_background_and_waited_for(apt):
    started = run_module(flask_packages, args(apt))
    assert started["changed"] and started["packages"] == ["git"], started
    finished = run_module(flask_packages, args(apt, state="finished"))
    assert not finished.get("failed") and "install" in finished["took"], finished
    assert "git" in (apt / "installed").read_text().split()
    assert not (apt / "status.json").exists(), "the status file was left"
    again = run_module(flask_packages, args(apt))
    assert not again["changed"] and again["packages"] == []


def test_check_mode_reports_the_missing_packages_and_installs_nothing(apt):
    started = run_module(flask_packages, args(apt), check_mode=True)
    assert started["changed"] and started["packages"] == ["git"]
    finished = run_module(flask_packages, args(apt, state="finished"), check_mode=True)
    assert not finished.get("failed") and not finished["changed"], finished
    assert not (apt / "apt.log").exists() and not (apt / "status.json").exists()


def test_a_failed_install_fails_the_wait_with_apt_gets_message(apt):
    (apt / "fail").write_text("")
    run_module(flask_packages, args(apt))
    finished = run_module(flask_packages, args(apt, state="finished"))
    assert finished["failed"] and "Unable to locate package nope" in finished["msg"], finished
    assert not (apt / "status.json").exists()


def test_a_wait_without_an_install_fails_only_if_a_package_is_missing(apt):
    missing = run_module(flask_packages, args(apt, state="finished"))
    assert missing["failed"] and "git" in missing["msg"], missing
    present = run_module(flask_packages, args(apt, state="finished", packages=["python3-venv"]))
    assert not present.get("failed") and not present["changed"], present

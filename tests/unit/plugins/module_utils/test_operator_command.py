"""operator_command.install_for: the command is installed from a module's code, once, and check mode writes nothing."""
import inspect
import os
from types import SimpleNamespace

from ansible_collections.flaskops.production.plugins.module_utils import deploy_lock, operator_command


def module(path, check_mode=False):
    return SimpleNamespace(params={"command": path}, check_mode=check_mode)


def test_check_mode_reports_the_install_and_writes_nothing(tmp_path):
    path = str(tmp_path / "flask-lock")
    result = {"changed": False}
    diff = operator_command.install_for(module(path, check_mode=True), deploy_lock, result)
    assert result == {"changed": True, "command_installed": True}
    assert diff == {"before": "", "after": inspect.getsource(deploy_lock), "before_header": path, "after_header": path}
    assert not os.path.exists(path)


def test_no_path_installs_nothing_and_keeps_changed():
    result = {"changed": True}
    assert operator_command.install_for(module(""), deploy_lock, result) is None
    assert result == {"changed": True, "command_installed": False}


def test_a_real_run_writes_the_code(tmp_path, monkeypatch):
    path = str(tmp_path / "flask-lock")
    monkeypatch.setattr(operator_command.os, "fchown", lambda fd, uid, gid: None)
    result = {"changed": False}
    assert operator_command.install_for(module(path), deploy_lock, result) is not None
    with open(path) as handle:
        assert handle.read() == inspect.getsource(deploy_lock)
    assert os.stat(path).st_mode & 0o7777 == 0o755
    assert result["command_installed"] is True

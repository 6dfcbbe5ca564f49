"""flask_command: the operator's commands are the collection's own module_utils files,
installed whole as root's 0755, put back when they drift, and left alone in check mode."""
import inspect
import os
import stat

from ansible_collections.flaskops.production.plugins.module_utils import deploy_lock, release_tool
from ansible_collections.flaskops.production.plugins.modules import flask_command

from modulelib import run_module


def install(path, name="flask-release", check=False):
    return run_module(flask_command, {"name": name, "path": str(path)}, check_mode=check, diff=True)


def test_installs_the_release_tool_from_the_shared_code_and_then_changes_nothing(tmp_path):
    path = tmp_path / "flask-release"
    first = install(path)
    assert first["changed"] and first["diff"]["before"] == "" and first["path"] == str(path)
    assert path.read_text() == inspect.getsource(release_tool)
    assert stat.S_IMODE(path.stat().st_mode) == 0o755 and path.stat().st_uid == 0
    assert install(path)["changed"] is False


def test_puts_back_an_edited_command_and_its_mode(tmp_path):
    path = tmp_path / "flask-lock"
    install(path, "flask-lock")
    with open(path, "a") as handle:
        handle.write("# drift\n")
    assert install(path, "flask-lock")["changed"]
    assert path.read_text() == inspect.getsource(deploy_lock)
    os.chmod(path, 0o644)
    assert install(path, "flask-lock")["changed"] and stat.S_IMODE(path.stat().st_mode) == 0o755


def test_check_mode_reports_the_install_and_writes_nothing(tmp_path):
    path = tmp_path / "flask-release"
    result = install(path, check=True)
    assert result["changed"] and "def cmd_status" in result["diff"]["after"]
    assert not path.exists() and os.listdir(tmp_path) == []

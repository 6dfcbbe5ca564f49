"""flask_release_state_info: what the host has of a release, read only; a bare host has the empty state."""
import os

from modulelib import run_module

from ansible_collections.flaskops.production.plugins.modules import flask_release_state_info

EMPTY = {"complete": False, "current_exists": False, "static": False, "checked": "", "current": None,
         "current_has_server": False, "stored_files": []}


def state(root, release="r2", check_mode=False, **extra):
    args = dict({"root": str(root), "id": release, "static_dir": "static", "server_dist": "gunicorn"}, **extra)
    result = run_module(flask_release_state_info, {"release": args}, check_mode=check_mode)
    assert not result.get("failed") and not result["changed"], result
    return {key: result[key] for key in EMPTY}


def test_a_bare_host_has_the_empty_state_in_check_mode_too(tmp_path):
    assert state(tmp_path / "missing", check_mode=True, files_dir=str(tmp_path / "nofiles")) == EMPTY


def test_a_live_release_and_a_complete_one(tmp_path):
    live = tmp_path / "releases" / "r1"
    (live / "venv/lib/python3.13/site-packages/gunicorn-23.0.0.dist-info").mkdir(parents=True)
    new = tmp_path / "releases" / "r2"
    (new / "app" / "static").mkdir(parents=True)
    (new / "release.json").write_text("{}")
    (new / "checked").write_text("stamp\n")
    os.symlink("releases/r1", tmp_path / "current")
    (tmp_path / "files" / "conf").mkdir(parents=True)
    (tmp_path / "files" / "conf" / "a.ini").write_text("")
    (tmp_path / "files" / "b.txt").write_text("")
    assert state(tmp_path, files_dir=str(tmp_path / "files")) == {
        "complete": True, "current_exists": True, "static": True, "checked": "stamp", "current": "r1",
        "current_has_server": True, "stored_files": ["b.txt", "conf/a.ini"]}
    assert not state(tmp_path, server_dist="waitress")["current_has_server"]
    assert state(tmp_path, server_dist="")["current_has_server"]
    assert not state(tmp_path, release="r1")["complete"]


def test_a_release_id_is_not_a_path(tmp_path):
    result = run_module(flask_release_state_info, {"release": {"root": str(tmp_path), "id": "../r1"}})
    assert result["failed"] and "release id" in result["msg"]
    assert run_module(flask_release_state_info, {})["failed"], "a lookup without a release"

"""flask_release_tree: links that leave the source refuse the release; setuid bits go."""
import os
import stat

import pytest
from modulelib import run_module

from ansible_collections.flaskops.production.plugins.module_utils.release_tree import TreeRefused, seal
from ansible_collections.flaskops.production.plugins.modules import flask_release_tree


@pytest.fixture(name="code")
def code_dir(tmp_path):
    code = tmp_path / "release" / "app"
    (code / "static").mkdir(parents=True)
    (code / "app.py").write_text("app = None\n")
    return code


def test_setuid_and_setgid_bits_are_stripped(code):
    tool = code / "tool.sh"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o6755)
    assert seal(str(code)) == ["tool.sh"]
    assert stat.S_IMODE(tool.stat().st_mode) == 0o755


def test_check_mode_reports_the_bits_and_keeps_them(code):
    tool = code / "tool.sh"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o4755)
    assert seal(str(code), check_mode=True) == ["tool.sh"]
    assert stat.S_IMODE(tool.stat().st_mode) == 0o4755


def test_an_absolute_link_is_refused_with_its_path(code):
    (code / "static" / "leak").symlink_to("/etc/passwd")
    with pytest.raises(TreeRefused, match=r"static/leak is a link that leaves"):
        seal(str(code))


def test_a_relative_link_that_climbs_out_is_refused(code):
    (code / "static" / "up").symlink_to("../../venv")
    with pytest.raises(TreeRefused, match=r"static/up"):
        seal(str(code))


def test_a_link_through_another_link_that_leaves_is_refused(code):
    (code / "out").symlink_to("..")
    with pytest.raises(TreeRefused, match=r"^out is a link"):
        seal(str(code))


def test_links_inside_the_source_are_kept(code):
    (code / "static" / "index.py").symlink_to("../app.py")
    (code / "same").symlink_to("static")
    assert seal(str(code)) == []
    assert os.path.islink(code / "same")


def test_a_fifo_is_refused(code):
    os.mkfifo(code / "pipe")
    with pytest.raises(TreeRefused, match=r"pipe is neither"):
        seal(str(code))


def test_fresh_removes_a_failed_build_and_makes_the_code_directory(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "chown", lambda *args, **kwargs: None)
    release = tmp_path / "r1"
    (release / "app" / "old").mkdir(parents=True)
    assert flask_release_tree.fresh(str(release), check_mode=False) is True
    assert os.listdir(release) == ["app"] and os.listdir(release / "app") == []
    assert stat.S_IMODE(release.stat().st_mode) == 0o755


def test_fresh_removes_a_link_without_following_it(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "chown", lambda *args, **kwargs: None)
    target = tmp_path / "elsewhere"
    (target / "keep").mkdir(parents=True)
    (tmp_path / "r1").symlink_to(target)
    flask_release_tree.fresh(str(tmp_path / "r1"), check_mode=False)
    assert (target / "keep").is_dir()
    assert not os.path.islink(tmp_path / "r1")


def test_fresh_in_check_mode_changes_nothing(tmp_path):
    release = tmp_path / "r1"
    (release / "app" / "old").mkdir(parents=True)
    assert flask_release_tree.fresh(str(release), check_mode=True) is True
    assert (release / "app" / "old").is_dir()


def test_the_module_names_the_outward_link(code):
    (code / "static" / "leak").symlink_to("/etc/passwd")
    result = run_module(flask_release_tree, {"release": str(code.parent), "state": "sealed"})
    assert result["failed"] and "static/leak is a link that leaves" in result["msg"]

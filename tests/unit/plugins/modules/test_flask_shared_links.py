"""flask_shared_links: links go where the spec says, live data stays, and no link the app
or its source controls is followed."""
import grp
import os
import pwd

import pytest

from ansible_collections.flaskops.production.plugins.modules import flask_shared_links

from modulelib import run_module

USER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


@pytest.fixture
def app(tmp_path):
    """An app root with one release, a data directory and a shared files directory."""
    for path in ("releases/r1/app", "data", "shared-files/instance"):
        (tmp_path / path).mkdir(parents=True)
    (tmp_path / "shared-files/instance/config.py").write_text("SECRET = 1\n")
    return tmp_path


def spec(root, **extra):
    args = dict(code=str(root / "releases/r1/app"), data=str(root / "data"),
                files_dir=str(root / "shared-files"), releases=str(root / "releases"),
                user=USER, group=GROUP, paths=[], files=[])
    args.update(extra)
    return args


def test_shared_path_is_made_in_data_and_linked_from_the_release(app):
    result = run_module(flask_shared_links, spec(app, paths=["uploads/images"]))
    assert result["changed"], result
    link = app / "releases/r1/app/uploads/images"
    assert os.readlink(link) == str(app / "data/uploads/images")
    assert (app / "data/uploads/images").is_dir()
    assert oct((app / "data/uploads").stat().st_mode & 0o7777) == "0o750"


def test_a_second_run_changes_nothing(app):
    args = spec(app, paths=["uploads"], files=["instance/config.py"])
    assert run_module(flask_shared_links, args)["changed"]
    again = run_module(flask_shared_links, args)
    assert not again["changed"] and again["actions"] == []


def test_the_releases_own_copy_is_replaced_and_live_data_kept(app):
    (app / "releases/r1/app/uploads").mkdir()
    (app / "releases/r1/app/uploads/from-git.txt").write_text("release copy")
    (app / "data/uploads").mkdir()
    (app / "data/uploads/user.png").write_text("live data")
    run_module(flask_shared_links, spec(app, paths=["uploads"]))
    assert os.path.islink(app / "releases/r1/app/uploads")
    assert (app / "data/uploads/user.png").read_text() == "live data"
    assert not (app / "data/uploads/from-git.txt").exists()


def test_check_mode_reports_and_changes_nothing(app):
    result = run_module(flask_shared_links, spec(app, paths=["uploads"], files=["instance/config.py"]),
                        check_mode=True, diff=True)
    assert result["changed"]
    assert "link %s" % (app / "releases/r1/app/uploads") in result["actions"]
    assert "mkdir %s" % (app / "data/uploads") in result["actions"]
    assert "link " in result["diff"]["prepared"]
    assert sorted(os.listdir(app / "data")) == []
    assert sorted(os.listdir(app / "releases/r1/app")) == []


def test_check_mode_agrees_with_the_real_run(app):
    args = spec(app, paths=["uploads", "instance"], files=["instance/config.py", "settings.py"])
    (app / "shared-files/settings.py").write_text("X = 1\n")
    preview = run_module(flask_shared_links, args, check_mode=True)
    real = run_module(flask_shared_links, args)
    assert preview["actions"] == real["actions"]


def test_a_committed_link_in_the_release_is_refused_and_its_target_untouched(app, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    (outside / "config.py").write_text("not the app's")
    os.symlink(str(outside), app / "releases/r1/app/instance")
    result = run_module(flask_shared_links, spec(app, files=["instance/config.py"]))
    assert result.get("failed"), result
    assert "releases/r1/app/instance is a symbolic link" in result["msg"]
    assert (outside / "config.py").read_text() == "not the app's"
    assert os.path.islink(app / "releases/r1/app/instance")


def test_a_link_the_app_planted_in_its_data_is_refused(app, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    os.symlink(str(outside), app / "data/uploads")
    result = run_module(flask_shared_links, spec(app, paths=["uploads/images"]))
    assert result.get("failed"), result
    assert "data/uploads is a symbolic link" in result["msg"]
    assert os.listdir(outside) == []


def test_a_file_the_app_wrote_where_a_shared_files_link_belongs_is_kept(app):
    (app / "data/instance").mkdir()
    (app / "data/instance/config.py").write_text("the app's own")
    result = run_module(flask_shared_links, spec(app, paths=["instance"], files=["instance/config.py"]))
    assert result.get("failed") and "move it away" in result["msg"], result
    assert (app / "data/instance/config.py").read_text() == "the app's own"


def test_a_dropped_shared_file_loses_its_links_but_stays(app):
    args = spec(app, files=["instance/config.py"])
    run_module(flask_shared_links, args)
    assert os.path.islink(app / "releases/r1/app/instance/config.py")
    result = run_module(flask_shared_links, dict(args, files=[]))
    assert result["changed"]
    assert not os.path.lexists(app / "releases/r1/app/instance/config.py")
    assert (app / "shared-files/instance/config.py").read_text() == "SECRET = 1\n"


def test_a_path_outside_its_directory_is_refused(app):
    result = run_module(flask_shared_links, spec(app, paths=["../escape"]))
    assert result.get("failed") and "without '..'" in result["msg"], result
    assert not (app / "escape").exists()


def test_check_mode_before_the_release_is_unpacked_reports_every_link(app):
    result = run_module(flask_shared_links, spec(app, code=str(app / "releases/r2/app"), paths=["uploads"],
                                                 files=["instance/config.py"]), check_mode=True)
    assert result["changed"] and result["actions"] == ["link uploads", "link instance/config.py"], result
    assert not (app / "releases/r2").exists() and os.listdir(app / "data") == []

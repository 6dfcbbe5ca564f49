"""flask_config: only what differs is written, a failed check puts every path back, and
check mode and --diff report exactly what the real run does."""
import grp
import os
import pwd
import stat

import pytest

from ansible_collections.flaskops.production.plugins.modules import flask_config

from modulelib import run_module

USER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


def item(path, **extra):
    return dict(dict(path=str(path), owner=USER, group=GROUP), **extra)


@pytest.fixture
def conf(tmp_path):
    """A directory with one file of the set already in place and one to come."""
    etc = tmp_path / "etc"
    etc.mkdir(mode=0o755)
    (etc / "kept.conf").write_text("kept\n")
    os.chmod(etc / "kept.conf", 0o644)
    return etc


def spec(etc, **extra):
    files = [item(etc, mode="0755"),
             item(etc / "kept.conf", content="kept\n"),
             item(etc / "new.conf", content="new\n", mode="0640")]
    return dict(dict(files=files), **extra)


def test_only_what_differs_is_written(conf):
    kept = os.stat(conf / "kept.conf").st_ino
    result = run_module(flask_config, spec(conf))
    assert result["changed"] and result["changed_paths"] == [str(conf / "new.conf")], result
    assert (conf / "new.conf").read_text() == "new\n"
    assert stat.S_IMODE(os.stat(conf / "new.conf").st_mode) == 0o640
    assert os.stat(conf / "kept.conf").st_ino == kept, "an unchanged file was rewritten"
    again = run_module(flask_config, spec(conf))
    assert not again["changed"] and again["changed_paths"] == [], again


def test_mode_drift_is_a_change_with_a_diff(conf):
    os.chmod(conf / "kept.conf", 0o600)
    result = run_module(flask_config, spec(conf), diff=True)
    assert str(conf / "kept.conf") in result["changed_paths"]
    meta = [d for d in result["diff"] if d["before_header"].startswith(str(conf / "kept.conf"))]
    assert meta and "mode 0600" in meta[0]["before"] and "mode 0644" in meta[0]["after"], result["diff"]
    assert stat.S_IMODE(os.stat(conf / "kept.conf").st_mode) == 0o644


def test_check_mode_changes_nothing_and_reports_what_the_real_run_does(conf):
    (conf / "kept.conf").write_text("edited\n")
    (conf / "gone.conf").write_text("old\n")
    args = spec(conf)
    args["files"].append(item(conf / "gone.conf", state="absent"))
    checked = run_module(flask_config, args, check_mode=True, diff=True)
    assert (conf / "kept.conf").read_text() == "edited\n" and not (conf / "new.conf").exists()
    assert (conf / "gone.conf").exists()
    real = run_module(flask_config, args, diff=True)
    for key in ("changed", "changed_paths", "actions", "diff"):
        assert checked[key] == real[key], key
    assert not (conf / "gone.conf").exists()
    kept = [d for d in real["diff"] if d["before_header"] == str(conf / "kept.conf")]
    assert kept == [{"before_header": str(conf / "kept.conf"), "after_header": str(conf / "kept.conf"),
                     "before": "edited\n", "after": "kept\n"}]


def test_hidden_file_shows_no_content(conf):
    args = dict(files=[item(conf / "secret.env", content="KEY=s3cret\n", mode="0600", diff=False)])
    result = run_module(flask_config, args, diff=True)
    assert "s3cret" not in repr(result), result
    assert result["diff"][0]["after"].startswith("(content hidden")
    assert (conf / "secret.env").read_text() == "KEY=s3cret\n"


def test_link_at_a_file_is_replaced_not_followed(conf, tmp_path):
    outside = tmp_path / "outside"
    outside.write_text("precious\n")
    os.symlink(outside, conf / "new.conf")
    result = run_module(flask_config, spec(conf))
    assert not result.get("failed"), result
    assert outside.read_text() == "precious\n", "the write followed the link"
    assert not os.path.islink(conf / "new.conf") and (conf / "new.conf").read_text() == "new\n"


def test_link_where_a_directory_belongs_is_refused(conf, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", conf / "sub")
    result = run_module(flask_config, dict(files=[item(conf / "sub", mode="0755")]))
    assert result["failed"] and "where a directory belongs" in result["msg"], result


def test_failed_validate_writes_nothing(conf):
    args = spec(conf)
    args["files"][2]["validate"] = "/bin/sh -c 'grep -q good %s'"
    args["files"].insert(1, item(conf / "first.conf", content="first\n"))
    result = run_module(flask_config, args)
    assert result["failed"] and str(conf / "new.conf") in result["msg"], result
    assert not (conf / "new.conf").exists() and not (conf / "first.conf").exists()
    args["files"][3]["content"] = "good\n"
    assert run_module(flask_config, args)["changed"]
    assert (conf / "new.conf").read_text() == "good\n"


def test_failed_check_restores_every_path(conf):
    (conf / "kept.conf").write_text("old\n")
    (conf / "gone.conf").write_text("back\n")
    os.symlink("kept.conf", conf / "alias.conf")
    args = spec(conf, checks=[{"argv": ["/bin/sh", "-c", "echo 'bad directive' >&2; exit 1"],
                               "msg": "the checker rejected the new configuration"}])
    args["files"] += [item(conf / "sub", mode="0700"), item(conf / "gone.conf", state="absent"),
                      item(conf / "alias.conf", content="real\n")]
    result = run_module(flask_config, args)
    assert result["failed"], result
    assert "the checker rejected the new configuration" in result["msg"] and "bad directive" in result["msg"]
    assert (conf / "kept.conf").read_text() == "old\n"
    assert not (conf / "new.conf").exists() and not (conf / "sub").exists()
    assert (conf / "gone.conf").read_text() == "back\n"
    assert os.readlink(conf / "alias.conf") == "kept.conf"
    assert sorted(os.listdir(conf)) == ["alias.conf", "gone.conf", "kept.conf"], "a temporary file was left"


def test_check_runs_only_when_its_paths_changed(conf):
    marker = conf.parent / "ran"
    args = spec(conf, checks=[{"argv": ["touch", str(marker)], "paths": [str(conf / "kept.conf")]}])
    run_module(flask_config, args)
    assert not marker.exists(), "the check ran though none of its paths changed"
    (conf / "kept.conf").write_text("drift\n")
    run_module(flask_config, args)
    assert marker.exists()


def test_unit_actions_follow_the_changed_paths(monkeypatch, conf):
    """systemctl is the one thing faked here: is-active and is-enabled answer from a table,
    and every other call is recorded."""
    calls = []
    active = {"a.socket": "active", "a.service": "active", "b.service": "inactive"}

    def fake(self, argv, **kwargs):
        if isinstance(argv, list) and argv[0] == "systemctl":
            if argv[1] == "is-active":
                return 0, active[argv[2]] + "\n", ""
            if argv[1] == "is-enabled":
                return 0, "enabled\n", ""
            calls.append(argv[1:])
            return 0, "", ""
        return real(self, argv, **kwargs)

    real = flask_config.AnsibleModule.run_command
    monkeypatch.setattr(flask_config.AnsibleModule, "run_command", fake)
    sock, conf_py = str(conf / "kept.conf"), str(conf / "new.conf")
    units = [{"name": "a.socket", "restart_when": [sock]},
             {"name": "a.service", "restart_when": [sock], "reload_when": [conf_py]},
             {"name": "b.service", "reload_when": [conf_py]}]
    (conf / "kept.conf").write_text("drift\n")
    checked = run_module(flask_config, spec(conf, units=units), check_mode=True)
    assert calls == []
    result = run_module(flask_config, spec(conf, units=units))
    assert result["actions"] == checked["actions"] == ["restart a.socket", "restart a.service", "start b.service"]
    assert calls == [["stop", "a.service"], ["stop", "a.socket"], ["start", "a.socket"],
                     ["start", "a.service"], ["start", "b.service"]]
    calls.clear()
    (conf / "new.conf").write_text("drift\n")
    result = run_module(flask_config, spec(conf, units=units))
    assert result["actions"] == ["start b.service", "reload a.service"]


def test_check_mode_accepts_a_group_an_earlier_task_would_make(conf):
    args = dict(files=[item(conf / "app.conf", content="x\n", group="no-such-group-yet")])
    checked = run_module(flask_config, args, check_mode=True, diff=True)
    assert checked["changed"] and not checked.get("failed"), checked
    assert "group no-such-group-yet" in checked["diff"][-1]["after"]
    real = run_module(flask_config, args)
    assert real["failed"] and "no-such-group-yet does not exist" in real["msg"], real

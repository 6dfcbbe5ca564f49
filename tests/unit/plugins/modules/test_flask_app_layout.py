"""flask_app_layout: accounts, directories and files are made only where they differ,
check mode and --diff report what the real run does, and a file's secret content never
appears in the result."""
import grp
import json
import os
import pwd
import stat

import pytest

from ansible_collections.flaskops.production.plugins.modules import flask_app_layout, flask_packages

from modulelib import run_module

USER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name
ME = pwd.getpwnam(USER)


@pytest.fixture
def host(tmp_path, monkeypatch):
    """The accounts are the test's own user and group (no root needed); dpkg-query is a stub."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stub = bin_dir / "dpkg-query"
    stub.write_text("#!/bin/sh\necho 'python3-venv ii '\necho 'git un '\n")
    stub.chmod(0o755)
    monkeypatch.setenv("PATH", "%s:%s" % (bin_dir, os.environ["PATH"]))
    return tmp_path


def spec(root, **extra):
    return dict(dict(
        group=GROUP, user=USER, home=ME.pw_dir, shell=ME.pw_shell, comment=ME.pw_gecos,
        dirs=[dict(path=str(root / "app"), owner=USER, group=GROUP, mode="0755")],
        files=[dict(path=str(root / "app" / "keys.txt"), content="aa\nbb\n", owner=USER, group=GROUP),
               dict(path=str(root / "app" / "app.env.next"), content="SECRET=s3cr3t-value\n", owner=USER,
                    group=GROUP, mode="0640", diff=False)],
        compare=[dict(path=str(root / "app" / "app.env"), content="SECRET=s3cr3t-value\n", owner=USER,
                      group=GROUP, mode="0640", diff=False)],
        packages=["python3-venv", "git"]), **extra)


def test_makes_what_is_missing_then_changes_nothing(host):
    result = run_module(flask_app_layout, spec(host))
    assert result["changed"] and result["accounts"] == [], result
    assert result["changed_paths"] == [str(host / "app"), str(host / "app" / "keys.txt"), str(host / "app" / "app.env.next")]
    assert (host / "app" / "app.env.next").read_text() == "SECRET=s3cr3t-value\n"
    assert stat.S_IMODE(os.stat(host / "app" / "app.env.next").st_mode) == 0o640
    assert result["differs"] == [str(host / "app" / "app.env")], "the compared file is absent"
    assert not (host / "app" / "app.env").exists(), "a compared file was written"
    assert result["packages_missing"] == ["git"]
    again = run_module(flask_app_layout, spec(host))
    assert not again["changed"] and again["changed_paths"] == [], again


def test_check_mode_changes_nothing_and_reports_what_the_real_run_does(host):
    run_module(flask_app_layout, spec(host))
    (host / "app" / "keys.txt").write_text("aa\nbb\ndrift\n")
    os.chmod(host / "app", 0o700)
    checked = run_module(flask_app_layout, spec(host), check_mode=True, diff=True)
    assert stat.S_IMODE(os.stat(host / "app").st_mode) == 0o700, "check mode changed a mode"
    assert (host / "app" / "keys.txt").read_text().endswith("drift\n"), "check mode wrote a file"
    real = run_module(flask_app_layout, spec(host), diff=True)
    assert checked["changed"] and checked["changed_paths"] == real["changed_paths"] == [str(host / "app"), str(host / "app" / "keys.txt")]
    assert checked["diff"] == real["diff"]
    headers = " ".join(d["before_header"] for d in checked["diff"])
    assert str(host / "app") in headers and str(host / "app" / "keys.txt") in headers
    assert any("drift" in d["before"] for d in checked["diff"]), "the public file's content diff is missing"
    assert any("mode 0700" in d["before"] and "mode 0755" in d["after"] for d in checked["diff"]), checked["diff"]


def test_secret_content_is_never_in_the_result(host):
    run_module(flask_app_layout, spec(host))
    os.chmod(host / "app" / "app.env.next", 0o644)
    (host / "app" / "app.env").write_text("SECRET=old-value\n")
    args = spec(host)
    for item in args["files"][1:] + args["compare"]:
        item["content"] = "SECRET=new-value\n"
    result = run_module(flask_app_layout, args, check_mode=True, diff=True)
    text = json.dumps(result)
    assert "new-value" not in text and "old-value" not in text, text
    assert str(host / "app" / "app.env.next") in result["changed_paths"]
    assert result["differs"] == [str(host / "app" / "app.env")]
    assert any(d["before_header"].startswith(str(host / "app" / "app.env.next")) for d in result["diff"])


def test_a_user_whose_comment_differs_is_set_and_shown(host):
    args = spec(host, comment="flaskops app shop")
    result = run_module(flask_app_layout, args, check_mode=True, diff=True)
    assert result["changed"] and result["accounts"] == ["user " + USER], result
    account = [d for d in result["diff"] if d["before_header"] == "user " + USER][0]
    assert "comment 'flaskops app shop'" in account["after"] and "comment 'flaskops app shop'" not in account["before"]


def test_a_missing_group_and_user_are_made_with_groupadd_and_useradd(host, monkeypatch):
    calls = []
    monkeypatch.setattr(flask_app_layout.AnsibleModule, "run_command",
                        lambda self, argv, **kw: calls.append(argv) or (0, "", ""))
    args = spec(host, user="flaskops-nobody-here", group="flaskops-no-group", comment="flaskops app x", dirs=[], files=[],
                compare=[], packages=[])
    checked = run_module(flask_app_layout, args, check_mode=True)
    assert checked["accounts"] == ["group flaskops-no-group", "user flaskops-nobody-here"] and calls == []
    run_module(flask_app_layout, args)
    assert calls[0] == ["groupadd", "--system", "flaskops-no-group"]
    assert calls[1][:3] == ["useradd", "--system", "--gid"] and "--no-create-home" in calls[1]
    assert calls[1][-1] == "flaskops-nobody-here" and "flaskops app x" in calls[1]


def test_a_link_where_a_directory_belongs_is_refused(host):
    (host / "elsewhere").mkdir()
    os.symlink(host / "elsewhere", host / "app")
    result = run_module(flask_app_layout, spec(host))
    assert result.get("failed") and "link" in result["msg"], result


def test_a_file_given_by_its_digest_asks_for_its_content_only_where_it_differs(host):
    import hashlib
    run_module(flask_app_layout, spec(host))
    by_digest = spec(host)
    keys = by_digest["files"][0]
    keys["sha1"] = hashlib.sha1(keys.pop("content").encode()).hexdigest()
    by_digest["compare"][0]["sha1"] = hashlib.sha1(b"SECRET=other\n").hexdigest()
    del by_digest["compare"][0]["content"]
    same = run_module(flask_app_layout, by_digest)
    assert not same["changed"] and same["need_content"] == [] and same["differs"] == [str(host / "app" / "app.env")]
    os.chmod(host / "app" / "keys.txt", 0o600)
    mode_only = run_module(flask_app_layout, by_digest)
    assert mode_only["changed_paths"] == [str(host / "app" / "keys.txt")], mode_only
    assert (host / "app" / "keys.txt").read_text() == "aa\nbb\n"
    (host / "app" / "keys.txt").write_text("drift\n")
    os.chmod(host / "app", 0o700)
    asks = run_module(flask_app_layout, by_digest)
    assert asks["need_content"] == [str(host / "app" / "keys.txt")] and not asks["changed"], asks
    assert stat.S_IMODE(os.stat(host / "app").st_mode) == 0o700, "a call that asked for content changed something"


def keyed_spec(root, **extra):
    """The spec with the env candidate keyed under a key file in root."""
    args = spec(root, checksum_key=dict(path=str(root / "checksum.key"), owner=USER), **extra)
    args["files"][1]["keyed"] = True
    return args


def test_a_missing_key_is_drawn_once_and_never_returned(host):
    first = run_module(flask_app_layout, keyed_spec(host), diff=True)
    key = (host / "checksum.key").read_text().strip()
    assert len(key) == 43 and key.isalnum()
    assert stat.S_IMODE(os.stat(host / "checksum.key").st_mode) == 0o600
    assert first["changed"] and str(host / "checksum.key") in first["changed_paths"]
    assert key not in json.dumps(first), "the key left the host"
    digest = first["keyed"][str(host / "app" / "app.env.next")]
    assert len(digest) == 64
    again = run_module(flask_app_layout, keyed_spec(host))
    assert not again["changed"], again
    assert again["keyed"] == first["keyed"], "the same key and content gave another digest"
    changed = keyed_spec(host)
    changed["files"][1]["content"] = "SECRET=other\n"
    assert run_module(flask_app_layout, changed)["keyed"][str(host / "app" / "app.env.next")] != digest


def test_another_key_gives_another_digest(host):
    first = run_module(flask_app_layout, keyed_spec(host))
    os.unlink(host / "checksum.key")
    second = run_module(flask_app_layout, keyed_spec(host))
    assert second["changed"] and second["keyed"] != first["keyed"]


def test_check_mode_draws_a_key_for_the_run_and_writes_nothing(host):
    result = run_module(flask_app_layout, keyed_spec(host), check_mode=True, diff=True)
    assert result["changed"] and result["keyed"] and not (host / "checksum.key").exists()
    assert any(d["before_header"] == str(host / "checksum.key") and "hidden" in d["after"] for d in result["diff"])


def test_a_readable_or_linked_key_is_drawn_again_without_following_the_link(host):
    (host / "checksum.key").write_text("guessable\n")
    os.chmod(host / "checksum.key", 0o644)
    result = run_module(flask_app_layout, keyed_spec(host))
    assert result["changed"] and (host / "checksum.key").read_text().strip() != "guessable"
    assert stat.S_IMODE(os.stat(host / "checksum.key").st_mode) == 0o600
    target = host / "elsewhere"
    target.write_text("theirs\n")
    os.chmod(target, 0o600)
    os.unlink(host / "checksum.key")
    os.symlink(target, host / "checksum.key")
    result = run_module(flask_app_layout, keyed_spec(host))
    assert result["changed"] and target.read_text() == "theirs\n", "the link was followed"
    assert not os.path.islink(host / "checksum.key")


def test_the_release_is_looked_up_in_the_same_call(host):
    args = spec(host, release=dict(root=str(host / "app"), id="abc123", static_dir="static"))
    bare = run_module(flask_app_layout, args, check_mode=True)
    assert bare["release"]["complete"] is False and bare["release"]["current"] is None
    release = host / "app" / "releases" / "abc123"
    (release / "app" / "static").mkdir(parents=True)
    (release / "release.json").write_text("{}")
    (release / "checked").write_text("stamp\n")
    os.symlink("releases/abc123", host / "app" / "current")
    found = run_module(flask_app_layout, args)["release"]
    assert found["complete"] and found["current"] == "abc123" and found["static"] and found["checked"] == "stamp"
    args["release"]["id"] = "../abc123"
    refused = run_module(flask_app_layout, args)
    assert refused["failed"] and "not a path" in refused["msg"]


def test_a_missing_package_starts_its_install_in_the_same_call(apt):
    """apt (conftest) stubs dpkg-query and apt-get: python3-venv is installed, git is not."""
    args = spec(apt, status=str(apt / "status.json"))
    checked = run_module(flask_app_layout, args, check_mode=True)
    assert checked["changed"] and checked["packages_missing"] == ["git"] and not checked["packages_started"]
    assert not (apt / "status.json").exists() and not (apt / "apt.log").exists(), "check mode started apt"
    started = run_module(flask_app_layout, args)
    assert started["packages_started"] and started["packages_missing"] == ["git"], started
    finished = run_module(flask_packages, dict(state="finished", packages=args["packages"], status=args["status"]))
    assert not finished.get("failed") and "git" in (apt / "installed").read_text().split(), finished
    again = run_module(flask_app_layout, args)
    assert not again["changed"] and again["packages_missing"] == [] and not again["packages_started"], again
    assert (apt / "apt.log").read_text().count("install") == 1, "apt ran again with nothing missing"

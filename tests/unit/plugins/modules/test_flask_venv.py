"""flask_venv: requirements that read outside the release are refused; pip runs as the
app's user in a sandbox and what it wrote is root's again, without following links."""
import os
import stat

import pytest
from modulelib import run_module

from ansible_collections.flaskops.production.plugins.module_utils import app_sandbox
from ansible_collections.flaskops.production.plugins.modules import flask_venv


@pytest.fixture(name="code")
def code_dir(tmp_path):
    code = tmp_path / "release" / "app"
    code.mkdir(parents=True)
    return code


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("line", ["-r /etc/flask/other.env", "--requirement=/etc/flask/other.env",
                                  "-r../../../etc/flask/other.env", "-c ../constraints.txt",
                                  "--constraint file:///etc/shadow"])
def test_a_line_that_reads_outside_the_release_is_refused_naming_it(code, line):
    path = write(code / "requirements.txt", "flask==3.1.0\n" + line + "\n")
    with pytest.raises(flask_venv.Refused, match=r"requirements.txt line 2 \(%s\)" % line.replace("(", r"\(")):
        flask_venv.check_requirements(str(code), path)


def test_a_nested_file_inside_the_release_is_followed(code):
    write(code / "reqs" / "base.txt", "-r /etc/passwd\n")
    path = write(code / "requirements.txt", "-r reqs/base.txt\n")
    with pytest.raises(flask_venv.Refused, match=r"reqs/base.txt line 1"):
        flask_venv.check_requirements(str(code), path)


def test_plain_requirements_pass(code):
    write(code / "constraints.txt", "flask<4\n")
    path = write(code / "requirements.txt", "flask==3.1.0\n-c constraints.txt\n./vendor/x-1.0.tar.gz\n")
    flask_venv.check_requirements(str(code), path)


def test_a_linked_requirements_file_is_refused(code):
    write(code / "real.txt", "flask\n")
    os.symlink("real.txt", code / "requirements.txt")
    with pytest.raises(flask_venv.Refused, match=r"requirements.txt is a link"):
        flask_venv.check_requirements(str(code), str(code / "requirements.txt"))


def test_inputs_naming_files_or_urls_have_no_digest():
    assert flask_venv.inputs_digest("flask==3.1.0\n", ["gunicorn==23.0.0"])
    assert flask_venv.inputs_digest("./vendor/x.tar.gz\n", []) is None
    assert flask_venv.inputs_digest("", ["pkg @ https://user:pw@example.invalid/x.whl"]) is None


def test_the_live_venv_is_copied_when_the_inputs_are_the_same(tmp_path):
    root = tmp_path / "srv"
    live = root / "releases" / "old"
    write(live / "venv" / "bin" / "python", "")
    digest = flask_venv.inputs_digest("flask\n", [])
    write(live / "venv-inputs", digest + "\n")
    os.symlink("releases/old", root / "current")
    write(root / "releases" / "new" / "app" / "requirements.txt", "flask\n")
    params = {"release": str(root / "releases" / "new"), "root": str(root), "requirements": "requirements.txt",
              "inputs": [], "reuse": True, "seed": None}
    assert flask_venv.plan(params) == (digest, ("live", str(live)))
    write(root / "releases" / "new" / "app" / "requirements.txt", "flask\nrequests\n")
    assert flask_venv.plan(params)[1] == ("build", None)


def test_pip_runs_in_a_unit_with_the_floor_and_only_the_venv_writable():
    argv = app_sandbox.unit_argv(["/srv/a/releases/r/venv/bin/pip", "install", "pkg$HOME"], "a", "a",
                                 ["ProtectSystem=strict", "ReadWritePaths=/srv/a/releases/r/venv"], 900,
                                 "/srv/a/releases/r/app", env={"HOME": "/tmp"})
    assert argv[:2] == ["systemd-run", "--wait"] and "--pipe" in argv and "--collect" in argv
    for prop in ["User=a", "Group=a", "NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes",
                 "ProtectHome=yes", "RuntimeMaxSec=900", "ReadWritePaths=/srv/a/releases/r/venv"]:
        assert "--property=" + prop in argv
    assert argv[-1] == "pkg$$HOME", "systemd would expand $HOME in the unit's command"


def test_what_the_app_wrote_is_handed_back_without_following_links(tmp_path):
    venv = tmp_path / "venv"
    write(venv / "bin" / "tool", "")
    os.chmod(venv / "bin" / "tool", 0o6777)
    (venv / "lib").mkdir()
    os.chmod(venv / "lib", 0o777)
    outside = tmp_path / "outside"
    outside.write_text("x")
    os.chmod(outside, 0o4755)
    os.symlink(str(outside), venv / "bin" / "link")
    stripped = app_sandbox.hand_back(str(venv), os.getuid(), os.getgid())
    assert sorted(stripped) == ["bin/tool", "lib"]
    assert stat.S_IMODE((venv / "bin" / "tool").stat().st_mode) == 0o755
    assert stat.S_IMODE((venv / "lib").stat().st_mode) == 0o755
    assert stat.S_IMODE(outside.stat().st_mode) == 0o4755, "the walk followed a link"


@pytest.mark.parametrize("text, shown", [
    ("Looking in https://user:p@ss@index.invalid/simple", "Looking in https://***@index.invalid/simple"),
    ("git+https://tok@host.invalid/x.git and http://a:b@c.invalid/", "git+https://***@host.invalid/x.git and http://***@c.invalid/"),
    ("no url here", "no url here"),
])
def test_pip_output_is_redacted(text, shown):
    assert app_sandbox.redact(text) == shown


def test_check_mode_reports_the_build_and_changes_nothing(tmp_path):
    release = tmp_path / "srv" / "releases" / "new"
    write(release / "app" / "requirements.txt", "flask\n")
    result = run_module(flask_venv, {"release": str(release), "root": str(tmp_path / "srv"),
                                     "requirements": "requirements.txt", "user": "nobody", "group": "nogroup"},
                        check_mode=True)
    assert result["changed"] and result["reused"] is False and result["from"] is None
    assert sorted(os.listdir(release)) == ["app"], "check mode wrote into the release"


def test_a_refused_line_fails_before_anything_is_made(tmp_path):
    release = tmp_path / "srv" / "releases" / "new"
    write(release / "app" / "requirements.txt", "-r /etc/flask/other.env\n")
    result = run_module(flask_venv, {"release": str(release), "root": str(tmp_path / "srv"),
                                     "requirements": "requirements.txt", "user": "nobody", "group": "nogroup"})
    assert result["failed"] and "requirements.txt line 1 (-r /etc/flask/other.env)" in result["msg"]
    assert sorted(os.listdir(release)) == ["app"]


def test_packages_reach_pip_in_a_private_file_not_on_its_command_line(tmp_path, monkeypatch):
    release = tmp_path / "release"
    (release / "app").mkdir(parents=True)
    (release / "venv").mkdir()
    url = "https://deploy:s3cret@packages.invalid/pkg-1.0-py3-none-any.whl"
    seen = {}

    def fake_run_unit(command, user, group, properties, timeout, workdir, env=None, env_file=None):
        listed = command[command.index("--requirement") + 1]
        found = os.stat(listed)
        seen.update(command=command, mode=stat.S_IMODE(found.st_mode), uid=found.st_uid,
                    text=open(listed, encoding="utf-8").read())
        return 0, "", ""

    monkeypatch.setattr(flask_venv, "run_unit", fake_run_unit)
    monkeypatch.setattr(flask_venv, "hand_over", lambda *args: None)
    monkeypatch.setattr(flask_venv, "hand_back", lambda *args: [])
    monkeypatch.setattr(flask_venv.pwd, "getpwnam", lambda name: flask_venv.pwd.getpwuid(os.getuid()))
    monkeypatch.setattr(flask_venv.grp, "getgrnam", lambda name: flask_venv.grp.getgrgid(os.getgid()))

    class Module:
        params = {"release": str(release), "packages": [url, "gunicorn==23.0.0"], "user": "app", "group": "app",
                  "sandbox": [], "timeout": 60}

        def fail_json(self, **result):
            raise AssertionError(result)

    flask_venv.pip_install(Module(), str(release / "venv"), "")
    assert not any("s3cret" in arg for arg in seen["command"]), seen["command"]
    assert seen["text"] == url + "\ngunicorn==23.0.0\n"
    assert (seen["mode"], seen["uid"]) == (0o600, os.getuid())
    assert not (release / flask_venv.PACKAGES_FILE).exists(), "the packages file outlived pip"

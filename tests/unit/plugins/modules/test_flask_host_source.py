"""flask_host_source: a directory already on the host gets the digest the controller's
pack gives the same files, is packed by its owner (never root) with the packer's own
script, and is unpacked into a fresh release; check mode writes nothing."""
import os
import subprocess
import sys

import pytest

from ansible_collections.flaskops.production.plugins.module_utils import source_pack
from ansible_collections.flaskops.production.plugins.modules import flask_host_source

from modulelib import run_module


@pytest.fixture(name="packer")
def direct_packer(monkeypatch):
    """The packer's script run directly (no systemd here), as it runs in its unit; the users
    it was run as are recorded."""
    users = []

    def pack_as(user, top, timeout):
        users.append(user)
        done = subprocess.run([sys.executable, "-I", "-c", flask_host_source.packer_script(), top],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, check=False)
        return done.returncode, done.stdout, done.stderr.decode()

    monkeypatch.setattr(flask_host_source, "pack_as", pack_as)
    return users


@pytest.fixture(name="src")
def app_dir(tmp_path):
    src = tmp_path / "shop"
    (src / "templates").mkdir(parents=True)
    (src / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    (src / "templates" / "index.html").write_text("<p>shop</p>\n")
    (src / ".git").mkdir()
    (src / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (src / "venv" / "bin").mkdir(parents=True)
    (src / "__pycache__").mkdir()
    os.symlink("templates/index.html", src / "home.html")
    return src


def call(**args):
    check = args.pop("_check", False)
    return run_module(flask_host_source, args, check_mode=check)


def test_the_digest_is_the_controllers_for_the_same_files(src, packer):
    result = call(src=str(src), user="nobody")
    assert not result.get("failed"), result
    assert result["digest"] == source_pack.pack(str(src))[0] and not result["changed"]
    assert packer == ["nobody"]


def test_root_never_packs_a_source(src, packer):
    # tmp_path is root's here: the owner found is root, and root named is refused too.
    for args in ({}, {"user": "root"}):
        result = call(src=str(src), **args)
        assert result["failed"] and "would be read by root" in result["msg"], result
    assert packer == []


def test_a_release_gets_the_files_without_vcs_venv_or_bytecode(src, packer, tmp_path):
    digest = call(src=str(src), user="nobody")["digest"]
    release = tmp_path / "releases" / digest[:12]
    release.parent.mkdir()
    result = call(src=str(src), user="nobody", digest=digest, release=str(release))
    assert result["changed"] and not result.get("failed"), result
    code = release / "app"
    assert sorted(os.listdir(code)) == ["app.py", "home.html", "templates"]
    assert os.readlink(code / "home.html") == "templates/index.html"
    assert (code / "app.py").stat().st_mode & 0o777 == 0o644 and (code / "app.py").stat().st_uid == 0


def test_a_source_changed_since_its_digest_is_refused(src, packer, tmp_path):
    digest = call(src=str(src), user="nobody")["digest"]
    (src / "app.py").write_text("changed\n")
    result = call(src=str(src), user="nobody", digest=digest, release=str(tmp_path / "releases" / "x"))
    assert result["failed"] and "changed while it was deployed" in result["msg"], result
    assert not (tmp_path / "releases").exists()


def test_check_mode_digests_and_writes_nothing(src, packer, tmp_path):
    release = tmp_path / "releases" / "x"
    result = call(src=str(src), user="nobody", release=str(release), _check=True)
    assert result["changed"] and result["digest"] == source_pack.pack(str(src))[0], result
    assert not release.exists()


def test_a_fifo_in_the_source_refuses_it_with_its_path(src, packer):
    os.mkfifo(src / "queue")
    result = call(src=str(src), user="nobody")
    assert result["failed"] and "queue is neither a file, a directory nor a link" in result["msg"], result


def test_a_missing_directory_is_named(tmp_path, packer):
    result = call(src=str(tmp_path / "gone"), user="nobody")
    assert result["failed"] and "gone" in result["msg"] and packer == [], result

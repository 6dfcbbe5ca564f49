"""flask_source's host side: the archive is unpacked into a cleared release directory, and
nothing in it lands outside the code directory, keeps a setuid bit or links out of it."""
import base64
import gzip
import io
import os
import tarfile

import pytest
from modulelib import run_module

from ansible_collections.flaskops.production.plugins.modules import flask_source


def archive(*members):
    """members: (name, kind, payload): kind is file, dir or link; payload the text or target."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, kind, payload, mode in members:
            entry = tarfile.TarInfo(name)
            entry.mode = mode
            if kind == "dir":
                entry.type = tarfile.DIRTYPE
                tar.addfile(entry)
            elif kind == "link":
                entry.type, entry.linkname = tarfile.SYMTYPE, payload
                tar.addfile(entry)
            else:
                data = payload.encode()
                entry.size = len(data)
                tar.addfile(entry, io.BytesIO(data))
    return base64.b64encode(gzip.compress(buffer.getvalue())).decode()


@pytest.fixture(autouse=True)
def no_chown(monkeypatch):
    monkeypatch.setattr(os, "chown", lambda *args, **kwargs: None)


def unpack(tmp_path, data, check_mode=False):
    return run_module(flask_source, {"src": "/home/me/app", "digest": "d", "release": str(tmp_path / "r1"),
                                     "archive": data}, check_mode=check_mode)


def test_the_release_is_cleared_and_the_archive_unpacked(tmp_path):
    (tmp_path / "r1" / "app" / "stale").mkdir(parents=True)
    (tmp_path / "r1" / "venv").mkdir()
    result = unpack(tmp_path, archive(("app", "dir", "", 0o755), ("app/__init__.py", "file", "app = 1\n", 0o644),
                                      ("run.sh", "file", "#!/bin/sh\n", 0o6755), ("css", "link", "app/x.css", 0o777)))
    assert result["changed"] and not result.get("failed"), result
    assert sorted(os.listdir(tmp_path / "r1")) == ["app"]
    code = tmp_path / "r1" / "app"
    assert sorted(os.listdir(code)) == ["app", "css", "run.sh"]
    assert (code / "app" / "__init__.py").read_text() == "app = 1\n"
    assert os.stat(code / "run.sh").st_mode & 0o7777 == 0o755
    assert os.readlink(code / "css") == "app/x.css"


@pytest.mark.parametrize("name", ["../evil", "/etc/evil", "app/../../evil"])
def test_a_member_outside_the_code_directory_is_refused(tmp_path, name):
    result = unpack(tmp_path, archive((name, "file", "x", 0o644)))
    assert result["failed"] and "is a path outside the release's code directory" in result["msg"]
    assert not (tmp_path / "evil").exists()


def test_a_link_that_leaves_is_refused_naming_it(tmp_path):
    result = unpack(tmp_path, archive(("static", "dir", "", 0o755), ("static/leak", "link", "/etc/passwd", 0o777)))
    assert result["failed"] and "static/leak is a link that leaves" in result["msg"]


def test_check_mode_writes_nothing(tmp_path):
    (tmp_path / "r1" / "app" / "kept").mkdir(parents=True)
    result = unpack(tmp_path, archive(("a", "file", "x", 0o644)), check_mode=True)
    assert result["changed"] and os.listdir(tmp_path / "r1" / "app") == ["kept"]


def test_without_the_action_there_is_no_archive(tmp_path):
    result = run_module(flask_source, {"src": "/home/me/app", "release": str(tmp_path / "r1")})
    assert result["failed"] and "flask_source action plugin" in result["msg"]
    assert not (tmp_path / "r1").exists()

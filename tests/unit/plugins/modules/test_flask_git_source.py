"""flask_git_source: the commit a version names, fetched into a private bare cache; check mode
asks the remote only; no credential reaches the cache's config nor an error message."""
import os
import stat
import subprocess

import pytest
from modulelib import run_module

from ansible_collections.flaskops.production.plugins.modules import flask_git_source


def git(*args, cwd=None):
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@x", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@x")
    return subprocess.run(["git"] + list(args), cwd=cwd, env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture(name="repo")
def origin(tmp_path):
    work = tmp_path / "origin"
    work.mkdir()
    git("init", "--quiet", "-b", "main", cwd=work)
    (work / "app.py").write_text("app = 1\n")
    git("add", "app.py", cwd=work)
    git("commit", "--quiet", "-m", "one", cwd=work)
    git("tag", "v1", cwd=work)
    return work


def fetch(tmp_path, repo, version="HEAD", check_mode=False):
    return run_module(flask_git_source, {"repo": str(repo), "cache": str(tmp_path / "cache"), "version": version},
                      check_mode=check_mode)


def test_check_mode_asks_the_remote_and_makes_no_cache(tmp_path, repo):
    result = fetch(tmp_path, repo, "main", check_mode=True)
    assert result["changed"] and result["commit"] == git("rev-parse", "HEAD", cwd=repo)
    assert not (tmp_path / "cache").exists()


def test_a_fetch_resolves_the_commit_then_changes_nothing(tmp_path, repo):
    head = git("rev-parse", "HEAD", cwd=repo)
    first = fetch(tmp_path, repo)
    assert first["changed"] and first["commit"] == head
    assert stat.S_IMODE(os.stat(tmp_path / "cache").st_mode) == 0o700
    again = fetch(tmp_path, repo, "v1")
    assert not again["changed"] and again["commit"] == head
    assert not fetch(tmp_path, repo, "main", check_mode=True)["changed"]


def test_an_unknown_version_fails_naming_it(tmp_path, repo):
    result = fetch(tmp_path, repo, "nope")
    assert result["failed"] and "no branch, tag or commit nope" in result["msg"]


def test_the_password_is_in_no_message_and_no_config(tmp_path):
    result = fetch(tmp_path, "http://me:s3cret@127.0.0.1:9/none.git")
    assert result["failed"] and "s3cret" not in result["msg"] and "s3cret" not in str(result)
    config = (tmp_path / "cache" / "config").read_text()
    assert "s3cret" not in config and "http://127.0.0.1:9/none.git" in config

"""flask_source: the source directory is packed on the controller into a reproducible archive
(the same files give the same digest, whatever their times, owners or umask), and unpacked
into the release on the host only while it still has that digest. The packing is tested in
process; the whole task in a real ansible-playbook run on this machine."""
import io
import json
import os
import subprocess
import sys
import tarfile

import pytest

from ansible_collections.flaskops.production.plugins.action.flask_source import SourceRefused, pack

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))


@pytest.fixture(name="src")
def source(tmp_path):
    src = tmp_path / "src"
    (src / "app" / "static").mkdir(parents=True)
    (src / "app" / "__init__.py").write_text("app = None\n")
    (src / "app" / "static" / "site.css").write_text("body {}\n")
    (src / "run.sh").write_text("#!/bin/sh\n")
    (src / "run.sh").chmod(0o6775)
    (src / "requirements.txt").write_text("flask\n")
    return src


def names(data):
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        return {entry.name: entry for entry in archive}


def test_the_same_files_give_the_same_digest_whatever_their_times_and_modes(src):
    first = pack(str(src))
    os.utime(src / "app" / "__init__.py", (1, 1))
    (src / "requirements.txt").chmod(0o600)
    (src / "app").chmod(0o700)
    assert pack(str(src)) == first
    (src / "app" / "__init__.py").write_text("app = 1\n")
    assert pack(str(src))[0] != first[0]


def test_members_are_roots_dated_zero_without_special_bits(src):
    entries = names(pack(str(src))[1])
    assert sorted(entries) == ["app", "app/__init__.py", "app/static", "app/static/site.css",
                               "requirements.txt", "run.sh"]
    assert {(e.uid, e.gid, e.uname, e.mtime) for e in entries.values()} == {(0, 0, "", 0)}
    assert entries["run.sh"].mode == 0o755 and entries["requirements.txt"].mode == 0o644
    assert entries["app/static"].mode == 0o755


def test_vcs_byte_code_and_virtualenvs_are_left_out_at_any_depth(src):
    for path in (".git/config", "app/.git/HEAD", "app/__pycache__/x.cpython-313.pyc", "venv/bin/python",
                 "app/.venv/pyvenv.cfg", "app/old.pyc", ".gitignore", ".hg/store"):
        (src / path).parent.mkdir(parents=True, exist_ok=True)
        (src / path).write_text("x")
    assert sorted(names(pack(str(src))[1])) == ["app", "app/__init__.py", "app/static", "app/static/site.css",
                                                "requirements.txt", "run.sh"]


def test_links_are_packed_as_links_never_followed(src, tmp_path):
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret").write_text("secret\n")
    (src / "app" / "out").symlink_to(tmp_path / "outside")
    (src / "app" / "css").symlink_to("static/site.css")
    entries = names(pack(str(src))[1])
    assert entries["app/out"].issym() and entries["app/out"].linkname == str(tmp_path / "outside")
    assert entries["app/css"].issym() and entries["app/css"].linkname == "static/site.css"
    assert not any(name.startswith("app/out/") for name in entries)


def test_a_fifo_refuses_the_source_naming_it(src):
    os.mkfifo(src / "app" / "pipe")
    with pytest.raises(SourceRefused, match=r"^app/pipe is neither"):
        pack(str(src))


TASKS = """
- name: Digest
  flaskops.production.flask_source:
    src: "{{ src }}"
  register: digested

- name: Unpack in check mode
  flaskops.production.flask_source:
    src: "{{ src }}"
    digest: "{{ digested.digest }}"
    release: "{{ out }}/releases/{{ digested.digest[:12] }}"
  check_mode: true
  register: previewed

- name: Unpack
  flaskops.production.flask_source:
    src: "{{ src }}"
    digest: "{{ digested.digest }}"
    release: "{{ out }}/releases/{{ digested.digest[:12] }}"
  when: unpack | bool
  register: unpacked

- name: Unpack with a digest the source no longer has
  flaskops.production.flask_source:
    src: "{{ src }}"
    digest: "0000"
    release: "{{ out }}/releases/stale"
  ignore_errors: true
  register: stale

- name: Keep the results
  ansible.builtin.copy:
    content: "{{ [digested, previewed, unpacked, stale] | to_json }}"
    dest: "{{ out }}/result.json"
    mode: "0600"
"""


def play(tmp_path, src, unpack):
    (tmp_path / "out").mkdir(exist_ok=True)
    (tmp_path / "play.yml").write_text("- hosts: localhost\n  gather_facts: false\n  tasks:\n"
                                       + "\n".join("    " + line if line else "" for line in TASKS.splitlines()) + "\n")
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=os.path.join(REPO, "collections"),
               ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_LOCALHOST_WARNING="false")
    done = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-c", "local", "-i", "localhost,",
         "play.yml", "-e", json.dumps({"out": str(tmp_path / "out"), "src": str(src), "unpack": unpack})],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "archive" not in done.stdout and "VALUE_SPECIFIED_IN_NO_LOG" not in done.stdout
    return json.loads((tmp_path / "out/result.json").read_text())


def test_check_mode_names_the_release_and_writes_nothing(src, tmp_path):
    digested, previewed, dummy, stale = play(tmp_path, src, False)
    assert not digested["changed"] and digested["digest"] == pack(str(src))[0]
    release = str(tmp_path / "out/releases" / digested["digest"][:12])
    assert previewed["changed"] and previewed["msg"] == "Would build release %s from %s." % (digested["digest"][:12], src)
    assert not os.path.exists(tmp_path / "out/releases")
    assert stale["failed"] and stale["msg"] == "%s changed while it was deployed: deploy again" % src
    assert release.endswith(digested["digest"][:12])


@pytest.mark.skipif(os.geteuid() != 0, reason="the module makes the release root's")
def test_the_source_is_unpacked_into_a_cleared_release_without_setuid_bits(src, tmp_path):
    digest = pack(str(src))[0]
    old = tmp_path / "out/releases" / digest[:12] / "app" / "left-over"
    old.parent.mkdir(parents=True)
    old.write_text("from a failed build\n")
    digested, previewed, unpacked, stale = play(tmp_path, src, True)
    assert previewed["changed"] and not old.exists()
    code = tmp_path / "out/releases" / digest[:12] / "app"
    assert unpacked["changed"] and digested["digest"] == digest
    assert sorted(os.listdir(code)) == ["app", "requirements.txt", "run.sh"]
    assert os.stat(code / "run.sh").st_mode & 0o7777 == 0o755
    assert (code / "app/static/site.css").read_text() == "body {}\n"
    assert os.stat(code.parent).st_uid == 0 and os.stat(code.parent).st_mode & 0o7777 == 0o755
    assert stale["failed"] and not (tmp_path / "out/releases/stale").exists()

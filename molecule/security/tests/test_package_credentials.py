"""A package URL with credentials in flask_app_pip_packages (issue 33): pip gets it from a
server that requires them, yet it is on no command line while pip asks, in no file the
deploy keeps and in no output; the controller packs the source in a private directory of
its own, gone after the deploy."""
import json
import os
import re
import secrets
import shlex
import stat
import threading
import zipfile

import pytest
from conftest import APP, PROJECT, run_playbook
from sitelib import start_auth_server

DEPLOY = os.path.join(PROJECT, "playbooks", "deploy.yml")
INSTANCE = "molecule-security"
WHEEL = "boundarycred-1.0-py3-none-any.whl"


def make_wheel(path):
    files = {"boundarycred.py": "VERSION = '1.0'\n",
             "boundarycred-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: boundarycred\nVersion: 1.0\n",
             "boundarycred-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    files["boundarycred-1.0.dist-info/RECORD"] = "".join(f"{name},,\n" for name in files) + "boundarycred-1.0.dist-info/RECORD,,\n"
    with zipfile.ZipFile(path, "w") as whl:
        for name, text in files.items():
            whl.writestr(name, text)


class TmpWatch(threading.Thread):
    """Notes every entry that appears in the controller's TMPDIR while a deploy runs, with its mode."""

    def __init__(self, directory):
        super().__init__(daemon=True)
        self.directory, self.seen, self.done = directory, {}, threading.Event()

    def run(self):
        while not self.done.wait(0.05):
            for name in os.listdir(self.directory):
                try:
                    found = os.lstat(os.path.join(self.directory, name))
                except OSError:
                    continue
                self.seen[name] = (stat.S_ISDIR(found.st_mode), stat.S_IMODE(found.st_mode))


@pytest.fixture(scope="module")
def credential_deploy(host, tmp_path_factory):
    work = tmp_path_factory.mktemp("pipcred")
    served = work / "served"
    served.mkdir()
    make_wheel(served / WHEEL)
    token = "pip" + secrets.token_hex(12)
    start_auth_server(host, INSTANCE, served, token, 18766, "pip", 900)
    tmpdir = work / "controller-tmp"
    tmpdir.mkdir()
    watch = TmpWatch(str(tmpdir))
    watch.start()
    saved = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(tmpdir)
    try:
        url = f"http://deploy:{token}@127.0.0.1:18766/{WHEEL}"
        result = run_playbook(DEPLOY, "-e", json.dumps({"flask_app_pip_packages": [url]}))
    finally:
        if saved is None:
            del os.environ["TMPDIR"]
        else:
            os.environ["TMPDIR"] = saved
        watch.done.set()
        watch.join()
        host.run("systemctl stop test-pip-server")
    release = host.check_output(f"readlink -f /srv/{APP}/current")
    requests = [json.loads(line) for line in host.file("/root/pip-requests.log").content_string.splitlines()] \
        if host.file("/root/pip-requests.log").exists else []
    yield {"token": token, "result": result, "release": release, "requests": requests,
           "tmp_seen": watch.seen, "tmp_left": os.listdir(tmpdir)}
    restored = run_playbook(DEPLOY)
    assert restored.failed == 0, f"the original app did not go live again:\n{restored.output[-3000:]}"


def test_a_package_url_with_credentials_is_installed(credential_deploy, host):
    result = credential_deploy["result"]
    assert result.returncode == 0, result.output[-3000:]
    assert any(r["authorised"] for r in credential_deploy["requests"]), \
        f"pip never fetched the package with its credentials: {credential_deploy['requests']}"
    installed = host.run(f"{credential_deploy['release']}/venv/bin/python -c 'import boundarycred'")
    assert installed.rc == 0, installed.stderr


def test_the_package_credentials_are_on_no_command_line(credential_deploy):
    requests = credential_deploy["requests"]
    assert requests, "the package server saw no request"
    assert not any(r["on_command_line"] for r in requests), f"the token was on a command line while pip ran: {requests}"


def test_the_package_credentials_are_in_no_kept_file_and_no_output(credential_deploy, host):
    token = credential_deploy["token"]
    found = host.run(f"grep -rlF -D skip {shlex.quote(token)} /srv /run /etc/flask /etc/systemd /var/log /tmp")
    assert found.stdout == "", f"the token is stored in {found.stdout}"
    assert token not in credential_deploy["result"].output, "the play printed the token"
    journal = host.run(f"journalctl --no-pager -q --since '-30min' | grep -cF {shlex.quote(token)} || true")
    assert journal.stdout.strip() == "0", "the journal holds the token"


def test_the_controller_writes_no_copy_of_the_source_in_tmpdir(credential_deploy):
    """The flask_source action packs the source directory in memory and sends it inside
    its module's arguments: no archive, script or directory of it is made in the
    controller's TMPDIR (where the pack of earlier versions went), and none is left."""
    output = " ".join(credential_deploy["result"].output.split())
    assert re.search(r"Unpack the source directory into the release, cleared first\] \*+ changed:", output), \
        "the deploy unpacked no source directory, so nothing was proven"
    def packs(names):
        return [name for name in names if name.startswith(("flask", "source")) or ".tar" in name]

    assert packs(credential_deploy["tmp_seen"]) == [], f"the deploy wrote {packs(credential_deploy['tmp_seen'])} in TMPDIR"
    assert packs(credential_deploy["tmp_left"]) == [], f"left in TMPDIR: {packs(credential_deploy['tmp_left'])}"

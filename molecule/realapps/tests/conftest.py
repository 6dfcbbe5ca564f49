"""A real app's life, seen from outside: one-off commands through playbooks/run.yml, notes
written through the site, deploys and rollbacks under load, the worker and the timer."""
import hashlib
import importlib.util
import json
import os
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared"))
from sitelib import APP, PROJECT, Site, ca_file, copy_release, run_playbook  # noqa: E402,F401

# The load and the version sampler of the releases scenario, reused as they are.
_spec = importlib.util.spec_from_file_location(
    "releases_load", os.path.join(PROJECT, "molecule", "releases", "tests", "conftest.py"))
releases_load = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(releases_load)
DeployLoad = releases_load.DeployLoad

APP_SOURCE = os.path.join(PROJECT, "molecule", "realapps", "app")
DEPLOY = os.path.join(PROJECT, "playbooks", "deploy.yml")
ROLLBACK = os.path.join(PROJECT, "playbooks", "rollback.yml")
RUN = os.path.join(PROJECT, "playbooks", "run.yml")
WEBSERVERS = os.path.join(PROJECT, "playbooks", "webservers.yml")
INSTANCE = f"/srv/{APP}/data/instance"
# The content of instance/config.py in molecule.yml.
SECRET = "realapps-secret-8c1f0e5b7a"


def deploy(source, *args):
    return run_playbook(DEPLOY, "-e", f"flask_app_source_dir={source}", *args)


def rollback(*args):
    return run_playbook(ROLLBACK, *args)


def run_command(command, *args):
    # JSON: key=value extra vars would split the command at its spaces.
    return run_playbook(RUN, "-e", json.dumps({"flask_run_command": command}), *args)


def secret_sha(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


@pytest.fixture(scope="session")
def make_release(tmp_path_factory):
    """A copy of the test app with its VERSION set; migration="fail" makes its release command fail."""

    def make(version, migration="ok"):
        path = copy_release(tmp_path_factory, APP_SOURCE, f"notes-{version}-{migration}", version, MIGRATION=migration)
        # A release that ships its own instance folder: it must get the link instead.
        (path / "instance").mkdir(exist_ok=True)
        (path / "instance" / "flaskr.sqlite").write_text("not a database: the release's own copy\n")
        return str(path)

    return make


@pytest.fixture(scope="module")
def site(ca_file):
    return Site(ca_file)


@pytest.fixture
def load(ca_file):
    return DeployLoad(ca_file)


def notes(site):
    response = site.https("/")
    assert response.status == 200, f"GET / answered {response.status}: {response.body[:500]}"
    return json.loads(response.body)


def add_note(site, body):
    response = site.https("/notes", method="POST", body=f"body={body}",
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status == 303, f"POST /notes answered {response.status}: {response.body[:500]}"


def release_state(host):
    return json.loads(host.check_output(
        f"flask-release status /srv/{APP} --unit gunicorn-{APP}.service "
        f"--process flask-{APP}-worker.service --timer flask-{APP}-tick.timer"))


def worker_status(host):
    return json.loads(host.file(f"{INSTANCE}/worker.json").content_string)


def wait_for(what, check, timeout=30):
    """Poll check() until it returns something true; fail naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        time.sleep(1)

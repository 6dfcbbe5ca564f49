"""Deploys under load, seen from outside: the shared load generator sends the load, a
one-thread sampler records which version answered each request, both through the
published https port."""
import http.client
import json
import os
import socket
import ssl
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared"))
from loadgen import KeptAliveClient, Load, versions_in_turn  # noqa: E402
from sitelib import APP, HTTPS_PORT, PROJECT, SITE_NAME, ca_file, copy_release, run_playbook  # noqa: E402,F401
# Tests marked any_release run on Debian 13 only (sitelib).
from sitelib import pytest_collection_modifyitems, pytest_configure  # noqa: E402,F401

APP_SOURCE = os.path.join(PROJECT, "molecule", "releases", "app")
DEPLOY = os.path.join(PROJECT, "playbooks", "deploy.yml")
ROLLBACK = os.path.join(PROJECT, "playbooks", "rollback.yml")
URL = f"https://{SITE_NAME}:{HTTPS_PORT}/"
INSTANCE = os.environ.get("SITE_INSTANCE", "molecule-releases")


def deploy(source, *args):
    return run_playbook(DEPLOY, "-e", f"flask_app_source_dir={source}", *args)


def rollback(*args):
    return run_playbook(ROLLBACK, *args)


@pytest.fixture(scope="session")
def make_release(tmp_path_factory):
    """A copy of the test app with its VERSION and HEALTH files set: a new release."""
    return lambda version, health="ok": str(
        copy_release(tmp_path_factory, APP_SOURCE, f"relapp-{version}-{health}", version, HEALTH=health))


class DeployLoad:
    """`with DeployLoad(ca_file) as load:` around an action: the shared load generator
    (molecule/shared/loadgen.py) on the published https port, from several threads over
    kept-alive connections, and beside it a one-thread sampler whose answers, in order,
    give the versions that answered in turn (`load.versions`)."""

    def __init__(self, ca_file):
        def client():
            return KeptAliveClient(ca_file, SITE_NAME, HTTPS_PORT)

        self.load = Load(client, threads=6, pause=0.02, seconds=400, label="load")
        # The sampler starts before the load and stops after it (no lead or tail of its own).
        self.sampler = Load(client, threads=1, pause=0.01, seconds=400, lead=0, tail=0, label="sampler")

    def __enter__(self):
        self.sampler.__enter__()
        self.load.__enter__()
        return self

    def __exit__(self, *exc):
        self.load.__exit__(*exc)
        self.sampler.__exit__(*exc)

    @property
    def versions(self):
        return versions_in_turn(self.sampler)

    def assert_no_failure(self, min_requests=200):
        """No failed request, from a load that ran through the whole action (at least
        `min_requests` sent during it, no gap longer than 5 s), and none seen by the sampler."""
        self.load.assert_no_failure(min_requests)
        self.sampler.assert_no_failure(min_requests // 4)


@pytest.fixture
def load(ca_file):
    return DeployLoad(ca_file)


def site_get(ca_file, path="/"):
    """The body of one GET through the published https port, verified against the CA."""
    raw = socket.create_connection(("127.0.0.1", HTTPS_PORT), timeout=10)
    conn = http.client.HTTPSConnection(SITE_NAME, HTTPS_PORT, timeout=10)
    conn.sock = ssl.create_default_context(cafile=ca_file).wrap_socket(raw, server_hostname=SITE_NAME)
    conn.request("GET", path, headers={"Host": SITE_NAME})
    body = conn.getresponse().read().decode()
    conn.close()
    return body


def release_state(host):
    """What flask-release reports on the host: current, previous, releases, running_current."""
    return json.loads(host.check_output(f"flask-release status /srv/{APP} --unit gunicorn-{APP}.service"))


def deploy_history(host):
    """The app's deploy history on the host, oldest first."""
    return json.loads(host.check_output(f"flask-release history /srv/{APP} --json"))

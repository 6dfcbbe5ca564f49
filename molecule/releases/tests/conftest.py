"""Deploys under load, seen from outside: hey sends the load, a sampler records which
version answered each request, both through the published https port."""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared"))
from sitelib import APP, HTTPS_PORT, PROJECT, SITE_NAME, run_playbook  # noqa: E402

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

    def make(version, health="ok"):
        path = tmp_path_factory.mktemp(f"relapp-{version}-{health}")
        shutil.copytree(APP_SOURCE, path, dirs_exist_ok=True)
        (path / "VERSION").write_text(f"{version}\n")
        if health != "ok":
            (path / "HEALTH").write_text(f"{health}\n")
        return str(path)

    return make


class Sampler(threading.Thread):
    """GET / over kept-alive TLS connections every few milliseconds, verifying the
    certificate; records each answer's version, and every failure."""

    def __init__(self, ca_file):
        super().__init__(daemon=True)
        self.context = ssl.create_default_context(cafile=ca_file)
        self.versions, self.failures = [], []
        self.stopping = threading.Event()

    def connect(self):
        raw = socket.create_connection(("127.0.0.1", HTTPS_PORT), timeout=30)
        conn = http.client.HTTPSConnection(SITE_NAME, HTTPS_PORT, timeout=30)
        conn.sock = self.context.wrap_socket(raw, server_hostname=SITE_NAME)
        return conn

    def run(self):
        conn = None
        while not self.stopping.is_set():
            try:
                conn = conn or self.connect()
                conn.request("GET", "/", headers={"Host": SITE_NAME})
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    self.failures.append(f"status {response.status}")
                else:
                    version = response.getheader("X-App-Version")
                    if not self.versions or self.versions[-1] != version:
                        self.versions.append(version)
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as exc:
                self.failures.append(f"{type(exc).__name__}: {exc}")
                if conn:
                    conn.close()
                conn = None
            time.sleep(0.01)


class Load:
    """Bounded load from hey (at most LOAD_SECONDS, a fixed rate per worker) plus the
    sampler; `with Load(...) as load:` around an action, then read the results."""

    WORKERS, RATE, LOAD_SECONDS = 8, 25, 240

    def __init__(self, ca_file):
        self.sampler = Sampler(ca_file)
        self.output = ""

    def __enter__(self):
        self.hey = subprocess.Popen(
            ["hey", "-z", f"{self.LOAD_SECONDS}s", "-c", str(self.WORKERS), "-q", str(self.RATE), "-t", "30", URL],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "NO_PROXY": "*", "no_proxy": "*"},
        )
        self.sampler.start()
        time.sleep(2)  # the load is flowing before the action starts
        return self

    def __exit__(self, *exc):
        time.sleep(2)  # and still flowing after it ends
        self.hey.send_signal(signal.SIGINT)  # hey prints its summary on interrupt
        self.output, _ = self.hey.communicate(timeout=60)
        self.sampler.stopping.set()
        self.sampler.join(60)

    @property
    def statuses(self):
        section = self.output.split("Status code distribution:", 1)[-1].split("Error distribution:", 1)[0]
        return {int(code): int(count) for code, count in re.findall(r"\[(\d+)\]\s+(\d+) responses", section)}

    @property
    def errors(self):
        if "Error distribution:" not in self.output:
            return []
        return [line.strip() for line in self.output.split("Error distribution:", 1)[1].splitlines() if line.strip()]

    def assert_no_failure(self):
        assert self.statuses, f"hey sent no request:\n{self.output[-2000:]}"
        assert set(self.statuses) == {200} and not self.errors, (
            f"failed requests under load: statuses {self.statuses}, errors {self.errors}")
        assert not self.sampler.failures, f"the sampler saw failures: {self.sampler.failures[:10]}"
        assert sum(self.statuses.values()) > 200, f"too little load to prove anything: {self.statuses}"


@pytest.fixture(scope="module")
def ca_file(host, tmp_path_factory):
    ca = host.file("/etc/ssl/flask-ca/ca.crt")
    path = tmp_path_factory.mktemp("ca") / "ca.crt"
    path.write_text(ca.content_string)
    return str(path)


@pytest.fixture
def load(ca_file):
    return Load(ca_file)


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

"""waitress has no graceful reload; a deploy and a rollback under load still fail no
request: the socket unit keeps the listener while the launcher finishes the requests in
flight.

The load is not hey's, as in the releases scenario: hey's TLS client sends the port in the
server name (SNI "localhost:6843"), which Apache rightly answers with 421. Threads of
verified, kept-alive TLS clients send it instead, at a fixed rate, for at most LOAD_SECONDS."""
import http.client
import json
import os
import shutil
import socket
import ssl
import threading
import time

import pytest

from conftest import APP, APP_UNIT, HTTPS_PORT, PROJECT, SITE_NAME, run_playbook

PROBE = os.path.join(PROJECT, "molecule", "shared", "apps", "probe")
WEBSERVERS = os.path.join(PROJECT, "playbooks", "webservers.yml")
DEPLOY = os.path.join(PROJECT, "playbooks", "deploy.yml")
ROLLBACK = os.path.join(PROJECT, "playbooks", "rollback.yml")
# The load comes from one address: Apache's per-client limit is lifted while it runs.
NO_LIMIT = ("-e", "apache_limit_req_rate=0")


class Client(threading.Thread):
    """GET / every 1/RATE s over a kept-alive TLS connection, verifying the certificate;
    counts the answers and records every failure."""

    RATE = 25

    def __init__(self, ca_file, stopping):
        super().__init__(daemon=True)
        self.context = ssl.create_default_context(cafile=ca_file)
        self.stopping, self.answered, self.failures = stopping, 0, []

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
                if response.status == 200:
                    self.answered += 1
                else:
                    self.failures.append(f"status {response.status}")
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as exc:
                self.failures.append(f"{type(exc).__name__}: {exc}")
                if conn:
                    conn.close()
                conn = None
            time.sleep(1 / self.RATE)


class Load:
    """`with Load(ca_file) as load:` around an action: WORKERS clients, stopped on exit or
    after LOAD_SECONDS, whichever comes first."""

    WORKERS, LOAD_SECONDS = 8, 240

    def __init__(self, ca_file):
        self.stopping = threading.Event()
        self.clients = [Client(ca_file, self.stopping) for _ in range(self.WORKERS)]
        self.timer = threading.Timer(self.LOAD_SECONDS, self.stopping.set)

    def __enter__(self):
        self.timer.start()
        for client in self.clients:
            client.start()
        time.sleep(2)  # the load is flowing before the action starts
        return self

    def __exit__(self, *exc):
        time.sleep(2)  # and still flowing after it ends
        self.stopping.set()
        self.timer.cancel()
        for client in self.clients:
            client.join(60)

    def assert_no_failure(self):
        failures = [failure for client in self.clients for failure in client.failures]
        answered = sum(client.answered for client in self.clients)
        assert not failures, f"{len(failures)} failed requests under load, e.g. {failures[:10]}"
        assert answered > 200, f"too little load to prove anything: {answered} answers"


def release_state(host):
    return json.loads(host.check_output(f"flask-release status /srv/{APP} --unit {APP_UNIT}"))


@pytest.fixture(scope="module")
def unlimited(host):
    result = run_playbook(WEBSERVERS, *NO_LIMIT)
    assert result.failed == 0, f"lifting the rate limit failed:\n{result.output[-3000:]}"
    yield
    result = run_playbook(WEBSERVERS)
    assert result.failed == 0, f"restoring the rate limit failed:\n{result.output[-3000:]}"


def test_deploy_and_rollback_under_load_fail_no_request(host, site, unlimited, tmp_path):
    version2 = tmp_path / "probe-v2"
    shutil.copytree(PROBE, version2)
    (version2 / "VERSION").write_text("2\n")
    before = release_state(host)["current"]
    with Load(site.ca_file) as load:
        deployed = run_playbook(DEPLOY, "-e", f"flask_app_source_dir={version2}")
        assert deployed.failed == 0, f"the deploy failed:\n{deployed.output[-3000:]}"
        after_deploy = release_state(host)
        rolled = run_playbook(ROLLBACK)
        assert rolled.failed == 0, f"the rollback failed:\n{rolled.output[-3000:]}"
    assert after_deploy["current"] != before and after_deploy["running_current"], (
        f"the deploy did not make a new release live: {after_deploy}")
    state = release_state(host)
    assert state["current"] == before and state["running_current"], f"the rollback did not go back: {state}"
    load.assert_no_failure()

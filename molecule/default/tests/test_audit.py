"""playbooks/audit.yml against the converged host: our stack is clean, a debug dev server is not.

The audit runs as a user would run it, with ansible-playbook. For the exposed case
a real Flask development server with debug on is started on the host as a transient
systemd unit (it stops by itself after RuntimeMaxSec), bound to 0.0.0.0.
"""
import os
import re

import pytest

from conftest import APP, PROJECT, PROXY, run_playbook

AUDIT = os.path.join(PROJECT, "playbooks", "audit.yml")
APP_MODULE = os.environ.get("SITE_APP_MODULE", f"{APP}:app")
UNIT = "flask-audit-devserver"
# Put into the dev server's environment; the audit must never print it.
CANARY = "audit-canary-value-4f1c"


def run_audit(*args):
    return run_playbook(AUDIT, *args)


def rows(output, kind):
    """Rows of the findings table of one kind, as (pids, where, detail)."""
    pattern = re.compile(rf"^\s*{re.escape(kind)}\s+(\S+)\s+(\S+)\s+(.*)$", re.M)
    return [(m.group(1).split(","), m.group(2), m.group(3)) for m in pattern.finditer(output)]


class DevServer:
    """`flask run` with FLASK_DEBUG=1 on 0.0.0.0, as the app user, in a transient unit."""

    def __init__(self, host):
        self.host = host
        self.port = int(host.check_output(
            "python3 -c 'import socket; s = socket.socket(); s.bind((\"\", 0)); print(s.getsockname()[1])'"
        ))
        self.stop()  # a unit left over by an interrupted run
        host.check_output(
            f"systemd-run --unit={UNIT} -p RuntimeMaxSec=180 -p User={APP} -p WorkingDirectory=/srv/{APP}/current/app "
            f"--setenv=FLASK_APP={APP_MODULE} --setenv=FLASK_DEBUG=1 --setenv=AUDIT_CANARY_TOKEN={CANARY} "
            f"/srv/{APP}/current/venv/bin/flask run --host 0.0.0.0 --port {self.port}"
        )
        assert self.listening(wait=True), f"the dev server did not listen on {self.port}"
        self.pid = host.check_output(f"systemctl show -p MainPID --value {UNIT}")

    def listening(self, wait=False):
        tries = 100 if wait else 1
        return self.host.run(
            f"for i in $(seq {tries}); do ss -Htln 'sport = :{self.port}' | grep -q . && exit 0; sleep 0.1; done; exit 1"
        ).rc == 0

    def stop(self):
        self.host.run(f"systemctl stop {UNIT}.service")
        self.host.run(f"systemctl reset-failed {UNIT}.service")


@pytest.fixture(scope="module")
def dev_server(host):
    server = DevServer(host)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def exposed_audit(dev_server):
    return run_audit()


# Runs first: the dev server fixture has not started anything yet.
def test_audit_of_our_stack_is_clean():
    result = run_audit()
    assert result.returncode == 0 and result.failed == 0, f"the audit failed our stack:\n{result.output[-3000:]}"
    assert result.changed == 0, f"the audit changed the host:\n{result.output[-3000:]}"
    assert "CLEAN, nothing exposed" in result.stdout, f"the table does not say clean:\n{result.output[-3000:]}"
    assert re.search(rf"^\s*443\s+https\s+{PROXY}\S*\s", result.stdout, re.M), "the HTTPS port was not probed over TLS"


def test_audit_fails_host_running_debug_dev_server(exposed_audit):
    assert exposed_audit.returncode != 0 and exposed_audit.failed == 1, (
        f"the audit passed a host running a debug dev server:\n{exposed_audit.output[-3000:]}"
    )
    assert "EXPOSED" in exposed_audit.stdout and "exposure(s) on" in exposed_audit.output
    assert exposed_audit.changed == 0, "the audit changed the host"


def test_audit_names_dev_server_process(exposed_audit, dev_server):
    pids = {pid for found, _, _ in rows(exposed_audit.stdout, "dev server") for pid in found}
    assert dev_server.pid in pids, f"pid {dev_server.pid} (flask run) is not named a dev server:\n{exposed_audit.stdout}"
    command = re.search(rf"^\s*{dev_server.pid}\s+{APP}\s+{UNIT}\.service\s+(.*)$", exposed_audit.stdout, re.M)
    assert command and "flask run" in command.group(1), "the process table does not show the flask run command"


def test_audit_names_flask_debug_environment(exposed_audit, dev_server):
    found = [(pids, detail) for pids, _, detail in rows(exposed_audit.stdout, "debug env")]
    assert ([dev_server.pid], "FLASK_DEBUG=1") in found, f"FLASK_DEBUG=1 of pid {dev_server.pid} not reported:\n{found}"


def test_audit_names_public_listener(exposed_audit, dev_server):
    found = [(pids, where) for pids, where, _ in rows(exposed_audit.stdout, "public listener")]
    assert any(where == f"0.0.0.0:{dev_server.port}" and dev_server.pid in pids for pids, where in found), (
        f"0.0.0.0:{dev_server.port} held by pid {dev_server.pid} not reported:\n{found}"
    )


def test_audit_reports_debugger_answering_on_port(exposed_audit, dev_server):
    found = {where: detail for _, where, detail in rows(exposed_audit.stdout, "debugger")}
    detail = found.get(f"http://127.0.0.1:{dev_server.port}", "")
    assert "debugger.js returned JavaScript" in detail, f"debugger.js on port {dev_server.port} not reported:\n{found}"
    assert "/console answered" in detail, f"/console on port {dev_server.port} not reported:\n{found}"


def test_audit_prints_no_environment_values(exposed_audit, dev_server, host):
    environ = host.check_output(f"tr '\\0' '\\n' < /proc/{dev_server.pid}/environ")
    assert CANARY in environ, "the canary is not in the dev server's environment, so this test proves nothing"
    secrets = [line.split("=", 1)[1].strip('"') for line in host.file(f"/etc/flask/{APP}.env").content_string.splitlines()
               if "=" in line and not line.startswith("#")]
    for value in [CANARY, *(s for s in secrets if len(s) >= 8)]:
        assert value not in exposed_audit.output, "the audit printed an environment value"


def test_audit_in_check_mode_changes_nothing_and_still_finds(dev_server):
    result = run_audit("--check", "--diff")
    assert result.changed == 0, f"--check reports changes:\n{result.output[-3000:]}"
    assert result.failed == 1 and f"0.0.0.0:{dev_server.port}" in result.stdout, (
        f"the audit did not inspect the host under --check:\n{result.output[-3000:]}"
    )


# Runs last: stops the dev server itself (the fixture stops it again in any case).
def test_audit_is_clean_again_once_dev_server_stops(dev_server):
    dev_server.stop()
    assert not dev_server.listening(), "the dev server still listens after its unit stopped"
    result = run_audit()
    assert result.returncode == 0 and result.failed == 0, f"still flagged after the stop:\n{result.output[-3000:]}"
    assert result.changed == 0 and "CLEAN, nothing exposed" in result.stdout

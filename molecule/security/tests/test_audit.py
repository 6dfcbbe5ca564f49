"""playbooks/audit.yml reports weak secret keys and a debugger without its PIN in any
process environment, by variable name and never by value; our stack is clean."""
import os
import re

import pytest
from conftest import APP, PROJECT, run_playbook
from test_secret_key import PUBLIC_KEY

AUDIT = os.path.join(PROJECT, "playbooks", "audit.yml")
UNIT = "flask-audit-weak-env"


def rows(output, kind):
    pattern = re.compile(rf"^\s*{re.escape(kind)}\s+(\S+)\s+(\S+)\s+(.*)$", re.M)
    return [(m.group(1).split(","), m.group(3)) for m in pattern.finditer(output)]


def test_audit_of_our_stack_is_clean():
    result = run_playbook(AUDIT)
    assert result.returncode == 0 and "CLEAN, nothing exposed" in result.stdout, result.output[-3000:]


@pytest.fixture(scope="module")
def weak_process(host):
    """A process of the app user whose environment has what the audit must flag."""
    host.run(f"systemctl stop {UNIT}.service; systemctl reset-failed {UNIT}.service")
    host.check_output(
        f"systemd-run --unit={UNIT} -p RuntimeMaxSec=120 -p User={APP} --setenv=WERKZEUG_DEBUG_PIN=off "
        f"--setenv=FLASK_SECRET_KEY={PUBLIC_KEY} --setenv=SECRET_KEY=dev sleep 120"
    )
    pid = host.check_output(f"systemctl show -p MainPID --value {UNIT}")
    try:
        yield pid
    finally:
        host.run(f"systemctl stop {UNIT}.service; systemctl reset-failed {UNIT}.service")


@pytest.fixture(scope="module")
def audit(weak_process):
    return run_playbook(AUDIT)


def test_audit_flags_debugger_without_pin(audit, weak_process):
    assert audit.returncode != 0 and audit.failed == 1, f"the audit passed the host:\n{audit.output[-3000:]}"
    assert ([weak_process], "WERKZEUG_DEBUG_PIN=off") in rows(audit.stdout, "debug env"), audit.stdout


def test_audit_names_weak_secret_keys_by_variable(audit, weak_process):
    detail = dict((pids[0], d) for pids, d in rows(audit.stdout, "weak key")).get(weak_process, "")
    assert "FLASK_SECRET_KEY publicly known" in detail, f"the public key was not reported:\n{audit.stdout}"
    assert "SECRET_KEY shorter than 24 bytes" in detail, f"the short key was not reported:\n{audit.stdout}"
    assert PUBLIC_KEY not in audit.output, "the audit printed the secret key"

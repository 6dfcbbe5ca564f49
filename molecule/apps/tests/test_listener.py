"""A change to waitress's socket unit reaches the listener: systemd holds the socket, so a
restart of the service alone would keep the old one."""
import os

from sitelib import PROJECT, run_playbook

WEBSERVERS = os.path.join(PROJECT, "playbooks", "webservers.yml")
SOCKET = "/run/probe/waitress.sock"


def listen_backlog(host):
    """The backlog of the listening socket (ss prints it as Send-Q, before the address)."""
    fields = host.check_output(f"ss -xlH src {SOCKET}").split()
    return int(fields[fields.index(SOCKET) - 1])


def test_a_new_socket_unit_takes_effect(host, sites):
    before = listen_backlog(host)
    changed = run_playbook(WEBSERVERS, "-e", "waitress_backlog=1000")
    try:
        assert changed.returncode == 0, changed.output[-3000:]
        assert "Backlog=1000" in host.file("/etc/systemd/system/waitress-probe.socket").content_string
        assert before != 1000 and listen_backlog(host) == 1000, (
            f"the socket still listens with backlog {listen_backlog(host)}, not the unit's 1000")
        assert sites["probe"].https("/", host="probe.test", sni="probe.test").status == 200
    finally:
        restored = run_playbook(WEBSERVERS)
    assert restored.returncode == 0 and listen_backlog(host) == before, restored.output[-3000:]

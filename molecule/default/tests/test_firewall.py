"""The nftables firewall: SSH and the web ports in, everything else dropped."""
import os
import socket

import pytest

BLOCKED_PORT = int(os.environ.get("SITE_BLOCKED_PORT", "18099"))


def test_firewall_enabled_with_drop_policy(host):
    assert host.service("nftables").is_enabled, "nftables does not load at boot"
    ruleset = host.check_output("nft list table inet flask_firewall")
    assert "policy drop" in ruleset, "the input chain does not drop by default"


@pytest.fixture
def listener_on_8000(host):
    """A throwaway web server inside the host on port 8000, stopped by systemd after 60 s."""
    host.check_output(
        "systemd-run --unit=firewall-probe -p RuntimeMaxSec=60 "
        "python3 -m http.server 8000 --bind 0.0.0.0 --directory /tmp"
    )
    host.check_output("for i in $(seq 50); do ss -Htln 'sport = :8000' | grep -q . && exit 0; sleep 0.1; done; exit 1")
    yield
    host.run("systemctl stop firewall-probe")


def test_unlisted_port_is_dropped(host, listener_on_8000):
    inside = host.run("python3 -c \"import urllib.request as u; print(u.urlopen('http://127.0.0.1:8000/').status)\"")
    assert inside.stdout.strip() == "200", "the listener does not answer even from inside"
    # The published port forwards to 8000 inside; the firewall must drop the SYN, so the
    # connection times out. A connection that opens means something let it through; one
    # refused or reset means the SYN got an answer (nothing listened, or a reject rule).
    with pytest.raises(TimeoutError):  # socket.timeout is TimeoutError
        socket.create_connection(("127.0.0.1", BLOCKED_PORT), timeout=3).close()


def test_web_ports_pass_the_firewall(site):
    assert site.https("/").status == 200
    assert site.http("/").status == 301

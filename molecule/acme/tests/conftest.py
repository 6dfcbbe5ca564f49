"""The two test hosts over SSH, pebble's root, and TLS requests to the site from outside."""
import http.client
import os
import socket
import ssl
import sys

import pytest
import testinfra

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared"))
import sitelib  # noqa: E402  (the runner every scenario's tests share)

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.path.join(HERE, "..", "..", ".."))
SCENARIO = os.environ.get("MOLECULE_SCENARIO_DIRECTORY", os.path.join(HERE, ".."))
APP = os.environ.get("SITE_APP", "probe")
HTTP_PORT = int(os.environ.get("SITE_HTTP_PORT", "21080"))
HTTPS_PORT = int(os.environ.get("SITE_HTTPS_PORT", "21443"))
NAMES = ["site.acme.test", "www.site.acme.test"]
STRAY_NAME = "stray.acme.test"
# The test-only key of molecule.yml, which pebble requires: it must never be printed or logged.
EAB_HMAC_KEY = "3oHPC-5VCm16WTD_xVNv0p69k4cCnlxcFkR5-MVKE04buxFW1Y2lzrJ67VjKqI57"
LIVE = f"/etc/letsencrypt/live/{APP}"
SSH_ARGS = "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o IdentitiesOnly=yes"


def ssh_host(port_variable, default):
    port = os.environ.get(port_variable, default)
    return testinfra.get_host(
        f"ssh://root@127.0.0.1:{port}",
        ssh_identity_file=os.path.join(PROJECT, ".testbed", "id_ed25519"),
        ssh_extra_args=SSH_ARGS,
    )


@pytest.fixture(scope="session")
def site_host():
    return ssh_host("ACME_SITE_SSH_PORT", "2230")


@pytest.fixture(scope="session")
def ca_host():
    return ssh_host("ACME_CA_SSH_PORT", "2231")


@pytest.fixture(scope="session")
def pebble_root(ca_host, tmp_path_factory):
    """pebble's root certificate, from its management API (it makes a new one at each start)."""
    pem = ca_host.check_output(
        "python3 -c 'import ssl, urllib.request; print(urllib.request.urlopen("
        '"https://molecule-acme-ca:15000/roots/0", context=ssl.create_default_context('
        'cafile="/etc/pebble/https.pem")).read().decode())\''
    )
    assert "BEGIN CERTIFICATE" in pem, f"pebble's management API gave no root: {pem!r}"
    path = tmp_path_factory.mktemp("pebble") / "root.pem"
    path.write_text(pem + "\n")
    return str(path)


def https_get(root, name=NAMES[0], path="/"):
    """GET over a new TLS connection to the published port, verified against `root`.

    Returns (status, body, serial of the certificate served)."""
    context = ssl.create_default_context(cafile=root)
    raw = socket.create_connection(("127.0.0.1", HTTPS_PORT), timeout=10)
    tls = context.wrap_socket(raw, server_hostname=name)
    serial = format(int(tls.getpeercert()["serialNumber"], 16), "x")
    conn = http.client.HTTPSConnection(name, HTTPS_PORT, timeout=10)
    conn.sock = tls
    conn.request("GET", path, headers={"Host": name})
    response = conn.getresponse()
    body = response.read().decode("utf-8", "replace")
    conn.close()
    return response.status, body, serial


def http_get(path, name=NAMES[0]):
    """GET over plain HTTP (no CA needed), on the port sitelib reads from SITE_HTTP_PORT too."""
    return sitelib.Site(None).http(path, host=name)


def cert_serial_on_disk(site_host):
    out = site_host.check_output(f"openssl x509 -in {LIVE}/fullchain.pem -noout -serial")
    return out.split("=", 1)[1].strip().lower().lstrip("0")


def run_playbook(playbook, *args):
    """Run a playbook of this scenario with the shared runner; return the result and its recap."""
    return sitelib.run_playbook(os.path.join(SCENARIO, playbook), *args)

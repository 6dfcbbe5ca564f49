"""Helpers that look at the site from outside: real TLS, real HTTP, from the controller."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared"))
from sitelib import APP, APP_UNIT, HTTP_PORT, HTTPS_PORT, INVENTORY, PROJECT, PROXY, SITE_NAME, Site, run_playbook  # noqa: E402,F401


@pytest.fixture(scope="module")
def site(host, tmp_path_factory):
    """The site, with the CA certificate read from the host the way a user gets it."""
    ca = host.file("/etc/ssl/flask-ca/ca.crt")
    assert ca.exists, "the self-signed CA certificate is missing on the host"
    path = tmp_path_factory.mktemp("ca") / "ca.crt"
    path.write_text(ca.content_string)
    return Site(str(path))


@pytest.fixture(scope="module")
def gunicorn_master(host):
    """PID of the gunicorn master (or the app server of SITE_APP_UNIT), as systemd tracks it."""
    pid = host.check_output(f"systemctl show -p MainPID --value {APP_UNIT}")
    assert pid not in ("", "0"), f"{APP_UNIT} has no main process"
    return int(pid)

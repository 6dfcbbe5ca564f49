"""The security scenario's fixtures: the site seen from outside, and the live release."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared"))
from sitelib import APP, PROJECT, Site, run_playbook  # noqa: E402,F401


@pytest.fixture(scope="module")
def site(host, tmp_path_factory):
    """The site, with the CA certificate read from the host the way a user gets it."""
    ca = host.file("/etc/ssl/flask-ca/ca.crt")
    assert ca.exists, "the self-signed CA certificate is missing on the host"
    path = tmp_path_factory.mktemp("ca") / "ca.crt"
    path.write_text(ca.content_string)
    return Site(str(path))


def live(host):
    """(gunicorn master PID, release `current` points at, checksum of the environment file
    systemd starts gunicorn with) of the running site."""
    pid = host.check_output(f"systemctl show -p MainPID --value gunicorn-{APP}.service")
    return pid, host.check_output(f"readlink /srv/{APP}/current"), host.file(f"/etc/flask/{APP}.env").sha256sum

"""The security scenario's fixtures: the site seen from outside, and the live release."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared"))
from sitelib import APP, PROJECT, Site, run_playbook, site  # noqa: E402,F401


def live(host):
    """(gunicorn master PID, release `current` points at, checksum of the environment file
    systemd starts gunicorn with) of the running site."""
    pid = host.check_output(f"systemctl show -p MainPID --value gunicorn-{APP}.service")
    return pid, host.check_output(f"readlink /srv/{APP}/current"), host.file(f"/etc/flask/{APP}.env").sha256sum

"""Helpers that look at the site from outside: real TLS, real HTTP, from the controller."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared"))
from sitelib import APP, APP_UNIT, HTTP_PORT, HTTPS_PORT, INVENTORY, PROJECT, PROXY, SITE_NAME, Site, run_playbook, site  # noqa: E402,F401
# Tests marked any_release run on Debian 13 only (sitelib).
from sitelib import pytest_collection_modifyitems, pytest_configure  # noqa: E402,F401


@pytest.fixture(scope="module")
def gunicorn_master(host):
    """PID of the gunicorn master (or the app server of SITE_APP_UNIT), as systemd tracks it."""
    pid = host.check_output(f"systemctl show -p MainPID --value {APP_UNIT}")
    assert pid not in ("", "0"), f"{APP_UNIT} has no main process"
    return int(pid)

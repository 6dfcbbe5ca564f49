"""Fixtures of the apps scenario: the site's CA (each app has its own), and a client that
speaks to one app by name."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared"))
from sitelib import Site  # noqa: E402

APPS = ("notes", "probe")


@pytest.fixture(scope="module")
def sites(host, tmp_path_factory):
    """One Site per app, each trusting that app's own self-signed CA."""
    result = {}
    for app in APPS:
        path = tmp_path_factory.mktemp(f"ca-{app}") / "ca.crt"
        path.write_text(host.file(f"/etc/ssl/flask/{app}/ca/ca.crt").content_string)
        result[app] = Site(str(path))
    return result

"""Fixtures of the apps scenario: the host's private CA, which signs every app's certificate,
as the play fetched it to the controller (tls_self_signed_ca_fetch), and a client per app
that trusts it and speaks to that app by name."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared"))
from sitelib import Site  # noqa: E402

APPS = ("notes", "probe")


# Where molecule.yml has the play copy the CA (tls_self_signed_ca_fetch).
FETCHED_CA = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "."), "ca.crt")


@pytest.fixture(scope="module")
def sites():
    """One Site per app, each trusting the one CA the play fetched, as a user of the site would."""
    assert os.path.exists(FETCHED_CA), f"the play did not copy the CA to {FETCHED_CA}"
    return {app: Site(FETCHED_CA) for app in APPS}

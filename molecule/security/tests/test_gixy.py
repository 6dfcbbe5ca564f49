"""gixy-ng (testbed/scanners.sh installs it, pinned) finds nothing, at any severity, in
`nginx -T` of the deployed host: every configuration file nginx loads, every site."""
import pytest
from sitelib import gixy_findings, nginx_dump, sites_missing_from

# Checks left out, each with the reason. None is skipped today.
SKIPPED = {}


@pytest.fixture(scope="module")
def dump(host):
    return nginx_dump(host)


def test_dump_covers_every_site_on_the_host(host, dump):
    missing = sites_missing_from(host, dump)
    assert not missing, f"nginx -T does not show {missing}"


def test_gixy_finds_nothing_at_any_severity(dump):
    issues = gixy_findings(dump, SKIPPED)
    assert not issues, "gixy-ng reports:\n" + "\n".join(issues)

"""What one app could leak on a host with several: gixy-ng on `nginx -T` with both sites,
and the debugger probes asked of each app under its own name."""
import pytest
from sitelib import debugger_exposure, gixy_findings, nginx_dump, sites_missing_from

NAMES = {"notes": "notes.test", "probe": "probe.test"}
# Paths each app routes besides /, and requests that must fail.
ROUTED = {"notes": ["/health", "/about"], "probe": ["/whoami", "/powered"]}
# What each app answers, alive, on the connection before each probe.
ALIVE = {"notes": ("/health", "ok"), "probe": ("/", "Hello, World!")}
ERRORS = {"notes": [("GET", "/nope", "notes.test"), ("DELETE", "/health", "notes.test")],
          "probe": [("GET", "/boom", "probe.test"), ("GET", "/nope", "probe.test")]}


class Named:
    """A site whose requests go to one app's name unless told otherwise."""

    def __init__(self, site, name):
        self.site, self.name = site, name

    def https(self, path, host=None, sni=None, **kwargs):
        return self.site.https(path, host=host or self.name, sni=sni or self.name, **kwargs)


def test_gixy_finds_nothing_with_several_sites(host):
    dump = nginx_dump(host)
    assert not sites_missing_from(host, dump)
    for app in NAMES:
        assert f"# configuration file /etc/nginx/conf.d/{app}.conf:" in dump, f"{app}'s site is not in nginx -T"
    issues = gixy_findings(dump)
    assert not issues, "gixy-ng reports:\n" + "\n".join(issues)


@pytest.mark.parametrize("app", sorted(NAMES))
def test_no_app_shows_the_debugger_under_its_name(sites, app):
    leaks = debugger_exposure(Named(sites[app], NAMES[app]), ROUTED[app], ERRORS[app], alive=ALIVE[app])
    assert not leaks, f"{app}: " + "\n".join(leaks)

"""The Werkzeug debugger's side doors stay shut, asked for every way an attacker asks."""
from sitelib import SITE_NAME, debugger_exposure

ERRORS = [
    ("GET", "/boom", SITE_NAME),
    ("GET", "/no-such-page", SITE_NAME),
    ("TRACE", "/", SITE_NAME),
    ("GET", "/.env", SITE_NAME),
    ("GET", "/console", "evil.example"),
]


def test_debugger_is_not_reachable_on_any_path_or_host(site):
    leaks = debugger_exposure(site, ["/login", "/account", "/whoami"], ERRORS, ["secapp-secret-exception-text"],
                              alive=("/", "secapp"))
    assert not leaks, "the debugger leaks:\n" + "\n".join(leaks)


def test_exception_gives_a_bare_500(site):
    assert site.https("/boom").status == 500

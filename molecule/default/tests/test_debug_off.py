"""Debug mode is off, in the running process and as seen by an attacker."""
from conftest import APP
from sitelib import SITE_NAME, debugger_exposure

LEAKS = ("Traceback", 'File "', "__debugger__", "Werkzeug Debugger", "probe-secret-exception-text")


def test_flask_debug_0_in_running_master_environment(host, gunicorn_master):
    environ = host.check_output(f"tr '\\0' '\\n' < /proc/{gunicorn_master}/environ").splitlines()
    assert "FLASK_DEBUG=0" in environ, "FLASK_DEBUG=0 is not in the gunicorn master's environment"


def test_deployed_app_has_debug_false_under_its_environment(host):
    script = (
        f"cd /srv/{APP}/current/app && set -a && . /etc/flask/{APP}.env && set +a && "
        f"/srv/{APP}/current/venv/bin/python -c 'import {APP}; print({APP}.app.debug)'"
    )
    out = host.check_output(f"runuser -u {APP} -- sh -c \"{script}\"")
    assert out == "False", f"app.debug is {out} under the production environment"


def test_exception_gives_generic_500(site):
    response = site.https("/boom")
    assert response.status == 500
    leaked = [marker for marker in LEAKS if marker in response.body]
    assert not leaked, f"the 500 page leaks {leaked}"


def test_debugger_resources_are_not_served(site):
    response = site.https("/?__debugger__=yes&cmd=resource&f=debugger.js")
    assert "javascript" not in response.getheader("Content-Type", ""), "the debugger's JavaScript is served"
    assert "__debugger__" not in response.body and "Werkzeug" not in response.body


def test_console_is_404(site):
    assert site.https("/console").status == 404


def test_no_werkzeug_server_header(site):
    for path in ("/", "/boom", "/console"):
        assert "werkzeug" not in site.https(path).getheader("Server", "").lower()


def test_debugger_side_doors_are_shut(site):
    """The shared probes (sitelib.debugger_exposure): the resource on routed paths,
    /console under the names Werkzeug trusts, and markers in 4xx/5xx bodies."""
    errors = [("GET", "/boom", SITE_NAME), ("GET", "/no-such-page", SITE_NAME), ("TRACE", "/", SITE_NAME),
              ("GET", "/.env", SITE_NAME), ("GET", "/console", "evil.example")]
    leaks = debugger_exposure(site, ["/whoami", "/powered"], errors, ["probe-secret-exception-text"])
    assert not leaks, "the debugger leaks:\n" + "\n".join(leaks)

"""Debug mode is off, in the running process and as seen by an attacker."""
from conftest import APP
from sitelib import SITE_NAME, debugger_exposure

LEAKS = ("Traceback", 'File "', "__debugger__", "Werkzeug Debugger", "probe-secret-exception-text")
# Each request below goes over a connection that first got this from the app: an absence
# (no marker, no JavaScript, no Werkzeug header) counts only while the app answers.
ALIVE = ("/", "Hello, World!")


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
    response = site.https("/boom", alive=ALIVE)
    assert response.status == 500, f"/boom answered {response.status}, not the app's 500"
    leaked = [marker for marker in LEAKS if marker in response.body]
    assert not leaked, f"the 500 page leaks {leaked}"


def test_debugger_resources_are_not_served(site):
    # The app's own route answers (it ignores the query): not the debugger, and not a proxy error.
    response = site.https("/?__debugger__=yes&cmd=resource&f=debugger.js", alive=ALIVE)
    assert "javascript" not in response.getheader("Content-Type", ""), "the debugger's JavaScript is served"
    assert "__debugger__" not in response.body and "Werkzeug" not in response.body
    assert response.status == 200 and response.body == "Hello, World!", (
        f"the app's / did not answer the debugger's query: {response.status} {response.body[:200]!r}")


def test_console_is_404(site):
    status = site.https("/console", alive=ALIVE).status
    assert status == 404, f"/console answered {status}"


def test_no_werkzeug_server_header(site):
    for path, status in (("/", 200), ("/boom", 500), ("/console", 404)):
        response = site.https(path, alive=ALIVE)
        assert response.status == status, f"{path} answered {response.status}, not the app's {status}"
        assert "werkzeug" not in response.getheader("Server", "").lower(), f"{path}: Server: {response.getheader('Server')}"


def test_debugger_side_doors_are_shut(site):
    """The shared probes (sitelib.debugger_exposure): the resource on routed paths,
    /console under the names Werkzeug trusts, and markers in 4xx/5xx bodies."""
    errors = [("GET", "/boom", SITE_NAME), ("GET", "/no-such-page", SITE_NAME), ("TRACE", "/", SITE_NAME),
              ("GET", "/.env", SITE_NAME), ("GET", "/console", "evil.example")]
    leaks = debugger_exposure(site, ["/whoami", "/powered"], errors, ["probe-secret-exception-text"], alive=ALIVE)
    assert not leaks, "the debugger leaks:\n" + "\n".join(leaks)

"""Changing flask_app_wsgi_server and flask_proxy on a converged host replaces the one
with the other: gunicorn behind nginx, then back to waitress behind Apache. Runs last."""
import os

from conftest import APP, PROJECT, run_playbook

WEBSERVERS = os.path.join(PROJECT, "playbooks", "webservers.yml")
TO_GUNICORN_AND_NGINX = (
    "-e", "flask_app_wsgi_server=gunicorn", "-e", "flask_proxy=nginx",
    "-e", '{"nginx_server_names": ["localhost", "alt.test"]}', "-e", "nginx_https_public_port=6843",
)


def serving(host, units):
    return {unit: (host.service(unit).is_running, host.service(unit).is_enabled) for unit in units}


def test_switch_to_gunicorn_and_nginx_and_back(host, site):
    result = run_playbook(WEBSERVERS, *TO_GUNICORN_AND_NGINX)
    assert result.failed == 0, f"the switch to gunicorn and nginx failed:\n{result.output[-3000:]}"
    assert site.https("/").body == "Hello, World!"
    assert site.https("/").getheader("Server") == "nginx", "nginx does not answer after the switch"
    assert serving(host, [f"gunicorn-{APP}.service", "nginx.service"]) == {
        f"gunicorn-{APP}.service": (True, True), "nginx.service": (True, True)}
    assert serving(host, [f"waitress-{APP}.service", f"waitress-{APP}.socket", "apache2.service"]) == {
        f"waitress-{APP}.service": (False, False), f"waitress-{APP}.socket": (False, False),
        "apache2.service": (False, False)}, "the old server and proxy were not stopped and disabled"

    again = run_playbook(WEBSERVERS, *TO_GUNICORN_AND_NGINX)
    assert again.failed == 0 and again.changed == 0, f"the switched host is not idempotent:\n{again.output[-3000:]}"

    back = run_playbook(WEBSERVERS)
    assert back.failed == 0, f"the switch back to waitress and Apache failed:\n{back.output[-3000:]}"
    assert site.https("/").body == "Hello, World!"
    assert site.https("/").getheader("Server") == "Apache"
    assert serving(host, [f"gunicorn-{APP}.service", "nginx.service"]) == {
        f"gunicorn-{APP}.service": (False, False), "nginx.service": (False, False)}

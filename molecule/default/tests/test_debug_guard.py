"""The deploy-time debug guard, on real deploys of test apps beside the probe app.

On Debian 12 only the refusal of debug=True runs (the import check under that release's
Python); the other verdicts come from the controller's stamps and the packages pip
installs, the same on every release (any_release)."""
import os

import pytest
from conftest import Site
from test_playbook_runs import run_play

APPS = os.path.join(os.environ.get("MOLECULE_PROJECT_DIRECTORY", "."), "molecule", "shared", "apps")


def deploy(name, module, *extra):
    return run_play(
        "-e",
        f'{{"flask_app_name": "{name}", "flask_app_module": "{module}", '
        f'"flask_app_source_dir": "{APPS}/{name}", "nginx_server_names": ["{name}.localhost"]}}',
        *extra,
    )


def test_app_with_debug_on_is_refused_naming_file_and_line(site, host):
    result = deploy("debugapp", "debugapp:app")
    assert result.returncode != 0 and result.failed == 1, "an app with debug=True was deployed"
    assert "debugapp.py:5 app.debug = True" in result.output, result.output[-3000:]
    assert not host.service("gunicorn-debugapp.service").is_running, "the debug app was started"
    assert site.https("/").body == "Hello, World!", "the probe site stopped serving"


@pytest.fixture(scope="module")
def factory_deploy():
    return deploy("factory", "factory:create_app()")


@pytest.mark.any_release
def test_app_factory_deploys_with_a_warning_for_main_block(factory_deploy):
    assert factory_deploy.returncode == 0, factory_deploy.output[-3000:]
    assert "factory/__init__.py:16 has create_app().run(debug=True)" in factory_deploy.output
    assert "never runs under gunicorn" in factory_deploy.output


@pytest.mark.any_release
def test_second_app_served_beside_the_first(factory_deploy, host, tmp_path):
    ca = tmp_path / "factory-ca.crt"
    ca.write_text(host.file("/etc/ssl/flask-ca/ca.crt").content_string)
    response = Site(str(ca)).https("/", host="factory.localhost", sni="factory.localhost")
    assert response.status == 200 and response.body == "Hello from the factory!"
    assert host.service("gunicorn-factory.service").is_running


@pytest.mark.any_release
def test_werkzeug_without_debugger_fix_is_refused(site, host):
    result = deploy("oldwerkzeug", "oldwerkzeug:app")
    assert result.returncode != 0 and result.failed == 1, "an app on Werkzeug 3.0.1 was deployed"
    assert "Werkzeug 3.0.1" in result.output and "3.0.3" in result.output, result.output[-3000:]
    assert not host.service("gunicorn-oldwerkzeug.service").is_running, "the vulnerable app was started"
    assert site.https("/").body == "Hello, World!", "the probe site stopped serving"


@pytest.mark.any_release
def test_environment_change_is_checked_again_until_it_passes(host, tmp_path):
    """A release that passed its import check is checked again when the environment
    changes, and a failed check is never taken as passed by the next run."""
    first = deploy("envdebug", "envdebug:app")
    assert first.returncode == 0, first.output[-3000:]
    release = host.check_output("readlink /srv/envdebug/current")
    testing_on = '{"flask_app_env": {"FLASK_TESTING": "true"}}'
    for attempt in ("the environment changed", "the same environment again"):
        result = deploy("envdebug", "envdebug:app", "-e", testing_on)
        assert result.returncode != 0 and result.failed == 1, f"{attempt}: testing mode went live"
        assert "testing=True" in result.output, result.output[-3000:]
        assert host.check_output("readlink /srv/envdebug/current") == release
    cleared = deploy("envdebug", "envdebug:app")
    assert cleared.returncode == 0, cleared.output[-3000:]
    ca = tmp_path / "envdebug-ca.crt"
    ca.write_text(host.file("/etc/ssl/flask-ca/ca.crt").content_string)
    response = Site(str(ca)).https("/", host="envdebug.localhost", sni="envdebug.localhost")
    assert response.status == 200 and response.body == "testing is off"

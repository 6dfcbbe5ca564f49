"""An app marked absent on the fleet (after test_fleet_apps.py, before the rolling
deploys): site.yml removes its units, worker, timer, shared files, socket and user from
the app server that ran it and its site, upstream and certificate from the load
balancer; its data and deploy history stay, the other app keeps serving, and its name
gets no TLS handshake any more."""
import json
import os

import pytest

from conftest import APP, HTTPS_PORT, NAMES, PROJECT, run_playbook
from sitelib import assert_handshake_refused, assert_units_gone, before_removal, history_of
from test_rolling import APP_DIR

# The inventory's cluster item (molecule.yml), unchanged, and admin marked absent.
APPS = [
    {"name": APP, "port": 8000, "server_names": ["localhost"], "source_dir": APP_DIR, "module": "cluster:app",
     "health_path": "/health", "release_commands": ["flask --app cluster migrate"], "shared_paths": ["instance"],
     "shared_files": [{"path": "settings.cfg", "content": "FLEET = 'cluster'\n"},
                      {"path": "instance/fleet.cfg", "content": "FLEET = 'cluster'\n"}]},
    {"name": "admin", "state": "absent"},
]
# What the inventory gives admin on app2 besides its server (molecule.yml).
ADMIN_UNITS = ("gunicorn-admin.service", "gunicorn-admin.socket", "flask-admin-worker.service",
               "flask-admin-tick.timer", "flask-admin-tick.service")


@pytest.fixture(scope="module")
def removed(apps):
    """admin as the converge left it (a worker running, its timer active, a shared file,
    a deploy history), then the site.yml run that marks it absent."""
    app2 = apps[NAMES["app2"]]
    before = before_removal(app2, "admin")
    app2.check_output("install -d -o admin -g admin /srv/admin/data/instance && echo kept > /srv/admin/data/instance/kept")
    result = run_playbook(os.path.join(PROJECT, "site.yml"), "-e", json.dumps({"flask_apps": APPS}))
    assert result.returncode == 0, result.output[-4000:]
    return before


def test_an_app_marked_absent_leaves_the_fleet_and_keeps_its_data(removed, site, lb, apps):
    app2 = apps[NAMES["app2"]]
    for path in ("/etc/nginx/conf.d/admin.conf", "/etc/nginx/upstreams/admin.conf", "/etc/ssl/flask/admin"):
        assert not lb.file(path).exists, f"the load balancer kept {path}"
    for path in ("/etc/systemd/system/gunicorn-admin.service", "/etc/systemd/system/gunicorn-admin.socket",
                 "/etc/flask/admin.env"):
        assert not app2.file(path).exists, f"{NAMES['app2']} kept {path}"
    assert not app2.user("admin").exists, "the admin user is left"
    assert app2.file("/srv/admin/data/instance/kept").content_string == "kept\n", "admin's data was deleted"
    assert not app2.socket("tcp://0.0.0.0:8001").is_listening and not app2.run("ss -Htln 'sport = :8001'").stdout
    assert_handshake_refused("admin.test", "localhost", port=HTTPS_PORT)
    assert {status for status, _, _ in site.sample(20)} == {200}, "the cluster app stopped serving"


def test_a_removed_apps_worker_and_timer_are_stopped_and_gone(removed, apps):
    assert_units_gone(apps[NAMES["app2"]], ["gunicorn-admin*", "flask-admin*"], ADMIN_UNITS, removed["worker_pid"])


def test_a_removed_apps_shared_files_are_gone(removed, apps):
    assert not apps[NAMES["app2"]].file("/etc/flask/admin").exists, "admin's shared files are left in /etc/flask/admin"


def test_a_removed_apps_deploy_history_stays(removed, apps):
    before = removed["history"]
    assert history_of(apps[NAMES["app2"]], "admin")[:len(before)] == before, "admin's deploy history lost records"

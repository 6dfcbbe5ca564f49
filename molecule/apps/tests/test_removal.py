"""An app marked absent is removed while the other keeps serving, its data kept, then purged
when asked. This file runs after the others (pytest takes the files in name order): the
probe app is gone afterwards."""
import json
import os
import ssl

import pytest
from sitelib import PROJECT, run_playbook

WEBSERVERS = os.path.join(PROJECT, "playbooks", "webservers.yml")


def test_an_app_marked_absent_is_removed_and_the_other_keeps_serving(host, sites):
    host.run("install -d -o probe -g probe /srv/probe/data && echo kept > /srv/probe/data/keep.txt")
    apps = [app if app["name"] != "probe" else {**app, "state": "absent"}
            for app in host.ansible.get_variables()["flask_apps"]]
    result = run_playbook(WEBSERVERS, "-e", json.dumps({"flask_apps": apps}))
    assert result.returncode == 0, result.output[-3000:]
    assert sites["notes"].https("/health", host="notes.test", sni="notes.test").status == 200
    with pytest.raises(ssl.SSLError):
        sites["probe"].https("/", host="probe.test", sni="probe.test")
    units = host.run("systemctl list-unit-files --no-legend 'waitress-probe*' 'gunicorn-probe*' 'flask-probe*'").stdout
    assert units.strip() == "", units
    assert not host.file("/run/probe/waitress.sock").exists
    assert not host.user("probe").exists
    for gone in ("/etc/flask/probe.env", "/etc/nginx/conf.d/probe.conf", "/etc/ssl/flask/probe", "/srv/probe/releases"):
        assert not host.file(gone).exists, f"{gone} is still there"
    assert host.file("/srv/probe/data/keep.txt").content_string == "kept\n", "the removed app's data was lost"


def test_purge_data_deletes_a_removed_apps_data_and_nothing_of_the_other(host, sites):
    """Runs after the removal above: the same item, now with purge_data, takes /srv/probe."""
    assert host.file("/srv/probe/data/keep.txt").exists, "nothing left to purge: the test above did not run"
    apps = [app if app["name"] != "probe" else {**app, "state": "absent", "purge_data": True}
            for app in host.ansible.get_variables()["flask_apps"]]
    result = run_playbook(WEBSERVERS, "-e", json.dumps({"flask_apps": apps}))
    assert result.returncode == 0, result.output[-3000:]
    assert not host.file("/srv/probe").exists, "purge_data left /srv/probe"
    assert host.file("/srv/notes/data").is_directory
    assert sites["notes"].https("/health", host="notes.test", sni="notes.test").status == 200

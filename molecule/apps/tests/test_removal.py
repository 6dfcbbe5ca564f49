"""An app marked absent is removed while the other keeps serving, its data kept, then purged
when asked. This file runs after the others (pytest takes the files in name order): the
probe app is gone afterwards."""
import json
import os

import pytest
from sitelib import PROJECT, assert_handshake_refused, assert_units_gone, before_removal, history_of, run_playbook

WEBSERVERS = os.path.join(PROJECT, "playbooks", "webservers.yml")


# What the probe app gets before it is removed, so that each has something to remove.
PROBE_EXTRAS = {
    "processes": [{"name": "worker", "command": "sleep infinity"}],
    "timers": [{"name": "tick", "command": "true", "on_calendar": "hourly"}],
    "shared_files": [{"path": "extra.cfg", "content": "EXTRA = 1\n"}],
}
PROBE_UNITS = ("waitress-probe.service", "waitress-probe.socket", "flask-probe-worker.service",
               "flask-probe-tick.timer", "flask-probe-tick.service")


def apps_with_probe(host, **changes):
    """The inventory's flask_apps, with the probe item changed."""
    return [app if app["name"] != "probe" else {**app, **changes} for app in host.ansible.get_variables()["flask_apps"]]


@pytest.fixture(scope="module")
def probe_with_everything(host):
    """The probe app given a worker, a timer and a shared file; what it had before removal."""
    result = run_playbook(WEBSERVERS, "-e", json.dumps({"flask_apps": apps_with_probe(host, **PROBE_EXTRAS)}))
    assert result.returncode == 0, result.output[-3000:]
    return before_removal(host, "probe")


def test_an_app_marked_absent_is_removed_and_the_other_keeps_serving(host, sites, probe_with_everything):
    host.run("install -d -o probe -g probe /srv/probe/data && echo kept > /srv/probe/data/keep.txt")
    result = run_playbook(WEBSERVERS, "-e", json.dumps({"flask_apps": apps_with_probe(host, state="absent")}))
    assert result.returncode == 0, result.output[-3000:]
    assert sites["notes"].https("/health", host="notes.test", sni="notes.test").status == 200
    assert_handshake_refused("probe.test", "notes.test")
    assert not host.user("probe").exists
    for gone in ("/etc/flask/probe.env", "/etc/nginx/conf.d/probe.conf", "/etc/ssl/flask/probe", "/srv/probe/releases"):
        assert not host.file(gone).exists, f"{gone} is still there"
    assert host.file("/srv/probe/data/keep.txt").content_string == "kept\n", "the removed app's data was lost"


def test_a_removed_apps_workers_and_timers_are_stopped_and_gone(host, probe_with_everything):
    assert_units_gone(host, ["waitress-probe*", "gunicorn-probe*", "flask-probe*"], PROBE_UNITS,
                      probe_with_everything["worker_pid"])
    assert not host.file("/run/probe/waitress.sock").exists


def test_a_removed_apps_shared_files_are_gone(host, probe_with_everything):
    assert not host.file("/etc/flask/probe").exists, "the removed app's shared files are left in /etc/flask/probe"


def test_a_removed_apps_deploy_history_stays(host, probe_with_everything):
    before = probe_with_everything["history"]
    assert history_of(host, "probe")[:len(before)] == before, (
        "the removed app's deploy history lost records")


def test_purge_data_deletes_a_removed_apps_data_and_nothing_of_the_other(host, sites):
    """Runs after the removal above: the same item, now with purge_data, takes /srv/probe."""
    assert host.file("/srv/probe/data/keep.txt").exists, "nothing left to purge: the test above did not run"
    result = run_playbook(WEBSERVERS, "-e", json.dumps({"flask_apps": apps_with_probe(host, state="absent", purge_data=True)}))
    assert result.returncode == 0, result.output[-3000:]
    assert not host.file("/srv/probe").exists, "purge_data left /srv/probe"
    assert host.file("/srv/notes/data").is_directory
    assert sites["notes"].https("/health", host="notes.test", sni="notes.test").status == 200

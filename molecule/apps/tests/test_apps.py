"""Several apps on one host, seen from outside and from inside: each served under its own
name by its own user and units, one app's deploy leaving the other's server alone under
load, bad lists refused before any change, and an app removed without touching the other.
The removal runs last: the tests run in file order."""
import json
import os
import ssl
import threading
import time

import pytest
from sitelib import PROJECT, run_playbook

WEBSERVERS = os.path.join(PROJECT, "playbooks", "webservers.yml")
DEPLOY = os.path.join(PROJECT, "playbooks", "deploy.yml")
ROLLBACK = os.path.join(PROJECT, "playbooks", "rollback.yml")
RUN = os.path.join(PROJECT, "playbooks", "run.yml")
NOTES_SOURCE = os.path.join(PROJECT, "molecule", "realapps", "app")
NAMES = {"notes": "notes.test", "probe": "probe.test"}
UNITS = {"notes": "gunicorn-notes.service", "probe": "waitress-probe.service"}


def get(sites, app, path):
    return sites[app].https(path, host=NAMES[app], sni=NAMES[app])


def main_pid(host, unit):
    return host.run(f"systemctl show --property=MainPID --value {unit}").stdout.strip()


def inventory_apps(host):
    """The scenario's flask_apps, as the inventory holds them."""
    return host.ansible.get_variables()["flask_apps"]


def test_each_app_is_served_under_its_own_name(sites):
    notes = get(sites, "notes", "/health")
    probe = get(sites, "probe", "/")
    assert notes.status == 200 and notes.body == "ok\n", (notes.status, notes.body[:200])
    assert probe.status == 200 and "Hello" in probe.body, (probe.status, probe.body[:200])
    assert notes.getheader("X-App-Version"), "notes.test did not reach the notes app"
    assert not probe.getheader("X-App-Version"), "probe.test reached the notes app"


def test_a_name_no_app_claims_gets_no_site(sites):
    with pytest.raises(ssl.SSLError):
        sites["notes"].https("/", host="other.test", sni="other.test")
    # Over one app's TLS connection, another name is refused (421), never served.
    crossed = sites["notes"].https("/", host="other.test", sni="notes.test")
    assert crossed.status == 421, crossed.status


def test_each_app_has_its_own_user_units_and_certificate(host):
    for app, unit in UNITS.items():
        assert host.user(app).exists, f"no user {app}"
        assert host.service(unit).is_running, f"{unit} is not running"
        assert host.run(f"systemctl show --property=User --value {unit}").stdout.strip() == app
        assert host.file(f"/etc/ssl/flask/{app}/fullchain.pem").exists
        assert host.file(f"/etc/nginx/conf.d/{app}.conf").exists
    assert host.user("notes").uid != host.user("probe").uid


@pytest.mark.parametrize("user,path", [
    ("probe", "/etc/flask/notes.env"),
    ("probe", "/etc/flask/notes/instance/config.py"),
    ("probe", "/srv/notes/data/instance"),
    ("notes", "/etc/flask/probe.env"),
    ("notes", "/etc/ssl/flask/probe/privkey.pem"),
])
def test_one_app_user_cannot_read_another_apps_secrets_or_data(host, user, path):
    assert host.file(path).exists, f"{path} is missing: nothing to protect"
    reader = host.run(f"setpriv --reuid={user} --regid={user} --init-groups ls -l {path}")
    if host.file(path).is_file:
        reader = host.run(f"setpriv --reuid={user} --regid={user} --init-groups cat {path}")
    assert reader.rc != 0 and "Permission denied" in reader.stderr, (user, path, reader.rc, reader.stdout[:200])


class TwoSiteLoad:
    """Bounded requests to both apps by name, from a few threads, while an action runs."""

    def __init__(self, sites, threads=3, seconds=180):
        self.sites, self.threads, self.deadline = sites, threads, time.monotonic() + seconds
        self.stop = threading.Event()
        self.results = {app: [] for app in NAMES}
        self.workers = []

    def work(self, app):
        path = "/health" if app == "notes" else "/"
        while not self.stop.is_set() and time.monotonic() < self.deadline:
            try:
                self.results[app].append(get(self.sites, app, path).status)
            except OSError as error:  # a refused or reset connection counts as a failure
                self.results[app].append(repr(error))
            time.sleep(0.02)

    def __enter__(self):
        for app in NAMES:
            for _ in range(self.threads):
                worker = threading.Thread(target=self.work, args=(app,), daemon=True)
                worker.start()
                self.workers.append(worker)
        time.sleep(2)
        return self

    def __exit__(self, *exc):
        time.sleep(2)
        self.stop.set()
        for worker in self.workers:
            worker.join(30)

    def failures(self, app):
        return [status for status in self.results[app] if status != 200]


def test_a_deploy_of_one_app_leaves_the_other_untouched_under_load(host, sites, tmp_path):
    source = tmp_path / "notes-v2"
    source.mkdir()
    os.system(f"cp -a {NOTES_SOURCE}/. {source}/")  # noqa: S605 (a local copy of the test app)
    (source / "VERSION").write_text("apps-v2\n")
    probe_pid = main_pid(host, UNITS["probe"])
    with TwoSiteLoad(sites) as load:
        result = run_playbook(DEPLOY, "-e", "flask_app=notes", "-e", f"flask_app_source_dir={source}")
    assert result.returncode == 0, result.output[-3000:]
    assert get(sites, "notes", "/health").getheader("X-App-Version") == "apps-v2"
    assert main_pid(host, UNITS["probe"]) == probe_pid, "the probe app's server was restarted"
    for app in NAMES:
        assert len(load.results[app]) > 20, f"too few requests to {app}: {len(load.results[app])}"
        assert not load.failures(app), f"{app}: {load.failures(app)[:10]}"


def test_a_rollback_of_one_app_leaves_the_other_untouched(host, sites):
    """Runs after the deploy above: notes goes back to its first release, probe stays as it is."""
    probe_pid = main_pid(host, UNITS["probe"])
    result = run_playbook(ROLLBACK, "-e", "flask_app=notes")
    assert result.returncode == 0, result.output[-3000:]
    assert get(sites, "notes", "/health").getheader("X-App-Version") != "apps-v2"
    assert main_pid(host, UNITS["probe"]) == probe_pid, "the probe app's server was restarted"


def test_a_one_off_command_runs_in_the_app_named(host):
    asked = run_playbook(RUN, "-e", json.dumps({"flask_run_command": "id -un"}))
    assert asked.returncode != 0 and "name the one to run the command in with -e flask_app=NAME" in " ".join(
        asked.output.split()), asked.output[-2000:]
    for app in NAMES:
        result = run_playbook(RUN, "-e", json.dumps({"flask_run_command": "echo ran-as-$(id -un)", "flask_app": app}))
        assert result.returncode == 0, result.output[-3000:]
        assert f"ran-as-{app}" in result.output and "exit status 0" in result.output, result.output[-2000:]


@pytest.mark.parametrize("case,apps,extra,message", [
    ("duplicate names", [{"name": "notes", "server_names": ["a.test"]}, {"name": "notes", "server_names": ["b.test"]}],
     [], "flask_apps item 0 (name 'notes'): the name is used by more than one item"),
    ("shared server name", [{"name": "notes", "server_names": ["a.test"]}, {"name": "probe", "server_names": ["A.test"]}],
     [], "flask_apps item 0 (name 'notes'): server name(s) a.test also belong to another app"),
    ("bad name", [{"name": "Notes App", "server_names": ["a.test"]}], [], "flask_apps item 0 (name 'Notes App'): name must be"),
    ("unknown setting", [{"name": "notes", "server_names": ["a.test"], "modul": "x:app"}], [], "unknown setting(s) modul"),
    ("unknown app", None, ["-e", "flask_app=nosuch"], "-e flask_app=nosuch names no app of molecule-apps"),
])
def test_a_bad_app_list_is_refused_before_any_change(host, case, apps, extra, message):
    before = host.run("stat -c %Y /etc/nginx/conf.d/notes.conf /srv/notes/current").stdout
    args = ["-e", json.dumps({"flask_apps": apps})] if apps is not None else []
    result = run_playbook(WEBSERVERS, *args, *extra)
    assert result.returncode != 0 and result.changed == 0, (case, result.output[-2000:])
    assert message in " ".join(result.output.split()), (case, result.output[-2000:])
    assert host.run("stat -c %Y /etc/nginx/conf.d/notes.conf /srv/notes/current").stdout == before


def test_an_app_marked_absent_is_removed_and_the_other_keeps_serving(host, sites):
    host.run("install -d -o probe -g probe /srv/probe/data && echo kept > /srv/probe/data/keep.txt")
    apps = [app if app["name"] != "probe" else {**app, "state": "absent"} for app in inventory_apps(host)]
    result = run_playbook(WEBSERVERS, "-e", json.dumps({"flask_apps": apps}))
    assert result.returncode == 0, result.output[-3000:]
    assert get(sites, "notes", "/health").status == 200
    with pytest.raises(ssl.SSLError):
        get(sites, "probe", "/")
    units = host.run("systemctl list-unit-files --no-legend 'waitress-probe*' 'gunicorn-probe*' 'flask-probe*'").stdout
    assert units.strip() == "", units
    assert not host.file("/run/probe/waitress.sock").exists
    assert not host.user("probe").exists
    for gone in ("/etc/flask/probe.env", "/etc/nginx/conf.d/probe.conf", "/etc/ssl/flask/probe", "/srv/probe/releases"):
        assert not host.file(gone).exists, f"{gone} is still there"
    assert host.file("/srv/probe/data/keep.txt").content_string == "kept\n", "the removed app's data was lost"

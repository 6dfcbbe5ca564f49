"""Several apps on one host, seen from outside and from inside: each served under its own
name by its own user and units, one app's deploy leaving the other's server alone under
load, and bad lists refused before any change. test_removal.py, which runs last, removes one."""
import json
import os
import shlex
import time

import pytest
from loadgen import KeptAliveClient, Load
from sitelib import HTTPS_PORT, PROJECT, assert_handshake_refused, run_playbook

WEBSERVERS = os.path.join(PROJECT, "playbooks", "webservers.yml")
DEPLOY = os.path.join(PROJECT, "playbooks", "deploy.yml")
ROLLBACK = os.path.join(PROJECT, "playbooks", "rollback.yml")
RUN = os.path.join(PROJECT, "playbooks", "run.yml")
NOTES_SOURCE = os.path.join(PROJECT, "molecule", "realapps", "app")
NAMES = {"notes": "notes.test", "probe": "probe.test"}
UNITS = {"notes": "gunicorn-notes.service", "probe": "waitress-probe.service"}
PATHS = {"notes": "/health", "probe": "/"}
# The version of the notes app as converged (its source's VERSION file).
with open(os.path.join(NOTES_SOURCE, "VERSION"), encoding="utf-8") as handle:
    FIRST_VERSION = handle.read().strip()


def get(sites, app, path):
    return sites[app].https(path, host=NAMES[app], sni=NAMES[app])


def main_pid(host, unit):
    return host.run(f"systemctl show --property=MainPID --value {unit}").stdout.strip()


def test_each_app_is_served_under_its_own_name(sites):
    notes = get(sites, "notes", "/health")
    probe = get(sites, "probe", "/")
    assert notes.status == 200 and notes.body == "ok\n", (notes.status, notes.body[:200])
    assert probe.status == 200 and "Hello" in probe.body, (probe.status, probe.body[:200])
    assert notes.getheader("X-App-Version"), "notes.test did not reach the notes app"
    assert not probe.getheader("X-App-Version"), "probe.test reached the notes app"


def test_a_name_no_app_claims_gets_no_site(sites):
    # nginx refuses the handshake (unrecognized_name), verification off: no certificate at all.
    assert_handshake_refused("other.test", "notes.test")
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


def load_on(sites, app):
    """A bounded load on one app by name, each request on a new verified TLS connection."""
    return Load(lambda: KeptAliveClient(sites[app].ca_file, NAMES[app], HTTPS_PORT, PATHS[app], keep_alive=False),
                threads=3, pause=0.02, seconds=300, label=f"load on {NAMES[app]}")


def test_a_deploy_of_one_app_leaves_the_other_untouched_under_load(host, sites, tmp_path):
    source = tmp_path / "notes-v2"
    source.mkdir()
    os.system(f"cp -a {NOTES_SOURCE}/. {source}/")  # noqa: S605 (a local copy of the test app)
    (source / "VERSION").write_text("apps-v2\n")
    probe_pid = main_pid(host, UNITS["probe"])
    with load_on(sites, "notes") as notes_load, load_on(sites, "probe") as probe_load:
        result = run_playbook(DEPLOY, "-e", "flask_app=notes", "-e", f"flask_app_source_dir={source}")
    assert result.returncode == 0, result.output[-3000:]
    assert get(sites, "notes", "/health").getheader("X-App-Version") == "apps-v2"
    assert main_pid(host, UNITS["probe"]) == probe_pid, "the probe app's server was restarted"
    notes_load.assert_no_failure(min_requests=100)
    probe_load.assert_no_failure(min_requests=100)
    versions = {sample.details[0] for sample in notes_load.samples if sample.details}
    assert versions == {FIRST_VERSION, "apps-v2"}, f"versions notes served during its deploy: {versions}"


def test_a_rollback_of_one_app_leaves_the_other_untouched(host, sites):
    """Runs after the deploy above: notes goes back to its first release, probe stays as it is."""
    assert get(sites, "notes", "/health").getheader("X-App-Version") == "apps-v2", "the deploy above did not run"
    probe_pid = main_pid(host, UNITS["probe"])
    result = run_playbook(ROLLBACK, "-e", "flask_app=notes")
    assert result.returncode == 0, result.output[-3000:]
    notes = get(sites, "notes", "/health")
    assert (notes.status, notes.body, notes.getheader("X-App-Version")) == (200, "ok\n", FIRST_VERSION), (
        f"after the rollback notes answered {notes.status} {notes.body[:200]!r}, "
        f"version {notes.getheader('X-App-Version')}, not its first release's {FIRST_VERSION}")
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


def test_each_app_has_its_own_deploy_lock(host):
    """A CI job on another controller holds the probe app's lock (fresh: not stale): a
    deploy of notes goes ahead, a deploy of probe is refused naming the holder."""
    since = int(time.time())
    record = {"who": "GitLab CI job 7201 https://gitlab.example/team/shop/-/jobs/7201", "user": "gitlab-runner",
              "controller": "runner-elsewhere", "boot_id": "0" * 32, "pid": 4242, "pid_start": "1",
              "run_id": "runner-elsewhere/0/4242/1", "purpose": "Deploy a release of the Flask app", "app": "probe",
              "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(since)), "since_epoch": since,
              "renewed_epoch": since}
    lock = "/var/lib/flask-lock/probe.lock"
    host.check_output(f"install -d -m 0755 /var/lib/flask-lock && printf '%s\\n' {shlex.quote(json.dumps(record))} > {lock}")
    try:
        notes = run_playbook(DEPLOY, "-e", "flask_app=notes")
        probe = run_playbook(DEPLOY, "-e", "flask_app=probe")
        left = host.file(lock).content_string
    finally:
        host.run(f"rm -f {lock}")
    assert notes.returncode == 0, f"probe's lock stopped a deploy of notes:\n{notes.output[-3000:]}"
    assert probe.returncode != 0 and probe.changed == 0, f"a deploy of probe ran under its held lock:\n{probe.output[-3000:]}"
    assert "held by GitLab CI job 7201" in " ".join(probe.output.split()), (
        f"the refusal does not name the holder:\n{probe.output[-3000:]}")
    assert json.loads(left) == record, "a deploy touched the probe app's lock"

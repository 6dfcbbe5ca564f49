"""What site.yml leaves on a fleet besides the site: the release command ran once, on the
first app server, before any server went live; the shared files are linked into the
release; and no deploy lock is left on any host. A bad list of apps is refused before
any change."""
import json
import os

import pytest

from conftest import APP, LOCK_FILE, NAMES, PROJECT, live_release, release_records, run_playbook


def test_release_command_ran_once_on_the_first_app_server_before_any_went_live(apps):
    live = {name: live_release(app) for name, app in apps.items()}
    releases = {release for release, _ in live.values()}
    assert len(releases) == 1, f"the app servers run different releases: {live}"
    records = [record for record in release_records(apps) if record[1] in releases]
    assert [record[0] for record in records] == [NAMES["app1"]], (
        f"expected one run of the release command, on {NAMES['app1']}, got {records}")
    ran_at = records[0][3]
    assert all(ran_at < switched for _, switched in live.values()), (
        f"the release command ran at {ran_at}, after a server went live: {live}")


def test_shared_files_are_linked_into_the_live_release(apps):
    for name, app in apps.items():
        top = app.file(f"/srv/{APP}/current/app/settings.cfg")
        inside = app.file(f"/srv/{APP}/data/instance/fleet.cfg")
        assert top.is_symlink and top.linked_to == f"/etc/flask/{APP}/settings.cfg", f"{name}: settings.cfg is not linked"
        assert inside.is_symlink and inside.linked_to == f"/etc/flask/{APP}/instance/fleet.cfg", (
            f"{name}: instance/fleet.cfg is not linked in the data directory")


def test_no_deploy_lock_is_left_on_any_host(lb, apps):
    for name, host in {NAMES["lb"]: lb, **apps}.items():
        assert host.file("/usr/local/sbin/flask-lock").exists, f"{name}: site.yml never took the lock there"
        assert not host.file(LOCK_FILE).exists, f"{name}: a deploy lock was left: {host.file(LOCK_FILE).content_string}"


@pytest.mark.parametrize("case, apps_list, extra, message", [
    ("no port", [{"name": "other", "server_names": ["other.test"]}], [],
     "flask_apps item 0 (name 'other'): port must be the TCP port"),
    ("one port twice", [{"name": "one", "server_names": ["one.test"], "port": 8000},
                        {"name": "two", "server_names": ["two.test"], "port": 8000}], [],
     "flask_apps item 0 (name 'one'): port must be a number from 1024 to 65535 that no other app"),
    ("waitress", [{"name": "other", "server_names": ["other.test"], "port": 8005, "wsgi_server": "waitress"}], [],
     "(or an item of flask_apps sets wsgi_server): a fleet's load balancers run nginx"),
    ("unknown app", None, ["-e", "flask_app=nosuch"], "-e flask_app=nosuch names no app of the fleet"),
])
def test_a_bad_fleet_app_list_is_refused_before_any_change(apps, case, apps_list, extra, message):
    """Each app server's flask_apps is checked as on a single host, plus a port per app;
    -e flask_app is checked against every app server's apps."""
    site = os.path.join(PROJECT, "site.yml")
    before = {name: live_release(app) for name, app in apps.items()}
    args = ["-e", json.dumps({"flask_apps": apps_list})] if apps_list is not None else []
    result = run_playbook(site, *args, *extra)
    assert result.returncode != 0, f"{case}: site.yml accepted it"
    assert message in " ".join(result.output.split()), (case, result.output[-2000:])
    assert not any(result.changed.values()), f"{case}: changes before the refusal: {result.changed}"
    assert {name: live_release(app) for name, app in apps.items()} == before

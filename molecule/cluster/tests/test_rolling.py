"""Rolling deploys: one app server at a time leaves the load balancer, takes the new
release, passes its health check and comes back, so the site never fails a request;
a server that fails its check stops the roll and stays out, on its old release. A
deploy lock held on one app server stops the roll before it changes anything; the
release command runs once per deploy, on the first server, before any server switches."""
import json
import os
import shlex
import shutil
import time
from collections import Counter

import pytest

from conftest import (APP, DEPLOY_PLAYBOOK, LOCK_FILE, NAMES, PROJECT, UNLOCK_PLAYBOOK, live_release, load_on,
                      private_address, release_records, run_playbook)

# A roll over two servers took a minute or more here; 2 threads send about 25 a second.
MIN_REQUESTS = 300

APP_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "app")


def release_source(tmp_path, version, unhealthy_on=()):
    """A copy of the test app that reports `version` and fails /health on the named hosts."""
    source = tmp_path / f"v{version}"
    shutil.copytree(APP_DIR, source, ignore=shutil.ignore_patterns("__pycache__"))
    (source / "VERSION").write_text(f"{version}\n")
    if unhealthy_on:
        (source / "UNHEALTHY_ON").write_text(" ".join(unhealthy_on) + "\n")
    return source


def answer_of(lb, app):
    """Status and version an app server gives the load balancer directly (drained or not)."""
    script = (
        "import urllib.request as u; "
        f"r = u.urlopen('http://{private_address(app)}:8000/', timeout=10); "
        "print(r.status, r.headers['X-App-Version'])"
    )
    return lb.check_output(f'python3 -c "{script}"').split()


def upstream_lines(lb):
    return lb.check_output(f"grep '^server ' /etc/nginx/upstreams/{APP}.conf").splitlines()


def lock_left(host):
    """The deploy lock's record on a host, or None."""
    found = host.run(f"cat {LOCK_FILE}")
    return json.loads(found.stdout) if found.rc == 0 else None


def test_a_lock_held_on_one_app_server_stops_the_fleet_deploy_before_any_change(site, lb, apps, tmp_path):
    """A CI job on another controller took app2's lock two hours ago and vanished: the
    roll must not even drain app1, and unlock.yml clears the lock (its lease ran out)."""
    held_on = apps[NAMES["app2"]]
    since = int(time.time()) - 7200
    record = {"who": "GitLab CI job 7101 https://gitlab.example/team/shop/-/jobs/7101", "user": "gitlab-runner",
              "controller": "runner-elsewhere", "boot_id": "0" * 32, "pid": 4242, "pid_start": "1",
              "run_id": "runner-elsewhere/0/4242/1", "purpose": "Roll a release over the fleet", "app": APP,
              "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(since)), "since_epoch": since,
              "renewed_epoch": since}
    held_on.check_output(f"install -d -m 0755 /var/lib/flask-lock && printf '%s\\n' {shlex.quote(json.dumps(record))} > {LOCK_FILE}")
    before = upstream_lines(lb)

    refused = run_playbook(DEPLOY_PLAYBOOK, "-e", "flask_app=cluster",
                           "-e", f"flask_app_source_dir={release_source(tmp_path, 9)}")
    assert refused.returncode != 0, f"the deploy ran although app2's lock is held:\n{refused.output[-3000:]}"
    said = " ".join(refused.output.split())
    assert "held by GitLab CI job 7101" in said and "STALE" in said, (
        f"the refusal does not name the holder:\n{refused.output[-3000:]}")
    assert refused.changed and not any(refused.changed.values()), f"the refused deploy changed something: {refused.changed}"
    assert upstream_lines(lb) == before, "the refused deploy drained a server"
    for name, app in apps.items():
        assert answer_of(lb, app) == ["200", "1"], f"{name} left version 1"
    assert lock_left(lb) is None and lock_left(apps[NAMES["app1"]]) is None, "the refused deploy left its own locks"
    assert lock_left(held_on) == record, "the refused deploy touched the holder's lock"

    cleared = run_playbook(UNLOCK_PLAYBOOK, "--limit", NAMES["app2"], "-e", f"flask_app_name={APP}")
    assert cleared.returncode == 0, cleared.output[-3000:]
    assert "Cleared the STALE deploy lock" in cleared.output and "GitLab CI job 7101" in cleared.output, (
        f"unlock.yml does not say whose lock it cleared:\n{cleared.output[-3000:]}")
    assert lock_left(held_on) is None, "unlock.yml left the lock"


@pytest.fixture(scope="module")
def rolled_to_v2(site, tmp_path_factory):
    """Deploy version 2 while a bounded load runs against the site (after the refused
    deploy above: it also proves that the lock is gone). The deploy drops both shared files."""
    source = release_source(tmp_path_factory.mktemp("release"), 2)
    with load_on(site) as load:
        result = run_playbook(DEPLOY_PLAYBOOK, "-e", "flask_app=cluster", "-e", f"flask_app_source_dir={source}",
                              "-e", json.dumps({"flask_app_shared_files": []}))
    return result, load


def test_rolling_deploy_of_v2_fails_no_request(rolled_to_v2):
    result, load = rolled_to_v2
    assert result.returncode == 0, f"the deploy failed:\n{result.output[-4000:]}"
    load.assert_no_failure(MIN_REQUESTS)


def test_rolling_deploy_ends_with_every_server_on_v2(rolled_to_v2, site, lb, apps):
    for name, app in apps.items():
        assert answer_of(lb, app) == ["200", "2"], f"{name} does not serve version 2"
    assert not [line for line in upstream_lines(lb) if line.endswith(" down;")], "a server stayed drained"
    results = site.sample(20)
    assert {(status, version) for status, _, version in results} == {(200, "2")}, results
    assert {server for _, server, _ in results} == set(apps), "not every server is back in the rotation"


def test_release_command_ran_once_per_deploy_before_any_server_switched(rolled_to_v2, apps):
    live = {name: live_release(app) for name, app in apps.items()}
    release = live[NAMES["app1"]][0]
    records = [record for record in release_records(apps) if record[1] == release]
    assert [(host, version) for host, _, version, _ in records] == [(NAMES["app1"], "2")], (
        f"expected one run of the release command for version 2, on {NAMES['app1']}: {records}")
    assert all(records[0][3] < switched for _, switched in live.values()), (
        f"the release command ran at {records[0][3]}, after a server switched: {live}")


def test_dropped_shared_files_lose_their_links_in_every_release_but_stay_stored(rolled_to_v2, apps):
    for name, app in apps.items():
        releases = app.check_output(f"ls /srv/{APP}/releases").split()
        assert len(releases) >= 2, f"{name}: no earlier release to check: {releases}"
        links = app.run(f"find /srv/{APP}/releases/*/app /srv/{APP}/data -lname '/etc/flask/{APP}/*'").stdout.split()
        assert not links, f"{name}: links to dropped shared files are left: {links}"
        for kept in ("settings.cfg", "instance/fleet.cfg"):
            assert app.file(f"/etc/flask/{APP}/{kept}").is_file, f"{name}: the dropped file {kept} was deleted"


def test_rolling_deploy_served_both_versions_during_the_roll(rolled_to_v2):
    _, load = rolled_to_v2
    versions = Counter(sample.details[1] for sample in load.samples if sample.status == 200)
    assert set(versions) == {"1", "2"}, f"versions served during the roll: {dict(versions)}"


def test_failing_second_server_stays_drained_on_its_old_release(rolled_to_v2, site, lb, apps, tmp_path):
    broken = NAMES["app2"]
    source = release_source(tmp_path, 3, unhealthy_on=[broken])
    with load_on(site) as load:
        result = run_playbook(DEPLOY_PLAYBOOK, "-e", "flask_app=cluster", "-e", f"flask_app_source_dir={source}")
    assert result.returncode != 0, "a deploy whose release fails its health check succeeded"
    assert result.recap.get(broken) not in (None, "0"), f"{broken} did not fail:\n{result.output[-3000:]}"
    load.assert_no_failure(MIN_REQUESTS)
    # The first server took version 3; the broken one is back on version 2, and drained.
    assert answer_of(lb, apps[NAMES["app1"]]) == ["200", "3"]
    assert answer_of(lb, apps[broken]) == ["200", "2"], f"{broken} is not back on its old release"
    drained = [line for line in upstream_lines(lb) if line.endswith(" down;")]
    assert drained == [line for line in upstream_lines(lb) if private_address(apps[broken]) in line], (
        f"expected only {broken} drained, the upstream reads {upstream_lines(lb)}"
    )
    results = site.sample(50)
    assert {(status, server, version) for status, server, version in results} == {(200, NAMES["app1"], "3")}, (
        f"the site does not serve version 3 from {NAMES['app1']} alone: {Counter(results)}"
    )
    # The failure released the lock on every host (the load balancer's and app2's, never reached
    # by a later play), and the release command ran once, on the first server, for version 3.
    for name, host in {NAMES["lb"]: lb, **apps}.items():
        assert lock_left(host) is None, f"the failed deploy left its lock on {name}"
    release = live_release(apps[NAMES["app1"]])[0]
    assert [(host, version) for host, rel, version, _ in release_records(apps) if rel == release] == [(NAMES["app1"], "3")]


def test_drain_refuses_to_take_the_last_server_out(rolled_to_v2, site, lb):
    """With one server drained by the failed deploy, a new roll may not drain the other."""
    before = upstream_lines(lb)
    result = run_playbook(DEPLOY_PLAYBOOK, "-e", "flask_app=cluster", "-e", f"flask_app_source_dir={APP_DIR}")
    assert result.returncode != 0, "a roll drained the last server in service"
    assert "would have no app server up" in " ".join(result.output.split()), result.output[-3000:]
    assert upstream_lines(lb) == before, "the upstream changed"
    assert all(status == 200 for status, _, _ in site.sample(10)), "the site stopped serving"


def test_a_full_run_keeps_the_drained_server_drained(rolled_to_v2, lb, apps):
    """The failed deploy above left app2 drained: site.yml keeps it drained, leaving the
    app's upstream file as the drain wrote it and its site file as it was."""
    files = [f"/etc/nginx/upstreams/{APP}.conf", f"/etc/nginx/conf.d/{APP}.conf"]
    before = [lb.file(path).sha256sum for path in files], upstream_lines(lb)
    assert [line for line in before[1] if line.endswith(" down;")], "no server is drained: nothing to prove"
    result = run_playbook(os.path.join(PROJECT, "site.yml"))
    assert result.returncode == 0, result.output[-4000:]
    # (admin, removed by test_removal.py, comes back in this run: its site changes the
    # load balancer, the cluster app's files must not.)
    assert ([lb.file(path).sha256sum for path in files], upstream_lines(lb)) == before, (
        f"the upstream now reads {upstream_lines(lb)}")

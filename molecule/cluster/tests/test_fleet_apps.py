"""Several apps on the fleet (flask_apps): cluster on both app servers, admin on app2 only.
Each app has its own site and upstream on the load balancer, listing the app servers
that run it; each runs as its own user on a port of its own, open to the load balancer
only; a deploy of one app leaves the other's servers running, with no failed request."""
import json
import os
import shutil
import time
from collections import Counter

from conftest import DEPLOY_PLAYBOOK, HTTPS_PORT, NAMES, PROJECT, load_on, private_address, run_playbook
from sitelib import assert_handshake_refused
from test_cluster import can_connect

APP_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "app")


def main_pid(host, unit):
    return host.check_output(f"systemctl show -p MainPID --value {unit}")


def test_each_app_is_served_under_its_own_name_by_the_servers_that_run_it(site, admin_site, apps):
    # A server stopped by an earlier test may sit out nginx's fail_timeout (10 s) first.
    cluster, deadline = Counter(), time.monotonic() + 20
    while set(cluster) != set(apps) and time.monotonic() < deadline:
        cluster.update(server for status, server, _ in site.sample(10) if status == 200)
    admin = admin_site.sample(30)
    assert set(cluster) == set(apps), f"the cluster app answered from {dict(cluster)}"
    assert {(status, server) for status, server, _ in admin} == {(200, NAMES["app2"])}, (
        f"admin.test must be served by {NAMES['app2']} alone: {Counter(admin)}")


def test_each_app_has_an_upstream_of_its_own(lb, apps):
    def servers(app):
        return lb.check_output(f"grep '^server ' /etc/nginx/upstreams/{app}.conf").splitlines()

    app1, app2 = private_address(apps[NAMES["app1"]]), private_address(apps[NAMES["app2"]])
    assert sorted(line.split()[1] for line in servers("cluster")) == sorted([f"{app1}:8000", f"{app2}:8000"])
    assert [line.split()[1] for line in servers("admin")] == [f"{app2}:8001"]


def test_a_name_no_app_claims_gets_no_site():
    assert_handshake_refused("other.test", "admin.test", port=HTTPS_PORT)


def test_each_app_runs_as_its_own_user_on_its_own_port(lb, apps):
    app1, app2 = apps[NAMES["app1"]], apps[NAMES["app2"]]
    address = private_address(app2)
    assert app2.user("admin").exists and app2.service("gunicorn-admin.service").is_running
    assert app2.check_output("systemctl show -p User --value gunicorn-admin.service") == "admin"
    assert app2.check_output("systemctl show -p Listen --value gunicorn-admin.socket") == f"{address}:8001 (Stream)"
    assert not app1.user("admin").exists, f"{NAMES['app1']} has a user for an app it does not run"
    assert not app1.file("/etc/systemd/system/gunicorn-admin.service").exists
    assert can_connect(lb, address, 8001), "the load balancer cannot reach admin's port"
    assert not can_connect(app1, address, 8001), f"{NAMES['app1']} reaches admin's port"
    # One app's user cannot read the other's environment file.
    denied = app2.run("runuser -u admin -- cat /etc/flask/cluster.env")
    assert denied.rc != 0 and "Permission denied" in denied.stderr, denied


def test_a_deploy_of_one_app_leaves_the_other_running_under_load(site, admin_site, apps, tmp_path):
    source = tmp_path / "admin-v5"
    shutil.copytree(APP_DIR, source, ignore=shutil.ignore_patterns("__pycache__"))
    (source / "VERSION").write_text("5\n")
    before = {name: main_pid(app, "gunicorn-cluster.service") for name, app in apps.items()}
    with load_on(site) as cluster_load, load_on(admin_site) as admin_load:
        result = run_playbook(DEPLOY_PLAYBOOK, "-e", "flask_app=admin", "-e", f"flask_app_source_dir={source}")
    assert result.returncode == 0, result.output[-4000:]
    assert {name: main_pid(app, "gunicorn-cluster.service") for name, app in apps.items()} == before, (
        "the deploy of admin restarted the cluster app's gunicorn")
    assert {version for status, _, version in admin_site.sample(10) if status == 200} == {"5"}
    assert {version for status, _, version in site.sample(10) if status == 200} == {"1"}
    cluster_load.assert_no_failure(min_requests=100)
    admin_load.assert_no_failure(min_requests=100)


def test_a_one_off_command_runs_on_a_server_of_the_app_named():
    """admin runs on app2 only, so run.yml picks app2 for it, and app1 for cluster."""
    run = os.path.join(PROJECT, "playbooks", "run.yml")
    for app, server in (("admin", NAMES["app2"]), ("cluster", NAMES["app1"])):
        command = "echo ran-as-$(id -un)-on-$(uname -n)"
        result = run_playbook(run, "-e", json.dumps({"flask_app": app, "flask_run_command": command}))
        assert result.returncode == 0, result.output[-3000:]
        assert f"ran-as-{app}-on-{server}" in result.output, result.output[-3000:]

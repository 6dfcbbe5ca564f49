"""An app dropped from flask_apps (not marked absent) is left alone, still running: after
site.yml, admin keeps its units on app2, its port stays open to the load balancer, and its
site keeps answering (after test_fleet_changes.py; test_removal.py then removes it)."""
import json
import os

from conftest import NAMES, PROJECT, private_address, run_playbook
from test_cluster import can_connect
from test_removal import APPS

# The inventory's list without the admin item: app2 runs the cluster app only, as listed.
LISTED = [APPS[0]]


def test_a_dropped_app_keeps_running_and_its_port_stays_open(admin_site, lb, apps):
    app2 = apps[NAMES["app2"]]
    result = run_playbook(os.path.join(PROJECT, "site.yml"), "-e", json.dumps({"flask_apps": LISTED}))
    assert result.returncode == 0, result.output[-4000:]
    assert app2.service("gunicorn-admin.service").is_running, "the dropped app was stopped"
    assert can_connect(lb, private_address(app2), 8001), (
        f"the firewall of {NAMES['app2']} closed the port of admin, which still runs:\n"
        f"{app2.check_output('nft list ruleset')}")
    answers = admin_site.sample(10)
    assert {(status, server) for status, server, _ in answers} == {(200, NAMES["app2"])}, answers
    again = run_playbook(os.path.join(PROJECT, "site.yml"), "-e", json.dumps({"flask_apps": LISTED}))
    assert again.returncode == 0 and not any(again.changed.values()), f"{again.changed}:\n{again.output[-4000:]}"
    # Listed again, as the inventory has it, so that the tests after this one start from
    # the converged fleet.
    back = run_playbook(os.path.join(PROJECT, "site.yml"))
    assert back.returncode == 0, back.output[-4000:]
    assert app2.service("gunicorn-admin.service").is_running

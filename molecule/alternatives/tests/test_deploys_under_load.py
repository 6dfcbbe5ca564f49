"""waitress has no graceful reload; a deploy and a rollback under load still fail no
request: the socket unit keeps the listener while the launcher finishes the requests in
flight.

The load is the shared generator's (molecule/shared/loadgen.py): threads of verified,
kept-alive TLS clients naming the site without its port (a client that sends the port
in the server name, SNI "localhost:6843", gets Apache's rightful 421).

Apache keeps every child it starts through a burst of load and the idle time after it:
a child stopped for idleness closes the keep-alive connections it holds, and a client
whose next request is on its way reads a closed connection (issue 34)."""
import json
import os
import shutil
import time

import pytest
from loadgen import KeptAliveClient, Load

from conftest import APP, APP_UNIT, HTTPS_PORT, PROJECT, SITE_NAME, run_playbook

PROBE = os.path.join(PROJECT, "molecule", "shared", "apps", "probe")
WEBSERVERS = os.path.join(PROJECT, "playbooks", "webservers.yml")
DEPLOY = os.path.join(PROJECT, "playbooks", "deploy.yml")
ROLLBACK = os.path.join(PROJECT, "playbooks", "rollback.yml")
# The load comes from one address: Apache's per-client limit is lifted while it runs.
NO_LIMIT = ("-e", "apache_limit_req_rate=0")
WORKERS, RATE, LOAD_SECONDS = 8, 25, 480


def load_on(site):
    """WORKERS clients, each GET / every 1/RATE s over a kept-alive, verified TLS connection,
    for at most LOAD_SECONDS (the shared generator: every failure kind counted)."""
    return Load(lambda: KeptAliveClient(site.ca_file, SITE_NAME, HTTPS_PORT), threads=WORKERS, pause=1 / RATE,
                seconds=LOAD_SECONDS, label="load on the Apache site")


def release_state(host):
    return json.loads(host.check_output(f"flask-release status /srv/{APP} --unit {APP_UNIT}"))


@pytest.fixture(scope="module")
def unlimited(host):
    result = run_playbook(WEBSERVERS, *NO_LIMIT)
    assert result.failed == 0, f"lifting the rate limit failed:\n{result.output[-3000:]}"
    yield
    result = run_playbook(WEBSERVERS)
    assert result.failed == 0, f"restoring the rate limit failed:\n{result.output[-3000:]}"


def test_deploy_and_rollback_under_load_fail_no_request(host, site, unlimited, tmp_path):
    version2 = tmp_path / "probe-v2"
    shutil.copytree(PROBE, version2)
    (version2 / "VERSION").write_text("2\n")
    before = release_state(host)["current"]
    with load_on(site) as load:
        deployed = run_playbook(DEPLOY, "-e", f"flask_app_source_dir={version2}")
        assert deployed.failed == 0, f"the deploy failed:\n{deployed.output[-3000:]}"
        after_deploy = release_state(host)
        rolled = run_playbook(ROLLBACK)
        assert rolled.failed == 0, f"the rollback failed:\n{rolled.output[-3000:]}"
    assert after_deploy["current"] != before and after_deploy["running_current"], (
        f"the deploy did not make a new release live: {after_deploy}")
    state = release_state(host)
    assert state["current"] == before and state["running_current"], f"the rollback did not go back: {state}"
    # Both actions took a minute or more here: at 8 x 25 a second, 1000 is a floor, not a goal.
    load.assert_no_failure(min_requests=1000, max_gap=5)


def apache_children(host):
    """The PIDs of Apache's children (the processes its main process started)."""
    parent = host.check_output("systemctl show -p MainPID --value apache2.service")
    assert parent not in ("", "0"), "apache2.service has no main process"
    return sorted(host.check_output(f"pgrep -P {parent}").split())


def test_apache_stops_no_child_through_a_burst_and_the_calm_after(host, site, unlimited):
    # A reload (the fixture's run) replaces every child; Apache may start more under the
    # burst (harmless), but must stop none: every child seen, before or during the burst,
    # still runs after the calm. Debian's pool starts a child for the burst and stops one
    # once the threads are idle again.
    time.sleep(5)
    before = apache_children(host)
    # 96 clients at once, no pause: more requests in flight than Debian's pool keeps idle
    # threads for (on its stock values 579 and 609 of such bursts' requests failed, by hand;
    # none on the role's pool). The children are looked at during the burst too: a child
    # started and stopped again would leave the same set at the end.
    burst = Load(lambda: KeptAliveClient(site.ca_file, SITE_NAME, HTTPS_PORT), threads=96, pause=0,
                 seconds=60, limit=40000, label="a burst on the Apache site")
    seen = set(before)
    with burst:
        for dummy in range(3):
            time.sleep(1)
            seen.update(apache_children(host))
    burst.assert_no_failure(min_requests=200)
    time.sleep(5)  # the calm: Apache checks its idle threads every second
    after = apache_children(host)
    assert before and seen <= set(after), (
        f"Apache stopped children under a changing load: {before} before, {sorted(seen)} seen during the "
        f"burst, {after} after it")

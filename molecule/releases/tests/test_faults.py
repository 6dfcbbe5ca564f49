"""Faults the site survives: processes killed, the whole host restarted."""
import re
import subprocess

from conftest import APP, INSTANCE, URL, release_state
from sitelib import wait_for

UNIT = f"gunicorn-{APP}.service"


def site_answers(ca_file):
    result = subprocess.run(
        ["curl", "--silent", "--noproxy", "*", "--cacert", ca_file, "--max-time", "3", "--output", "/dev/null",
         "--write-out", "%{http_code}", URL], capture_output=True, text=True, check=False)
    return result.stdout == "200"


def main_pid(host):
    return int(host.check_output(f"systemctl show -p MainPID --value {UNIT}"))


def workers(host, master):
    return set(map(int, host.check_output(f"pgrep -P {master}").split()))


def test_master_killed_comes_back_within_5_seconds(host, ca_file):
    before = main_pid(host)
    host.run(f"kill -KILL {before}")
    back = wait_for(lambda: main_pid(host) not in (0, before) and site_answers(ca_file), 5)
    assert back, f"{UNIT} did not come back serving within 5 s of SIGKILL (MainPID {main_pid(host)})"
    assert release_state(host)["running_current"] is True


def configured_workers(host):
    config = host.file(f"/etc/gunicorn/{APP}.conf.py").content_string
    return int(re.search(r"^workers = (\d+)$", config, re.M).group(1))


def test_worker_killed_is_replaced(host):
    master, expected = main_pid(host), configured_workers(host)
    # The master may still be booting its workers (the test before restarted it).
    assert wait_for(lambda: len(workers(host, master)) == expected, 20), f"{UNIT} never ran {expected} workers"
    before = workers(host, master)
    victim = min(before)
    host.run(f"kill -KILL {victim}")
    replaced = wait_for(lambda: victim not in workers(host, master) and len(workers(host, master)) == len(before), 10)
    assert replaced, f"worker {victim} was not replaced: {workers(host, master)} (before {before})"
    assert main_pid(host) == master, "killing a worker restarted the master"


def test_host_restart_comes_back_serving(host, ca_file):
    for unit in (f"gunicorn-{APP}.socket", UNIT, "nginx.service"):
        assert host.service(unit).is_enabled, f"{unit} is not enabled, so it would not start at boot"
    subprocess.run(["podman", "restart", "--time", "30", INSTANCE], check=True, capture_output=True, timeout=120)
    assert wait_for(lambda: site_answers(ca_file), 60), "the site did not come back after the host restarted"

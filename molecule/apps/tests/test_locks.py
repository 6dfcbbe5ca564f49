"""unlock.yml on a host with several apps: without -e flask_app_name it names the host's
apps and whose lock each holds, changes nothing, and says how to pick one; with it, it
clears that app's stale lock."""
import json
import os
import shlex
import time

from sitelib import PROJECT, run_playbook

UNLOCK = os.path.join(PROJECT, "playbooks", "unlock.yml")
LOCK_FILE = "/var/lib/flask-lock/probe.lock"


def test_unlock_without_an_app_name_lists_the_hosts_apps_and_clears_nothing(host):
    since = int(time.time()) - 7200
    record = {"who": "GitLab CI job 7202 https://gitlab.example/team/probe/-/jobs/7202", "user": "gitlab-runner",
              "controller": "runner-elsewhere", "boot_id": "0" * 32, "pid": 4243, "pid_start": "1",
              "run_id": "runner-elsewhere/0/4243/1", "purpose": "Deploy probe", "app": "probe",
              "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(since)), "since_epoch": since,
              "renewed_epoch": since}
    host.check_output(f"install -d -m 0755 /var/lib/flask-lock && printf '%s\\n' {shlex.quote(json.dumps(record))} > {LOCK_FILE}")

    listed = run_playbook(UNLOCK)
    said = " ".join(listed.output.split())
    assert listed.returncode == 0, listed.output[-3000:]
    assert "-e flask_app_name=APP" in said, f"unlock.yml does not say how to pick an app:\n{listed.output[-3000:]}"
    assert "notes: not locked" in said and "probe: locked by GitLab CI job 7202" in said, (
        f"unlock.yml does not list the host's apps and their locks:\n{listed.output[-3000:]}")
    assert listed.changed == 0 and host.file(LOCK_FILE).exists, "unlock.yml without an app name cleared a lock"

    cleared = run_playbook(UNLOCK, "-e", "flask_app_name=probe")
    assert cleared.returncode == 0, cleared.output[-3000:]
    assert "Cleared the STALE deploy lock of probe" in " ".join(cleared.output.split()), cleared.output[-3000:]
    assert not host.file(LOCK_FILE).exists, "unlock.yml -e flask_app_name=probe left the lock"

"""A gunicorn setting changed in the inventory reloads gracefully: same master, new workers."""
import os

from conftest import APP, PROJECT, release_state, run_playbook

SITE = os.path.join(PROJECT, "site.yml")


def workers(host, master):
    return set(host.check_output(f"pgrep -P {master}").split())


def test_config_change_reloads_without_restart(host, load):
    master = release_state(host)["main_pid"]
    before = workers(host, master)
    with load:
        changed = run_playbook(SITE, "-e", "gunicorn_max_requests=999")
        restored = run_playbook(SITE)
    assert changed.returncode == 0 and restored.returncode == 0, (changed.output + restored.output)[-3000:]
    assert "max_requests = 999" not in host.file(f"/etc/gunicorn/{APP}.conf.py").content_string
    assert release_state(host)["main_pid"] == master, "a config change restarted gunicorn instead of reloading it"
    assert not workers(host, master) & before, "the workers were not replaced by the reload"
    load.assert_no_failure()

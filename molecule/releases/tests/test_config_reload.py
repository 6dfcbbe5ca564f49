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



def test_config_and_unit_changed_together_restart_once_with_both(host, load):
    """gunicorn.conf.py and the service unit changed in one run: the unit's restart alone
    must apply both (the role asks for no reload on top), with no request failing."""
    master = release_state(host)["main_pid"]
    unit = f"/etc/systemd/system/gunicorn-{APP}.service"
    with load:
        # -v prints flask_config's actions, which must restart the service and reload nothing.
        changed = run_playbook(SITE, "-v", "-e", "gunicorn_workers=3", "-e", "gunicorn_outbound_network=true")
        restarted = release_state(host)["main_pid"]
        children = workers(host, restarted)
        sandbox = host.file(unit).content_string
        restored = run_playbook(SITE)
    assert changed.returncode == 0 and restored.returncode == 0, (changed.output + restored.output)[-3000:]
    assert restarted != master, "a changed service unit did not restart gunicorn"
    assert len(children) == 3, f"the restart did not apply the new gunicorn.conf.py: {len(children)} workers"
    assert "PrivateNetwork=yes" not in sandbox and "PrivateNetwork=yes" in host.file(unit).content_string
    assert f"restart gunicorn-{APP}.service" in changed.output, changed.output[-3000:]
    assert f"reload gunicorn-{APP}.service" not in changed.output, "the restart got a reload on top"
    load.assert_no_failure()

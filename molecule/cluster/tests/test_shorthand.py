"""The one-app shorthand on a fleet still converges: after everything else (this file
runs last), site.yml with flask_apps emptied and the cluster app described by the
flask_app_* variables serves it from both app servers, and leaves the load balancer's
site, certificate and upstream servers of it as the flask_apps item made them."""
import json
import os

from conftest import APP, PROJECT, run_playbook
from test_rolling import APP_DIR, answer_of

SHORTHAND = {
    "flask_apps": [],
    "flask_app_name": APP,
    "flask_app_source_dir": APP_DIR,
    "flask_app_module": "cluster:app",
    "flask_app_health_path": "/health",
    "flask_app_release_commands": ["flask --app cluster migrate"],
    "flask_app_shared_paths": ["instance"],
}


def servers(lb):
    """The cluster upstream's servers on the load balancer, without their drained mark."""
    lines = lb.check_output(f"grep '^server ' /etc/nginx/upstreams/{APP}.conf").splitlines()
    return sorted(line.split()[1] for line in lines)


def test_the_one_app_shorthand_converges_the_fleet(site, lb, apps):
    site_conf = f"/etc/nginx/conf.d/{APP}.conf"
    before = lb.file(site_conf).sha256sum, lb.file(f"/etc/ssl/flask/{APP}/fullchain.pem").sha256sum, servers(lb)
    result = run_playbook(os.path.join(PROJECT, "site.yml"), "-e", json.dumps(SHORTHAND))
    assert result.returncode == 0, result.output[-4000:]
    after = lb.file(site_conf).sha256sum, lb.file(f"/etc/ssl/flask/{APP}/fullchain.pem").sha256sum, servers(lb)
    assert after == before, f"the shorthand describes the load balancer's site differently: {before} -> {after}"
    for name, app in apps.items():
        assert answer_of(lb, app) == ["200", "1"], f"{name} does not serve the shorthand's release"
    assert {status for status, _, _ in site.sample(10)} == {200}

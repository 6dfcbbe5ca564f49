"""Rolling deploys: one app server at a time leaves the load balancer, takes the new
release, passes its health check and comes back, so the site never fails a request;
a server that fails its check stops the roll and stays out, on its old release."""
import os
import shutil
from collections import Counter

import pytest

from conftest import APP, DEPLOY_PLAYBOOK, NAMES, Load, private_address, run_playbook

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


@pytest.fixture(scope="module")
def rolled_to_v2(site, tmp_path_factory):
    """Deploy version 2 while a bounded load runs against the site."""
    source = release_source(tmp_path_factory.mktemp("release"), 2)
    with Load(site) as load:
        result = run_playbook(DEPLOY_PLAYBOOK, "-e", f"flask_app_source_dir={source}")
    return result, load


def test_rolling_deploy_of_v2_fails_no_request(rolled_to_v2):
    result, load = rolled_to_v2
    assert result.returncode == 0, f"the deploy failed:\n{result.output[-4000:]}"
    assert len(load.results) > 0, "the load sent no request"
    failed = load.failures()
    assert not failed, f"{len(failed)} of {len(load.results)} requests failed during the roll: {failed[:5]}"


def test_rolling_deploy_ends_with_every_server_on_v2(rolled_to_v2, site, lb, apps):
    for name, app in apps.items():
        assert answer_of(lb, app) == ["200", "2"], f"{name} does not serve version 2"
    assert not [line for line in upstream_lines(lb) if line.endswith(" down;")], "a server stayed drained"
    results = site.sample(20)
    assert {(status, version) for status, _, version in results} == {(200, "2")}, results
    assert {server for _, server, _ in results} == set(apps), "not every server is back in the rotation"


def test_rolling_deploy_served_both_versions_during_the_roll(rolled_to_v2):
    _, load = rolled_to_v2
    versions = Counter(version for status, _, version in load.results if status == 200)
    assert set(versions) == {"1", "2"}, f"versions served during the roll: {dict(versions)}"


def test_failing_second_server_stays_drained_on_its_old_release(rolled_to_v2, site, lb, apps, tmp_path):
    broken = NAMES["app2"]
    source = release_source(tmp_path, 3, unhealthy_on=[broken])
    with Load(site) as load:
        result = run_playbook(DEPLOY_PLAYBOOK, "-e", f"flask_app_source_dir={source}")
    assert result.returncode != 0, "a deploy whose release fails its health check succeeded"
    assert result.recap.get(broken) not in (None, "0"), f"{broken} did not fail:\n{result.output[-3000:]}"
    failed = load.failures()
    assert not failed, f"{len(failed)} of {len(load.results)} requests failed: {failed[:5]}"
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


def test_drain_refuses_to_take_the_last_server_out(rolled_to_v2, site, lb):
    """With one server drained by the failed deploy, a new roll may not drain the other."""
    before = upstream_lines(lb)
    result = run_playbook(DEPLOY_PLAYBOOK, "-e", f"flask_app_source_dir={APP_DIR}")
    assert result.returncode != 0, "a roll drained the last server in service"
    assert "would have no app server up" in " ".join(result.output.split()), result.output[-3000:]
    assert upstream_lines(lb) == before, "the upstream changed"
    assert all(status == 200 for status, _, _ in site.sample(10)), "the site stopped serving"

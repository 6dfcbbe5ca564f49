"""flask_release: one call reads, switches and says what must restart (asking the site itself
when nothing is to); records and prunes; check mode writes nothing and answers as a real run;
the operator's command is the same code."""
import inspect
import json
import os
import time

import pytest

from ansible_collections.flaskops.production.plugins.module_utils import release_tool
from ansible_collections.flaskops.production.plugins.modules import flask_release

from modulelib import run_module
from unixsite import UnixSite


def make_release(root, release, origin=""):
    path = root / "releases" / release
    (path / "app").mkdir(parents=True)
    (path / "release.json").write_text(json.dumps({"id": release, "origin": origin}))


@pytest.fixture(name="root")
def app_root(tmp_path):
    """v1 live (after v0), v2 built and not yet live."""
    root = tmp_path / "shop"
    for release in ("v0", "v1", "v2"):
        make_release(root, release, origin="git https://git.example/shop.git")
    os.symlink("releases/v1", root / "current")
    (root / "history").write_text("2026-01-01T00:00:00Z v0\n2026-01-02T00:00:00Z v1\n")
    return root


@pytest.fixture(name="units")
def fake_units(monkeypatch):
    """Units by name: {unit: start time}; missing units do not run."""
    started = {}

    def main_pid_start(unit):
        return (4242, started[unit]) if unit in started else (0, None)

    def unit_state(unit, root, current):
        pid, when = main_pid_start(unit)
        return {"active": "active" if pid else "inactive", "main_pid": pid,
                "running_current": bool(pid and current and when > os.lstat(os.path.join(root, "current")).st_mtime)}

    monkeypatch.setattr(release_tool, "main_pid_start", main_pid_start)
    monkeypatch.setattr(release_tool, "unit_state", unit_state)
    return started


@pytest.fixture(name="site")
def unix_site(tmp_path):
    site = UnixSite(str(tmp_path / "site.sock"), {"/health": 200, "/broken": 503})
    yield site
    site.close()


def call(tmp_path, root, _check=False, _diff=False, **args):
    args = dict(dict(root=str(root), command=str(tmp_path / "flask-release")), **args)
    return run_module(flask_release, args, check_mode=_check, diff=_diff)


def test_status_reads_what_is_live_and_installs_the_operators_command(tmp_path, root):
    result = call(tmp_path, root)
    assert (result["current"], result["previous"]) == ("v1", "v0"), result
    assert result["releases"] == ["v2", "v1", "v0"] and result["release_dirs"] == ["v0", "v1", "v2"]
    assert result["running_current"] is None and result["main_pid"] == 0
    assert result["changed"] and result["command_installed"]
    assert (tmp_path / "flask-release").read_text() == inspect.getsource(release_tool)
    again = call(tmp_path, root)
    assert not again["changed"] and not again["command_installed"], again


def test_a_switch_moves_the_link_appends_the_history_and_asks_for_restarts(tmp_path, root, units, site):
    units["gunicorn-shop.service"] = units["flask-shop-worker.service"] = time.time() + 60
    result = call(tmp_path, root, _diff=True, state="active", release="v2", unit="gunicorn-shop.service",
                  processes=["flask-shop-worker.service"],
                  health=dict(via="unix", address=site.server_address, path="/health"))
    assert os.readlink(root / "current") == "releases/v2"
    assert (root / "history").read_text().split()[-1] == "v2"
    assert result["changed"] and result["switched"] and result["live_before"] == "v1", result
    assert (result["current"], result["previous"]) == ("v2", "v1")
    assert result["restart"] and result["restart_processes"] == ["flask-shop-worker.service"]
    # After a switch the site is the flask_health module's to ask, once the server restarted.
    assert result["health"] is None and site.requests == []
    link_diff = [d for d in result["diff"] if d["before_header"] == str(root / "current")]
    assert link_diff == [dict(before="releases/v1\n", after="releases/v2\n", before_header=str(root / "current"),
                              after_header=str(root / "current"))], result["diff"]


def test_check_mode_switches_nothing_and_reports_the_switch(tmp_path, root, units):
    call(tmp_path, root)  # the command is in place: only the link is to change
    result = call(tmp_path, root, _check=True, _diff=True, state="active", release="v2", unit="gunicorn-shop.service")
    assert os.readlink(root / "current") == "releases/v1"
    assert "v2" not in (root / "history").read_text()
    assert result["changed"] and result["switched"] and result["restart"], result
    assert (result["current"], result["previous"], result["live_before"]) == ("v2", "v1", "v1")
    assert result["diff"]["before"] == "releases/v1\n" and result["diff"]["after"] == "releases/v2\n"


def test_a_release_not_built_yet_is_refused_but_previewed_in_check_mode(tmp_path, root):
    refused = call(tmp_path, root, state="active", release="v9")
    assert refused["failed"] and "Cannot make release v9 live" in refused["msg"], refused
    assert os.readlink(root / "current") == "releases/v1"
    previewed = call(tmp_path, root, _check=True, state="active", release="v9")
    assert not previewed.get("failed") and previewed["switched"], previewed


def test_nothing_to_switch_or_restart_asks_the_site_in_the_same_call(tmp_path, root, units, site):
    call(tmp_path, root)
    units["gunicorn-shop.service"] = time.time() + 60  # started after the link last changed
    result = call(tmp_path, root, state="active", release="v1", unit="gunicorn-shop.service",
                  health=dict(via="unix", address=site.server_address, host="shop.example", path="/health", tries=1))
    assert not result["changed"] and not result["switched"] and not result["restart"], result
    assert result["running_current"] is True and result["restart_processes"] == []
    assert result["health"]["ok"] and site.requests == [("/health", "shop.example")]


def test_an_unhealthy_site_with_nothing_to_restart_fails_and_changes_nothing(tmp_path, root, units, site):
    units["gunicorn-shop.service"] = time.time() + 60
    result = call(tmp_path, root, state="active", release="v1", unit="gunicorn-shop.service",
                  health=dict(via="unix", address=site.server_address, path="/broken", tries=1))
    assert result["failed"] and result["health"]["status"] == 503, result
    assert "Release v1 is live" in result["msg"] and "answered 503" in result["msg"], result["msg"]
    assert os.readlink(root / "current") == "releases/v1"


def test_check_mode_asks_the_site_nothing(tmp_path, root, units, site):
    units["gunicorn-shop.service"] = time.time() + 60
    result = call(tmp_path, root, _check=True, state="active", release="v1", unit="gunicorn-shop.service",
                  health=dict(via="unix", address=site.server_address, path="/broken"))
    assert not result.get("failed") and result["health"] is None and site.requests == [], result


def test_a_server_started_before_the_link_changed_restarts_without_a_switch(tmp_path, root, units, site):
    """A run that ended between the switch and the restart: the next one restarts."""
    units["gunicorn-shop.service"] = os.lstat(root / "current").st_mtime - 60
    units["flask-shop-worker.service"] = os.lstat(root / "current").st_mtime - 60
    units["flask-shop-mailer.service"] = time.time() + 60
    result = call(tmp_path, root, state="active", release="v1", unit="gunicorn-shop.service",
                  processes=["flask-shop-worker.service", "flask-shop-mailer.service"],
                  health=dict(via="unix", address=site.server_address, path="/health"))
    assert not result["switched"] and result["running_current"] is False and result["restart"], result
    assert result["restart_processes"] == ["flask-shop-worker.service"]
    assert result["health"] is None and site.requests == []


def test_a_server_that_does_not_run_is_not_restarted(tmp_path, root, units):
    """Its socket starts it on the live release at the first connection."""
    result = call(tmp_path, root, state="active", release="v1", unit="gunicorn-shop.service")
    assert result["running_current"] is None and not result["restart"], result


def test_the_health_option_is_checked_like_flask_healths(tmp_path, root):
    result = call(tmp_path, root, state="active", release="v1", health=dict(via="ftp", address="x"))
    assert result["failed"] and result["msg"].startswith("health:") and "via" in result["msg"], result


def test_a_record_cuts_credentials_and_a_run_that_changed_nothing_is_recorded_once(tmp_path, root):
    history = root / "deploy-history.jsonl"
    first = call(tmp_path, root, state="recorded", release="v1", who="ana@laptop",
                 source="git https://deploy:tok@en@git.example/shop.git abc")
    assert first["recorded"] and not first["changed"], first
    entry = json.loads(history.read_text())
    assert entry["source"] == "git https://git.example/shop.git abc" and entry["who"] == "ana@laptop", entry
    assert (entry["action"], entry["result"], entry["app"]) == ("deploy", "ok", "shop")
    again = call(tmp_path, root, state="recorded", release="v1")
    assert not again["recorded"] and len(history.read_text().splitlines()) == 1
    live = call(tmp_path, root, state="recorded", release="v1", went_live=True)
    assert live["recorded"] and len(history.read_text().splitlines()) == 2


def test_a_failure_is_recorded_with_its_detail(tmp_path, root):
    call(tmp_path, root, state="recorded", release="v2", result="failed", action="rollback",
         detail="Ask the site:\n  https://u:p@x.example/ answered 503")
    entry = json.loads((root / "deploy-history.jsonl").read_text())
    assert (entry["action"], entry["result"]) == ("rollback", "failed")
    assert entry["detail"] == "Ask the site: https://x.example/ answered 503", entry
    assert entry["source"] == "git https://git.example/shop.git", "the source is read from release.json"


def test_check_mode_records_nothing_and_says_whether_it_would(tmp_path, root):
    result = call(tmp_path, root, _check=True, state="recorded", release="v1")
    assert result["recorded"] and not (root / "deploy-history.jsonl").exists(), result


def test_prune_keeps_the_newest_and_the_live_one_and_check_mode_lists_what_would_go(tmp_path, root):
    """keep=2: the two never-live releases count as the newest; the live v1 stays too."""
    make_release(root, "v3")
    preview = call(tmp_path, root, _check=True, _diff=True, state="pruned", keep=2)
    assert preview["changed"] and preview["removed"] == ["v0"] and preview["kept"] == ["v1", "v2", "v3"], preview
    assert sorted(os.listdir(root / "releases")) == ["v0", "v1", "v2", "v3"]
    assert (preview["diff"]["before"], preview["diff"]["after"]) == ("v0\nv1\nv2\nv3\n", "v1\nv2\nv3\n")
    result = call(tmp_path, root, state="pruned", keep=2)
    assert result["changed"] and result["removed"] == ["v0"], result
    assert sorted(os.listdir(root / "releases")) == ["v1", "v2", "v3"]
    assert not call(tmp_path, root, state="pruned", keep=2)["changed"]


def test_prune_needs_a_positive_keep(tmp_path, root):
    result = call(tmp_path, root, state="pruned", keep=0)
    assert result["failed"] and "keep must be 1 or more" in result["msg"], result


@pytest.fixture(name="systemctl")
def fake_systemctl(monkeypatch):
    """The module's `systemctl restart` calls, in order; a unit named in `fails` fails."""
    calls = {"restarted": [], "fails": set()}

    def run_command(module, argv, **kwargs):
        assert argv[:2] == ["systemctl", "restart"], argv
        if argv[2] in calls["fails"]:
            return 1, "", "Job for %s failed." % argv[2]
        calls["restarted"].append(argv[2])
        return 0, "", ""

    monkeypatch.setattr(flask_release.AnsibleModule, "run_command", run_command)
    return calls


def records(root):
    return release_tool.deploy_history(str(root))


def test_one_call_switches_restarts_checks_restarts_the_workers_records_and_prunes(tmp_path, root, units, site, systemctl):
    units["gunicorn-shop.service"] = units["flask-shop-worker.service"] = time.time() - 60
    result = call(tmp_path, root, state="active", release="v2", unit="gunicorn-shop.service",
                  processes=["flask-shop-worker.service"], restart=True, keep=2,
                  health=dict(via="unix", address=site.server_address, host="shop.example", path="/health", tries=1),
                  record=dict(action="deploy", source="https://u:p@git.example/shop.git", who="ana@laptop"))
    assert not result.get("failed"), result
    # The app server first, then the site asked, and only then the worker.
    assert systemctl["restarted"] == ["gunicorn-shop.service", "flask-shop-worker.service"]
    assert result["restarted"] == systemctl["restarted"] and site.requests == [("/health", "shop.example")]
    assert result["changed"] and result["switched"] and result["recorded"], result
    last = records(root)[-1]
    assert (last["release"], last["result"], last["action"], last["who"]) == ("v2", "ok", "deploy", "ana@laptop")
    assert "u:p" not in json.dumps(last), last
    # keep=2: the live release and the one live before it stay (v1, what a rollback goes to).
    assert result["removed"] == ["v0"] and sorted(os.listdir(root / "releases")) == ["v1", "v2"], result


def test_an_unhealthy_release_fails_after_the_switch_with_what_the_rescue_needs(tmp_path, root, units, site, systemctl):
    units["gunicorn-shop.service"] = units["flask-shop-worker.service"] = time.time() - 60
    result = call(tmp_path, root, state="active", release="v2", unit="gunicorn-shop.service",
                  processes=["flask-shop-worker.service"], restart=True, keep=1,
                  health=dict(via="unix", address=site.server_address, path="/broken", tries=1),
                  record=dict(action="deploy", who="ana@laptop"))
    assert result["failed"] and "The site failed its health check" in result["msg"] and "503" in result["msg"], result
    assert result["switched"] and result["live_before"] == "v1", result
    # The workers stay on the old release, nothing is recorded and nothing pruned.
    assert systemctl["restarted"] == ["gunicorn-shop.service"]
    assert records(root) == [] and sorted(os.listdir(root / "releases")) == ["v0", "v1", "v2"]


def test_a_failed_restart_stops_before_the_site_is_asked(tmp_path, root, units, site, systemctl):
    systemctl["fails"].add("gunicorn-shop.service")
    result = call(tmp_path, root, state="active", release="v2", unit="gunicorn-shop.service", restart=True,
                  health=dict(via="unix", address=site.server_address, path="/health"))
    assert result["failed"] and "systemctl restart gunicorn-shop.service failed" in result["msg"], result
    assert result["switched"] and result["live_before"] == "v1" and site.requests == [], result


def test_check_mode_with_restart_says_what_it_would_restart_and_record(tmp_path, root, units, site, systemctl):
    units["gunicorn-shop.service"] = time.time() - 60
    result = call(tmp_path, root, _check=True, state="active", release="v2", unit="gunicorn-shop.service",
                  restart=True, keep=1, health=dict(via="unix", address=site.server_address, path="/health"),
                  record=dict(action="deploy"))
    assert result["changed"] and result["restarted"] == ["gunicorn-shop.service"] and result["recorded"], result
    assert systemctl["restarted"] == [] and site.requests == [] and records(root) == []
    assert os.readlink(root / "current") == "releases/v1" and len(os.listdir(root / "releases")) == 3


def test_a_converged_release_is_asked_and_recorded_once(tmp_path, root, units, site, systemctl):
    call(tmp_path, root)
    units["gunicorn-shop.service"] = time.time() + 60  # runs the live release
    args = dict(state="active", release="v1", unit="gunicorn-shop.service", restart=True,
                health=dict(via="unix", address=site.server_address, path="/health", tries=1),
                record=dict(action="deploy"))
    first = call(tmp_path, root, **args)
    assert not first["changed"] and first["health"]["ok"] and first["recorded"], first
    again = call(tmp_path, root, **args)
    assert not again["changed"] and not again["recorded"] and systemctl["restarted"] == [], again
    assert [r["release"] for r in records(root)] == ["v1"]

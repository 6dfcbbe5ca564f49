"""flask_health: asks the site until it answers a wanted status, fails naming what it got,
and asks nothing in check mode."""
import pytest

from ansible_collections.flaskops.production.plugins.modules import flask_health

from modulelib import run_module
from unixsite import UnixSite


@pytest.fixture(name="site")
def unix_site(tmp_path):
    site = UnixSite(str(tmp_path / "site.sock"), {"/health": 200, "/broken": 503})
    yield site
    site.close()


def ask(site, _check=False, **extra):
    args = dict(via="unix", address=site.server_address, host="shop.example", path="/health", tries=1)
    args.update(extra)
    return run_module(flask_health, args, check_mode=_check)


def test_a_healthy_site_passes_with_its_name_in_host(site):
    result = ask(site)
    assert not result.get("failed") and result["ok"] and result["status"] == 200 and result["attempts"] == 1, result
    assert not result["changed"]
    assert site.requests == [("/health", "shop.example")]


def test_an_unwanted_status_fails_and_names_it(site):
    result = ask(site, path="/broken", tries=2)
    assert result["failed"] and not result["ok"] and result["status"] == 503 and result["attempts"] == 2, result
    assert "answered 503, expected 200, after 2 attempt(s)" in result["msg"], result["msg"]
    assert len(site.requests) == 2


def test_other_statuses_can_count_as_healthy(site):
    assert ask(site, path="/broken", status=[200, 503])["ok"]


def test_a_site_that_does_not_answer_fails_with_the_error(tmp_path):
    result = run_module(flask_health, dict(via="unix", address=str(tmp_path / "none.sock"), tries=1))
    assert result["failed"] and result["status"] is None, result
    assert "was not answered" in result["msg"] and "FileNotFoundError" in result["msg"], result["msg"]


def test_check_mode_asks_nothing(site):
    result = ask(site, _check=True, path="/broken")
    assert not result.get("failed") and result["ok"] is None and result["attempts"] == 0, result
    assert site.requests == []

"""The guide's reader's server, adopted: the plan names both development servers and
changes nothing; -e adopt=yes moves both onto the stack; from outside, the old ports
refuse, the debugger answers nowhere, each app's page is the one it served before; the
development servers stay gone after a reboot; no secret value is printed; the inventory
it writes lets site.yml manage the apps as it manages any other."""
import http.client
import json
import os
import socket
import subprocess
import time

import pytest
from sitelib import debugger_exposure, wait_for

from conftest import PROJECT, Site, run_playbook

ADOPT = os.path.join(PROJECT, "playbooks", "adopt.yml")
SECRET = "reader-secret-7d41c9a0e2"
INSTANCE = "molecule-adopt"
# The development servers' ports, published on the controller's loopback (molecule.yml).
OLD_PORTS = {"shop": 25500, "blog": 25501, "tool": 25502}
NAMES = {"shop": "shop.test", "blog": "blog.test"}
ADOPT_APPS = [{"port": 5000, "name": "shop", "server_names": [NAMES["shop"]]},
              {"port": 5001, "name": "blog", "server_names": [NAMES["blog"]]}]
SNAPSHOT = "find /home/ana /etc /var/spool/cron -xdev -type f ! -name '*.pyc' -exec sha256sum {} + 2>/dev/null | sort"
# The reader's code, which the adoption reads and leaves as it was.
CODE = "find /home/ana/shop /home/ana/blog -xdev -type f ! -name '*.pyc' -exec sha256sum {} + | sort"
HOST_VARS = os.path.join(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "."), "inventory", "host_vars", INSTANCE)


def old_page(app):
    """GET / on the app's old development-server port: (status, body), or None when refused."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", OLD_PORTS[app], timeout=5)
        conn.request("GET", "/")
        response = conn.getresponse()
        return response.status, response.read().decode()
    except (OSError, http.client.HTTPException):
        return None


@pytest.fixture(scope="module")
def before(host):
    """What the internet got from the reader's server: each app's page, and the debugger."""
    pages = {app: old_page(app) for app in OLD_PORTS}
    assert pages["tool"] == (200, "<p><em>tool</em></p>"), pages
    assert all(page and page[0] == 200 for page in pages.values()), f"the development servers do not answer: {pages}"
    conn = http.client.HTTPConnection("127.0.0.1", OLD_PORTS["shop"], timeout=5)
    conn.request("GET", "/console")
    console = conn.getresponse()
    assert console.status == 200 and "Werkzeug" in console.read().decode(), "the premise: the debugger's console"
    pages["code"] = host.check_output(CODE)
    return pages


@pytest.fixture(scope="module")
def plan(host, before):
    snapshot = host.check_output(SNAPSHOT)
    result = run_playbook(ADOPT, "-e", json.dumps({"adopt_apps": ADOPT_APPS}))
    result.unchanged = host.check_output(SNAPSHOT) == snapshot
    return result


@pytest.fixture(scope="module")
def adopted(host, plan):
    result = run_playbook(ADOPT, "-e", json.dumps({"adopt": True, "adopt_apps": ADOPT_APPS}))
    assert result.returncode == 0, result.output[-4000:]
    return result


@pytest.fixture(scope="module")
def stack(host, adopted, tmp_path_factory):
    ca = tmp_path_factory.mktemp("ca") / "ca.crt"
    ca.write_text(host.file("/etc/ssl/flask-ca/ca.crt").content_string)
    return Site(str(ca))


def test_the_plan_names_both_and_changes_nothing(plan):
    assert plan.returncode == 0 and plan.changed == 0 and plan.unchanged, plan.output[-3000:]
    text = " ".join(plan.output.split())
    assert "port 5000: /home/ana/venv/bin/python app.py, as ana in /home/ana/shop" in text
    assert "kept running by: the systemd unit shop-dev.service" in text
    assert "app: blog:create_app()" in text and "an @reboot line in /var/spool/cron/crontabs/ana" in text
    assert SECRET not in plan.output


def test_two_apps_with_one_server_name_are_refused_before_any_change(host, plan, before):
    snapshot = host.check_output(SNAPSHOT)
    same = [dict(item, server_names=["www.test"]) for item in ADOPT_APPS]
    result = run_playbook(ADOPT, "-e", json.dumps({"adopt": True, "adopt_apps": same}))
    assert result.returncode != 0 and result.changed == 0, result.output[-3000:]
    assert "Two adopted apps would answer to the same name" in " ".join(result.output.split()), result.output[-3000:]
    assert host.check_output(SNAPSHOT) == snapshot
    assert all(old_page(app) == before[app] for app in OLD_PORTS), "a development server stopped"


def test_an_app_that_does_not_import_in_a_clean_venv_is_not_adopted(host, plan, before):
    """The tool imports a package its requirements leave out: the deploy stops at its import
    check, and the development server keeps serving, from outside too (its port stays
    open at the firewall the deploy turned on); nothing of it is masked or written."""
    result = run_playbook(ADOPT, "-e", json.dumps({"adopt": True, "adopt_apps": [
        {"port": 5002, "name": "tool", "server_names": ["tool.test"]}]}))
    assert result.returncode != 0, result.output[-3000:]
    assert "markdown" in result.output and "does not import" in " ".join(result.output.split()), result.output[-3000:]
    assert SECRET not in result.output
    assert old_page("tool") == before["tool"], "the tool's development server stopped serving"
    assert host.run("systemctl is-enabled tool-dev.service").stdout.strip() == "enabled"
    assert not os.path.exists(os.path.join(HOST_VARS, "flask.yml"))
    assert all(old_page(app) == before[app] for app in ("shop", "blog")), "the other development servers stopped"


def test_no_secret_value_is_printed(adopted):
    assert SECRET not in adopted.output


def test_each_app_serves_the_same_page_over_https(stack, before):
    for app, name in NAMES.items():
        response = stack.https("/", host=name, sni=name)
        assert (response.status, response.body) == before[app], f"{app} over HTTPS: {response.status} {response.body!r}"


def test_the_old_ports_refuse(stack, before):
    for app in ("shop", "blog"):
        assert old_page(app) is None, f"{app}'s development server still answers on its old port"
    # The tool, not adopted, still serves: its port stays open (and is in the inventory).
    assert old_page("tool") == before["tool"]


def test_the_debugger_answers_nowhere(stack):
    for name in NAMES.values():
        site = Site(stack.ca_file)
        leaks = debugger_exposure(_Named(site, name), [], [("GET", "/boom", name)] if name == NAMES["shop"] else [],
                                  ["shop-exception-text"], alive=("/", ""))
        assert not leaks, f"{name}: {leaks}"


class _Named:
    """A Site that asks under one name (SNI and Host) unless a probe names its own Host."""

    def __init__(self, site, name):
        self.site, self.name = site, name

    def https(self, path, host=None, **kwargs):
        return self.site.https(path, host=host or self.name, sni=self.name, **kwargs)


def test_the_development_servers_are_kept_from_coming_back(host, adopted, before):
    assert host.run("systemctl is-enabled shop-dev.service").stdout.strip() == "masked"
    assert not host.service("shop-dev.service").is_running
    crontab = host.file("/var/spool/cron/crontabs/ana").content_string
    assert "# disabled by flaskops adopt" in crontab and "\n@reboot" not in "\n" + crontab
    assert host.run("pgrep -f '[f]lask --app blog run'").rc != 0, "the blog's development server still runs"
    assert host.run("ss -Hltn 'sport = :5000 or sport = :5001'").stdout.strip() == "", "an adopted port still listens"
    # The tool was not adopted: it still runs.
    assert host.run("ss -Hltn 'sport = :5002'").stdout.strip() != ""
    # The reader's directories are left as they were.
    assert host.check_output(CODE) == before["code"], "the adoption changed the reader's code"


def test_the_inventory_is_written_without_the_secret(adopted):
    apps = open(os.path.join(HOST_VARS, "flask.yml")).read()
    secrets = os.path.join(HOST_VARS, "flask-secrets.yml")
    assert "source_host_dir: /home/ana/shop" in apps and SECRET not in apps
    assert "firewall_extra_tcp_ports: [5002]" in apps
    assert SECRET in open(secrets).read() and os.stat(secrets).st_mode & 0o777 == 0o600


def test_a_second_adoption_does_not_overwrite_the_inventory(host, adopted, before):
    """The tool is still a development server, but the host has flask_apps now (the
    inventory the first adoption wrote): adopting it is refused, nothing changed."""
    written = open(os.path.join(HOST_VARS, "flask.yml")).read()
    result = run_playbook(ADOPT, "-e", json.dumps({"adopt": True, "adopt_apps": [
        {"port": 5002, "name": "tool", "server_names": ["tool.test"]}]}))
    assert result.returncode != 0 and result.changed == 0, result.output[-3000:]
    assert "has flask_apps already" in " ".join(result.output.split()), result.output[-3000:]
    assert open(os.path.join(HOST_VARS, "flask.yml")).read() == written
    assert old_page("tool") == before["tool"]


def test_site_yml_manages_the_adopted_apps_with_no_change(adopted):
    result = run_playbook(os.path.join(PROJECT, "site.yml"))
    assert result.returncode == 0 and result.changed == 0, result.output[-4000:]
    assert SECRET not in result.output


def test_a_reboot_brings_back_only_the_stack(host, stack, before):
    subprocess.run(["podman", "restart", "--time", "30", INSTANCE], check=True, capture_output=True, timeout=120)
    assert wait_for(lambda: _answers(stack), 90), "the adopted sites did not come back after the reboot"
    time.sleep(5)  # cron's @reboot runs within the first minute; anything it started would listen by now
    for app in ("shop", "blog"):
        assert old_page(app) is None, f"{app}'s development server came back after the reboot"
    assert host.run("ss -Hltn 'sport = :5000 or sport = :5001'").stdout.strip() == ""


def _answers(stack):
    try:
        return all(stack.https("/", host=name, sni=name).status == 200 for name in NAMES.values())
    except (OSError, socket.timeout):
        return False

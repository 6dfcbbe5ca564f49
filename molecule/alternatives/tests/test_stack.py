"""waitress and Apache in place of gunicorn and nginx: units, sockets, sandboxes, HTTP/2,
and a rejected Apache option that leaves the running configuration alone."""
import importlib.util
import json
import os
import socket

import pytest

from conftest import APP, APP_UNIT, HTTPS_PORT, PROJECT, run_playbook

# The default scenario's sandbox helpers, used as they are rather than copied.
_spec = importlib.util.spec_from_file_location(
    "default_sandbox", os.path.join(PROJECT, "molecule", "default", "tests", "test_sandbox.py"))
default_sandbox = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(default_sandbox)
assert_read_only = default_sandbox.assert_read_only
# waitress's unit scores safe, Apache's at most 4 (SITE_APP_UNIT, SITE_PROXY).
test_unit_exposure_within_its_limit = default_sandbox.test_unit_exposure_within_its_limit

SOCKET = f"/run/{APP}/waitress.sock"
WEBSERVERS = os.path.join(PROJECT, "playbooks", "webservers.yml")


@pytest.fixture(scope="module")
def waitress_pid(host):
    pid = host.check_output(f"systemctl show -p MainPID --value {APP_UNIT}")
    assert pid not in ("", "0"), f"{APP_UNIT} has no main process"
    return int(pid)


@pytest.fixture(scope="module")
def apache_pid(host):
    pid = host.check_output("systemctl show -p MainPID --value apache2.service")
    assert pid not in ("", "0"), "apache2.service has no main process"
    return int(pid)


def test_waitress_and_apache_units_enabled_and_running(host):
    for unit in (APP_UNIT, APP_UNIT.replace(".service", ".socket"), "apache2.service"):
        service = host.service(unit)
        assert service.is_running and service.is_enabled, f"{unit} is not enabled and running"


def test_gunicorn_and_nginx_are_not_running(host):
    for unit in (f"gunicorn-{APP}.service", f"gunicorn-{APP}.socket", "nginx.service"):
        assert not host.service(unit).is_running, f"{unit} runs beside waitress and Apache"


def test_waitress_listens_only_on_its_unix_socket(host):
    sock = host.file(SOCKET)
    assert sock.is_socket and sock.mode == 0o660 and sock.user == "root" and sock.group == "www-data", (
        f"{SOCKET} is not a 0660 root:www-data socket")
    assert host.socket(f"unix://{SOCKET}").is_listening
    tcp = sorted({s.split(":")[-1] for s in host.socket.get_listening_sockets() if s.startswith("tcp")})
    assert set(tcp) <= {"22", "80", "443"}, f"unexpected TCP listeners: {tcp}"


def test_waitress_runs_as_app_user_with_threads_from_cores(host, waitress_pid):
    assert host.process.get(pid=waitress_pid).user == APP
    cores = int(host.check_output("nproc"))
    settings = json.loads(host.file(f"/etc/waitress/{APP}.json").content_string)
    assert settings["adjustments"]["threads"] == max(4 * cores, 4)
    threads = int(host.check_output(f"awk '/^Threads:/ {{print $2}}' /proc/{waitress_pid}/status"))
    assert threads > settings["adjustments"]["threads"], f"waitress runs {threads} threads"


def test_waitress_trusts_only_the_proxy_headers(host):
    adjustments = json.loads(host.file(f"/etc/waitress/{APP}.json").content_string)["adjustments"]
    assert adjustments["trusted_proxy"] == "localhost" and adjustments["clear_untrusted_proxy_headers"] is True
    assert set(adjustments["trusted_proxy_headers"].split()) == {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"}


def test_apache_children_run_as_www_data(host, apache_pid):
    children = host.check_output(f"ps -o user= --ppid {apache_pid}").split()
    assert children and set(children) == {"www-data"}, f"Apache children run as {children}"


def test_apache_uses_the_event_mpm_and_http2(host):
    modules = host.check_output("apachectl -M 2>/dev/null")
    for module in ("mpm_event_module", "http2_module", "ssl_module", "proxy_http_module", "qos_module"):
        assert module in modules, f"{module} is not loaded"


def test_http2_is_negotiated(site):
    context = site.tls_context()
    context.set_alpn_protocols(["h2", "http/1.1"])
    with socket.create_connection(("127.0.0.1", HTTPS_PORT), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.selected_alpn_protocol() == "h2", "Apache did not offer HTTP/2"


def test_waitress_sees_the_system_read_only(host, waitress_pid):
    assert_read_only(host, waitress_pid,
                     ("/etc", "/usr", f"/srv/{APP}", f"/srv/{APP}/current/app", f"/srv/{APP}/current/venv"), APP_UNIT)


def test_waitress_has_no_network_and_no_capabilities(host, waitress_pid):
    interfaces = host.file(f"/proc/{waitress_pid}/net/dev").content_string.splitlines()[2:]
    assert sorted(line.split(":")[0].strip() for line in interfaces) == ["lo"]
    status = host.file(f"/proc/{waitress_pid}/status").content_string
    fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
    assert int(fields["CapBnd"], 16) == 0 and fields["NoNewPrivs"].strip() == "1"
    assert fields["Seccomp"].strip() == "2", "no system call filter on waitress"


def test_apache_cannot_write_its_config_or_the_app(host, apache_pid):
    assert_read_only(host, apache_pid, ("/etc/apache2", f"/srv/{APP}/current/app"), "apache2.service")


def test_rejected_apache_option_keeps_the_running_config(host, site, apache_pid):
    conf = "/etc/apache2/conf-enabled/flask-hardening.conf"
    before = host.file(conf).sha256sum
    result = run_playbook(WEBSERVERS, "-e", "apache_ssl_protocols=TLSv9")
    assert result.failed == 1, f"a bad SSLProtocol was accepted:\n{result.output[-2000:]}"
    assert "Apache rejected the new configuration" in result.output, result.output[-2000:]
    assert host.file(conf).sha256sum == before, "the rejected file was left in place"
    assert not host.run("ls /etc/apache2/*~ /etc/apache2/*/*~ 2>/dev/null").stdout, "backups left behind"
    assert int(host.check_output("systemctl show -p MainPID --value apache2.service")) == apache_pid
    assert site.https("/").body == "Hello, World!"

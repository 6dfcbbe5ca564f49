"""The systemd sandboxes of gunicorn and nginx: their scores, and what they stop for real."""
import re

import pytest

from conftest import APP, APP_UNIT, PROXY

GUNICORN = f"gunicorn-{APP}.service"
PROXY_UNIT = {"nginx": "nginx.service", "apache": "apache2.service"}[PROXY]


def exposure(host, unit):
    """Overall exposure level that `systemd-analyze security UNIT` gives (0 safe .. 10 unsafe)."""
    out = host.check_output(f"systemd-analyze security --no-pager {unit}")
    found = re.search(r"Overall exposure level for \S+: (\d+(?:\.\d+)?)", out)
    assert found, f"no overall exposure level in systemd-analyze output:\n{out[-500:]}"
    return float(found.group(1))


def in_namespace(host, pid, command, user="root"):
    """Run `command` as `user` in the mount namespace of `pid`, as the service sees the files."""
    def namespace(kind, of):
        return host.check_output(f"readlink /proc/{of}/ns/{kind}")

    assert namespace("mnt", pid) != namespace("mnt", 1), (
        f"process {pid} shares the host's mount namespace: its file-system sandbox is not "
        "applied (systemd skips it when it lacks CAP_SYS_ADMIN, as in a container without it)")
    # With PrivateUsers= the mount namespace belongs to the unit's user namespace: enter both.
    userns = "-U " if namespace("user", pid) != namespace("user", 1) else ""
    ids = "" if user == "root" else f"-S $(id -u {user}) -G $(id -g {user}) "
    result = host.run(f"nsenter -t {pid} {userns}-m {ids}-- {command}")
    assert not result.stderr.startswith("nsenter:"), f"cannot enter the namespace of {pid}: {result.stderr}"
    return result


@pytest.fixture(scope="module")
def nginx_master(host):
    pid = host.check_output("systemctl show -p MainPID --value nginx.service")
    assert pid not in ("", "0"), "nginx.service has no main process"
    return int(pid)


def assert_read_only(host, pid, paths, unit):
    """Even root gets EROFS on each of ``paths`` inside the mount namespace of ``pid``
    (``unit``'s main process): the sandbox, not file modes, is what stops the write (a
    missing namespace makes this fail)."""
    for path in paths:
        result = in_namespace(host, pid, f"touch {path}/.sandbox-probe")
        host.run(f"rm -f {path}/.sandbox-probe")
        assert "Read-only file system" in result.stderr, f"{path} is writable inside {unit}: {result}"


# The app server's unit scores safe; the proxy, which must bind 80 and 443, at most 4.
# (The alternatives scenario runs this test on waitress and Apache.)
@pytest.mark.parametrize(("unit", "limit"), [(APP_UNIT, 1.0), (PROXY_UNIT, 4.0)])
def test_unit_exposure_within_its_limit(host, unit, limit):
    score = exposure(host, unit)
    assert score <= limit, f"{unit} exposure is {score}, above {limit}"


def test_gunicorn_sees_the_system_read_only(host, gunicorn_master):
    assert_read_only(host, gunicorn_master,
                     ("/etc", "/usr", f"/srv/{APP}", f"/srv/{APP}/current/app", f"/srv/{APP}/current/venv", "/var"), GUNICORN)


def test_app_user_can_write_its_data_dir(host, gunicorn_master):
    probe = f"/srv/{APP}/data/.sandbox-probe"
    result = in_namespace(host, gunicorn_master, f"touch {probe}", user=APP)
    host.run(f"rm -f {probe}")
    assert result.rc == 0, f"the app user cannot write its data dir inside {GUNICORN}: {result.stderr}"


def test_gunicorn_has_no_network_but_loopback(host, gunicorn_master):
    interfaces = host.file(f"/proc/{gunicorn_master}/net/dev").content_string.splitlines()[2:]
    names = sorted(line.split(":")[0].strip() for line in interfaces)
    assert names == ["lo"], f"{GUNICORN} sees network interfaces {names}; expected a private network"


def test_gunicorn_master_holds_no_capabilities(host, gunicorn_master):
    status = host.file(f"/proc/{gunicorn_master}/status").content_string
    fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
    assert int(fields["CapBnd"], 16) == 0, f"capability bounding set is {fields['CapBnd']}"
    assert fields["NoNewPrivs"].strip() == "1", "the master may gain privileges (NoNewPrivs=0)"
    assert fields["Seccomp"].strip() == "2", "no system call filter on the master"


def test_nginx_cannot_write_its_config_or_the_app(host, nginx_master):
    assert_read_only(host, nginx_master, ("/etc/nginx", f"/srv/{APP}/current/app"), "nginx.service")


def test_nginx_reloads_inside_its_sandbox(host, site, nginx_master):
    assert host.run("systemctl reload nginx.service").rc == 0, "systemctl reload nginx failed"
    after = int(host.check_output("systemctl show -p MainPID --value nginx.service"))
    assert after == nginx_master, "the reload replaced the nginx master instead of reloading it"
    assert site.https("/").body == "Hello, World!", "the site stopped answering after the reload"

"""Processes: gunicorn master and workers as the app user, nginx workers as www-data."""
import re

from conftest import APP


def test_units_enabled_and_active(host):
    for unit in (f"gunicorn-{APP}.socket", f"gunicorn-{APP}.service", "nginx.service"):
        service = host.service(unit)
        assert service.is_enabled, f"{unit} is not enabled at boot"
        assert service.is_running, f"{unit} is not active"


def test_gunicorn_runs_configured_workers_as_app_user(host, gunicorn_master):
    config = host.file(f"/etc/gunicorn/{APP}.conf.py").content_string
    expected = int(re.search(r"^workers = (\d+)$", config, re.M).group(1))
    master = host.process.get(pid=gunicorn_master)
    workers = host.process.filter(ppid=gunicorn_master)
    assert "gunicorn" in master.args, f"main PID {gunicorn_master} is not gunicorn: {master.args}"
    assert len(workers) == expected, f"{len(workers)} workers running, {expected} configured"
    for proc in [master] + workers:
        assert proc.user == APP and proc.euid != 0, f"gunicorn PID {proc.pid} runs as {proc.user}"


def test_no_smoke_test_server_is_left_behind(host):
    """Each release's health check on a private socket kills its throwaway server and
    removes its directory once it has answered."""
    assert host.run("pgrep -f flask-smoke-").rc == 1, host.check_output("pgrep -af flask-smoke- || true")
    assert host.check_output("find /tmp -maxdepth 1 -name 'flask-smoke-*'") == ""


def test_nginx_workers_run_as_www_data(host):
    procs = host.process.filter(comm="nginx")
    masters = [p for p in procs if "master process" in p.args]
    workers = [p for p in procs if "worker process" in p.args]
    assert len(masters) == 1, "expected one nginx master"
    assert workers, "no nginx workers"
    assert {w.user for w in workers} == {"www-data"}, "nginx workers must run as www-data"

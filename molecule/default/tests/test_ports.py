"""Who listens where: nginx on 80 and 443, gunicorn only on its unix socket."""
from conftest import APP


def test_nginx_listens_on_80_and_443(host):
    for port in (80, 443):
        assert host.socket(f"tcp://0.0.0.0:{port}").is_listening, f"nothing listens on port {port}"


def test_gunicorn_listens_on_its_unix_socket(host):
    path = f"/run/{APP}/gunicorn.sock"
    assert host.socket(f"unix://{path}").is_listening, f"{path} is not a listening socket"
    sock = host.file(path)
    assert sock.is_socket and sock.group == "www-data" and sock.mode == 0o660, (
        f"{path} must be a socket that only root and www-data may use"
    )


def test_gunicorn_listens_on_no_tcp_port(host, gunicorn_master):
    """No socket held by the master or a worker is a TCP listener."""
    pids = [gunicorn_master] + [
        int(p) for p in host.check_output(f"pgrep -P {gunicorn_master} || true").split()
    ]
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in host.file(table).content_string.splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A":  # LISTEN
                listening.add(fields[9])
    held = set()
    for pid in pids:
        links = host.check_output(f"find /proc/{pid}/fd -type l -printf '%l\\n'")
        held |= {link[8:-1] for link in links.split() if link.startswith("socket:[")}
    assert held, "gunicorn holds no socket at all: the check cannot see its fds"
    assert not held & listening, "a gunicorn process listens on a TCP port"

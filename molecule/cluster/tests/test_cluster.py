"""The fleet: the load balancer spreads requests over both app servers, survives one of
them stopping, passes the client's address and scheme, and is the only way in."""
import json
import socket
import uuid
from collections import Counter

from conftest import APP, NAMES, private_address

UNIT = f"gunicorn-{APP}"


def test_requests_spread_over_both_app_servers(site, apps):
    results = site.sample(40)
    assert all(status == 200 for status, _, _ in results), f"failed requests: {results}"
    served = Counter(server for _, server, _ in results)
    assert set(served) == set(apps), f"answers came from {dict(served)}, expected both of {sorted(apps)}"


def test_gunicorn_listens_on_the_private_address_over_tcp(apps):
    for name, host in apps.items():
        address = private_address(host)
        assert host.socket(f"tcp://{address}:8000").is_listening, f"{name}: nothing listens on {address}:8000"
        assert not host.socket("tcp://0.0.0.0:8000").is_listening, f"{name}: gunicorn listens on every address"
        listen = host.check_output(f"systemctl show -p Listen --value {UNIT}.socket")
        assert listen == f"{address}:8000 (Stream)", f"{name}: the socket unit listens on {listen}"


def test_gunicorn_serves_from_a_private_network_namespace(site, apps):
    """Socket activation lets the sandboxed service accept on TCP without a network of its own."""
    for name, host in apps.items():
        assert host.check_output(f"systemctl show -p PrivateNetwork --value {UNIT}.service") == "yes", name
        pid = host.check_output(f"systemctl show -p MainPID --value {UNIT}.service")
        assert pid not in ("", "0"), f"{name}: {UNIT}.service has no main process"
        service_ns = host.check_output(f"readlink /proc/{pid}/ns/net")
        host_ns = host.check_output("readlink /proc/1/ns/net")
        assert service_ns != host_ns, f"{name}: gunicorn shares the host's network namespace"
    # ... and still answers through the load balancer, from both servers.
    served = {server for status, server, _ in site.sample(20) if status == 200}
    assert served == set(apps), f"only {served} answered"


def test_app_sees_the_client_address_and_https(site, lb):
    marker = uuid.uuid4().hex
    response = site.get(f"/whoami?marker={marker}")
    assert response.status == 200, response.body
    seen = json.loads(response.body)
    # gunicorn trusts X-Forwarded-Proto from the load balancer only (forwarded_allow_ips).
    assert seen["scheme"] == "https", f"the app saw scheme {seen['scheme']}: gunicorn did not trust the load balancer"
    assert seen["forwarded_proto"] == "https" and seen["host"] == "localhost", seen
    assert seen["remote_addr"] == private_address(lb), f"the app's peer is {seen['remote_addr']}, not the load balancer"
    # The last X-Forwarded-For entry is the address the load balancer saw (its access log).
    logged = lb.check_output(f"grep -h 'marker={marker}' /var/log/nginx/access.log | awk '{{print $1}}'")
    assert logged, "the request is not in the load balancer's access log"
    assert seen["forwarded_for"].split(",")[-1].strip() == logged, (
        f"the app saw X-Forwarded-For {seen['forwarded_for']!r}, the load balancer saw the client as {logged}"
    )


def can_connect(host, address, port):
    """Whether `host` completes a TCP handshake with address:port within 3 seconds."""
    probe = (
        "import socket, sys; s = socket.socket(); s.settimeout(3); "
        f"sys.exit(s.connect_ex(('{address}', {port})))"
    )
    return host.run(f'python3 -c "{probe}"').rc == 0


def test_app_port_is_open_to_the_load_balancer_only(lb, apps):
    for name, app in apps.items():
        address = private_address(app)
        assert can_connect(lb, address, 8000), f"the load balancer cannot reach {name}:8000"
        for other_name, other in apps.items():
            if other_name != name:
                assert not can_connect(other, address, 8000), f"{other_name} reaches {name}:8000"
        # The controller sits on the same podman network, like another machine on the LAN.
        with socket.socket() as probe:
            probe.settimeout(3)
            assert probe.connect_ex((address, 8000)) != 0, f"the controller reaches {name}:8000"
        assert can_connect(lb, address, 22), f"{name}: ssh is closed too"


def test_a_stopped_app_server_costs_no_request(site, apps):
    stopped = NAMES["app2"]
    host = apps[stopped]
    host.check_output(f"systemctl stop {UNIT}.socket {UNIT}.service")
    try:
        assert not host.socket(f"tcp://{private_address(host)}:8000").is_listening
        results = site.sample(100)
    finally:
        host.check_output(f"systemctl start {UNIT}.socket {UNIT}.service")
    failed = [result for result in results if result[0] != 200]
    assert not failed, f"{len(failed)} of 100 requests failed with {stopped} stopped: {failed[:5]}"
    assert {server for _, server, _ in results} == {NAMES["app1"]}, "a stopped server answered"

"""What the app's sandbox keeps from it besides the file system (issue 33): other apps'
directories under /srv (also one made after the app started), loopback and link-local
addresses when outbound network is on (unless listed), and the environment file's
digest in the world-readable unit file."""
import hashlib
import hmac
import json
import os

import pytest
from conftest import APP, PROJECT, run_playbook

WEBSERVERS = os.path.join(PROJECT, "playbooks", "webservers.yml")
RUN = os.path.join(PROJECT, "playbooks", "run.yml")
UNIT = f"/etc/systemd/system/gunicorn-{APP}.service"
PORT = 18767
# Run as the app in its sandbox: what it sees of /srv, and which addresses it can connect to.
PROBE = f"""
import json, os, socket, sys
seen = {{"srv": sorted(os.listdir("/srv")), "other": os.path.exists("/srv/zz-other/secret.txt")}}
for address in sys.argv[1:]:
    sock = socket.socket(socket.AF_INET)
    sock.settimeout(3)
    try:
        sock.connect((address, {PORT}))
        seen[address] = "connected"
    except OSError as error:
        seen[address] = type(error).__name__
    finally:
        sock.close()
for key, value in sorted(seen.items()):
    print("WALL %s=%s" % (key, json.dumps(value, separators=(",", ":"))))
"""


def run_lines(result):
    return [line.strip()[2:].strip() for line in result.output.splitlines() if line.strip().startswith("- ")]


@pytest.fixture(scope="module")
def outbound(host):
    """The app converged with outbound network and 127.0.0.2 allowed; a listener on every
    address of the host, a link-local one on lo among them; another app's directory made
    after the app started. Run the probe as the app, then converge back."""
    host.check_output("mkdir -p /srv/zz-other && echo other-secret >/srv/zz-other/secret.txt "
                      "&& chmod 0644 /srv/zz-other/secret.txt")
    outer = host.check_output("ip -4 -o address show scope global | awk '{print $4}' | cut -d/ -f1 | head -n 1")
    host.check_output("ip address add 169.254.169.254/32 dev lo scope link 2>/dev/null || true")
    host.check_output(f"systemd-run --unit=test-walls-listener -p RuntimeMaxSec=900 python3 -m http.server {PORT}")
    extra = json.dumps({"gunicorn_outbound_network": True, "gunicorn_outbound_allow": ["127.0.0.2"]})
    try:
        converged = run_playbook(WEBSERVERS, "-e", extra)
        main_pid = host.check_output(f"systemctl show -p MainPID --value gunicorn-{APP}.service")
        server = {"srv": host.check_output(f"ls -A /proc/{main_pid}/root/srv").split(),
                  "properties": host.check_output(f"systemctl show -p IPAddressDeny -p IPAddressAllow gunicorn-{APP}.service")}
        host.check_output(f"cat >/srv/{APP}/data/walls-probe.py <<'EOF'\n{PROBE}\nEOF")
        command = f"python /srv/{APP}/data/walls-probe.py 127.0.0.1 169.254.169.254 127.0.0.2 {outer}"
        probed = run_playbook(RUN, "-e", json.dumps({"flask_run_command": command}), "-e", extra)
    finally:
        host.run("systemctl stop test-walls-listener")
        host.run("ip address del 169.254.169.254/32 dev lo")
        host.run(f"rm -f /srv/{APP}/data/walls-probe.py")
    # One short line per finding: the play's YAML output folds long ones.
    seen = dict(line.strip("'")[len("WALL "):].split("=", 1) for line in run_lines(probed) if line.startswith("WALL "))
    yield {"converged": converged, "probed": probed, "server": server, "outer": outer,
           "seen": {key: json.loads(value) for key, value in seen.items()} or None}
    host.run("rm -rf /srv/zz-other")
    restored = run_playbook(WEBSERVERS)
    assert restored.failed == 0, f"the default sandbox did not come back:\n{restored.output[-3000:]}"


def test_the_outbound_run_worked(outbound):
    assert outbound["converged"].failed == 0, outbound["converged"].output[-3000:]
    assert outbound["seen"] is not None, f"the probe printed nothing:\n{outbound['probed'].output[-3000:]}"


def test_other_apps_directories_are_hidden_from_the_app(outbound):
    """/srv/zz-other appeared after the server started: neither the server nor a command
    run as the app sees it, nor any directory of /srv but the app's own."""
    assert outbound["server"]["srv"] == [APP], f"the server sees {outbound['server']['srv']} in /srv"
    seen = outbound["seen"]
    assert seen["srv"] == [APP] and seen["other"] is False, f"a command run as the app sees {seen['srv']} in /srv"


def test_outbound_network_still_denies_loopback_and_link_local(outbound):
    seen = outbound["seen"]
    assert seen[outbound["outer"]] == "connected", f"outbound network is not on: {seen}"
    for address in ("127.0.0.1", "169.254.169.254"):
        assert seen[address] != "connected", f"the app reached {address}: {seen}"


def test_listed_loopback_addresses_stay_reachable(outbound):
    seen = outbound["seen"]
    assert seen["127.0.0.2"] == "connected", f"gunicorn_outbound_allow did not let 127.0.0.2 through: {seen}"
    properties = outbound["server"]["properties"]
    assert "169.254.0.0/16" in properties and "127.0.0.2" in properties, f"the server's unit differs: {properties}"


def test_the_unit_file_carries_a_keyed_digest_of_the_environment(host):
    env = host.file(f"/etc/flask/{APP}.env").content
    unit = host.file(UNIT).content_string
    for digest in (hashlib.sha1(env).hexdigest(), hashlib.sha256(env).hexdigest(), hashlib.md5(env).hexdigest()):
        assert digest not in unit, "the unit file shows a plain digest of the environment file"
    key = host.file("/etc/flask-checksum.key")
    assert (key.user, key.group, key.mode) == ("root", "root", 0o600), (key.user, key.group, oct(key.mode))
    assert len(key.content_string.strip()) >= 32, "the checksum key is too short"
    # The layout's call keys the environment's SHA-1 with the key (HMAC-SHA256); the units
    # carry that digest with the shared files' checksums (none here).
    inner = hmac.new(key.content_string.strip().encode(), hashlib.sha1(env).hexdigest().encode(), hashlib.sha256)
    keyed = hashlib.sha256((inner.hexdigest() + "|" + json.dumps([])).encode())
    assert f"checksum {keyed.hexdigest()}" in unit, "the unit's checksum is not the keyed digest of the environment file"

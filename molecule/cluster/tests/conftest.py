"""The fleet seen from outside (HTTPS through the published load balancer) and from
inside each host (testinfra over SSH)."""
import http.client
import os
import re
import socket
import ssl
import subprocess
import sys

import pytest
import testinfra

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared"))
from loadgen import Load  # noqa: E402  (the load generator every scenario shares)

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.path.join(HERE, "..", "..", ".."))
INVENTORY = os.environ.get("CLUSTER_INVENTORY") or os.path.join(
    os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "."), "inventory"
)
APP = os.environ.get("CLUSTER_APP", "cluster")
HTTPS_PORT = int(os.environ.get("CLUSTER_HTTPS_PORT", "23443"))
SITE_NAME = "localhost"
KEY = os.path.join(PROJECT, ".testbed", "id_ed25519")
SSH_PORTS = {"lb": 2240, "app1": 2241, "app2": 2242}
NAMES = {role: f"molecule-cluster-{role}" for role in SSH_PORTS}
# The rolling deploy: the same playbook a user runs.
DEPLOY_PLAYBOOK = os.path.join(PROJECT, "playbooks", "deploy.yml")
UNLOCK_PLAYBOOK = os.path.join(PROJECT, "playbooks", "unlock.yml")
LOCK_FILE = f"/var/lib/flask-lock/{APP}.lock"
# Where the test app's release command (`flask --app cluster migrate`) notes each run.
MIGRATIONS_LOG = f"/srv/{APP}/data/instance/migrations.log"


def ssh_host(role):
    return testinfra.get_host(
        f"ssh://root@127.0.0.1:{SSH_PORTS[role]}",
        ssh_identity_file=KEY,
        ssh_extra_args="-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR",
    )


@pytest.fixture(scope="session")
def lb():
    return ssh_host("lb")


@pytest.fixture(scope="session")
def apps():
    """The app servers by host name."""
    return {NAMES[role]: ssh_host(role) for role in ("app1", "app2")}


def private_address(host):
    return host.check_output("ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1")


def run_playbook(playbook, *args):
    """Run a playbook against the fleet as a user would; return the result and its recap."""
    result = subprocess.run(
        ["ansible-playbook", "-i", INVENTORY, playbook, *args],
        capture_output=True, text=True, timeout=900, check=False,
        env={
            **os.environ,
            "ANSIBLE_ROLES_PATH": os.path.join(PROJECT, "roles"),
            "ANSIBLE_COLLECTIONS_PATH": os.path.join(PROJECT, "collections"),
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_CALLBACK_RESULT_FORMAT": "yaml",
        },
    )
    result.output = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)
    # Failed and changed tasks per host, from the play recap.
    counts = re.findall(r"^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)", result.output, re.M)
    result.recap = {host: failed for host, _, failed in counts}
    result.changed = {host: int(changed) for host, changed, _ in counts}
    return result


def release_records(apps):
    """Every run of the release command on the app servers: (host, release id, version, time)."""
    records = []
    for app in apps.values():
        log = app.file(MIGRATIONS_LOG)
        if log.exists:
            records += [(host, release, version, float(stamp))
                        for host, release, version, stamp in (line.split() for line in log.content_string.splitlines())]
    return records


def live_release(app):
    """The release `current` points at, and when it was switched there (the link's own time)."""
    script = f"import os; p = '/srv/{APP}/current'; print(os.path.basename(os.readlink(p)), os.lstat(p).st_mtime)"
    release, switched = app.check_output(f'python3 -c "{script}"').split()
    return release, float(switched)


class Site:
    """HTTPS requests to the load balancer's published port, verified against its CA."""

    def __init__(self, ca_file, name=SITE_NAME):
        self.context = ssl.create_default_context(cafile=ca_file)
        self.name = name

    def get(self, path="/", headers=None):
        """One request on a new connection; return the response with its body read."""
        raw = socket.create_connection(("127.0.0.1", HTTPS_PORT), timeout=15)
        conn = http.client.HTTPSConnection(self.name, HTTPS_PORT, timeout=15)
        conn.sock = self.context.wrap_socket(raw, server_hostname=self.name)
        try:
            conn.request("GET", path, headers={"Host": self.name, **(headers or {})})
            response = conn.getresponse()
            response.body = response.read().decode("utf-8", "replace")
        finally:
            conn.close()
        return response

    def sample(self, count, path="/"):
        """`count` requests one after another; return (status or error, X-Served-By, X-App-Version)."""
        results = []
        for _ in range(count):
            try:
                response = self.get(path)
                results.append((response.status, response.getheader("X-Served-By"), response.getheader("X-App-Version")))
            except (OSError, http.client.HTTPException) as error:
                results.append((repr(error), None, None))
        return results


def load_on(site, **bounds):
    """A bounded load on one site (the shared generator: every failure kind counted), each
    request on a new connection; a sample's details are (X-Served-By, X-App-Version)."""

    def request():
        response = site.get()
        return response.status, (response.getheader("X-Served-By"), response.getheader("X-App-Version"))

    return Load(lambda: request, **{"threads": 2, "pause": 0.05, "label": f"load on {site.name}", **bounds})


def site_of(lb, tmp_path_factory, app, name):
    """An app's site on the load balancer, trusting the CA its certificate comes from."""
    ca = lb.file("/etc/ssl/flask-ca/ca.crt")
    assert ca.exists, f"the self-signed CA certificate of {app} is missing on the load balancer"
    path = tmp_path_factory.mktemp(f"ca-{app}") / "ca.crt"
    path.write_text(ca.content_string)
    return Site(str(path), name)


@pytest.fixture(scope="session")
def site(lb, tmp_path_factory):
    """The cluster app's site (localhost)."""
    return site_of(lb, tmp_path_factory, APP, SITE_NAME)


@pytest.fixture(scope="session")
def admin_site(lb, tmp_path_factory):
    """The second app's site (admin.test), which app2 alone runs."""
    return site_of(lb, tmp_path_factory, "admin", "admin.test")

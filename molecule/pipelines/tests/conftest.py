"""Helpers of the pipelines scenario: playbook runs started side by side, the GitLab
deploy job run by gitlab-ci-local in a copy of the project, the deploy lock and the
deploy history read on the host, and a sampler that proves the site kept serving."""
import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time

import pytest
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared"))
from loadgen import KeptAliveClient, Load  # noqa: E402
from sitelib import APP, HTTPS_PORT, INVENTORY, PROJECT, SITE_NAME, ca_file, copy_release, run_playbook  # noqa: E402,F401

INSTANCE = os.environ.get("SITE_INSTANCE", "molecule-pipelines")
SSH_PORT = int(os.environ.get("SITE_SSH_PORT", "2300"))
APP_SOURCE = os.path.join(PROJECT, "molecule", "releases", "app")
DEPLOY = os.path.join(PROJECT, "playbooks", "deploy.yml")
ROLLBACK = os.path.join(PROJECT, "playbooks", "rollback.yml")
UNLOCK = os.path.join(PROJECT, "playbooks", "unlock.yml")
LOCK_FILE = f"/var/lib/flask-lock/{APP}.lock"
GITLAB_CI_LOCAL = os.path.join(PROJECT, ".cache", "gitlab-ci-local", "node_modules", ".bin", "gitlab-ci-local")
CI_TOOLS = os.path.join(PROJECT, ".cache", "ci-tools", "bin")


def on_host(command, timeout=120):
    """Run a command inside the test host (its console, out of band of SSH)."""
    return subprocess.run(["podman", "exec", INSTANCE, "sh", "-c", command],
                          capture_output=True, text=True, timeout=timeout, check=False)


def playbook_env(**extra):
    return {**os.environ, "ANSIBLE_ROLES_PATH": os.path.join(PROJECT, "roles"),
            "ANSIBLE_COLLECTIONS_PATH": os.path.join(PROJECT, "collections"), "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_NOCOLOR": "1", "ANSIBLE_CALLBACK_RESULT_FORMAT": "yaml", **extra}


class Run:
    """An ansible-playbook run in the background, in its own process group; a reader
    thread notes when it ended, so `seconds` is its own duration whoever waits first."""

    def __init__(self, playbook, *args, env=None):
        self.started = time.monotonic()
        self.proc = subprocess.Popen(["ansible-playbook", "-i", INVENTORY, playbook, *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env=playbook_env(**(env or {})), start_new_session=True)
        self.output, self.returncode, self.seconds = "", None, None
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def read(self):
        self.output = self.proc.stdout.read()
        self.returncode = self.proc.wait()
        self.seconds = time.monotonic() - self.started

    def wait(self, timeout=600):
        self.reader.join(timeout)
        assert not self.reader.is_alive(), f"the run did not end within {timeout} s"
        return self

    def kill(self):
        os.killpg(self.proc.pid, signal.SIGKILL)
        return self.wait(60)


def ci_job_env(job):
    """The variables a GitLab job gives its script, as the lock's holder reads them."""
    return {"GITLAB_CI": "true", "CI_JOB_ID": str(job), "CI_JOB_URL": f"https://gitlab.example/team/shop/-/jobs/{job}"}


def lock_record():
    """The lock's record on the host, or None when the lock is free."""
    result = on_host(f"cat {LOCK_FILE}")
    return json.loads(result.stdout) if result.returncode == 0 else None


def wait_for_lock(seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        record = lock_record()
        if record:
            return record
        time.sleep(0.5)
    raise AssertionError(f"no run took the lock within {seconds} s")


def controller_identity():
    """Who this controller's runs are, as the deploy lock and the history name them."""
    tool = os.path.join(PROJECT, "roles", "flask_lock", "files", "flask_lock_holder.py")
    return json.loads(subprocess.run([sys.executable, tool, "identity"], capture_output=True, text=True,
                                     check=True).stdout)


def history():
    """The deploy history's records, oldest first, as `flask-release history --json` prints them."""
    result = on_host(f"flask-release history /srv/{APP} --json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="session")
def make_release(tmp_path_factory):
    """A copy of the test app with its VERSION (and HEALTH) set: a new release."""
    return lambda version, health="ok": str(
        copy_release(tmp_path_factory, APP_SOURCE, f"pipeapp-{version}-{health}", version, HEALTH=health))


def site_version(ca_file):
    """The version that answers GET / through the published https port, TLS verified."""
    raw = socket.create_connection(("127.0.0.1", HTTPS_PORT), timeout=10)
    conn = http.client.HTTPSConnection(SITE_NAME, HTTPS_PORT, timeout=10)
    conn.sock = ssl.create_default_context(cafile=ca_file).wrap_socket(raw, server_hostname=SITE_NAME)
    conn.request("GET", "/", headers={"Host": SITE_NAME})
    response = conn.getresponse()
    body = response.read().decode()
    conn.close()
    assert response.status == 200, f"GET / answered {response.status}: {body[:200]}"
    return response.getheader("X-App-Version")


def sampler(ca_file):
    """`with sampler(ca_file) as load:` around an action: the shared load generator from
    one thread, GET / every 50 ms on a new verified TLS connection each; its answers'
    versions in turn come from loadgen.versions_in_turn."""
    return Load(lambda: KeptAliveClient(ca_file, SITE_NAME, HTTPS_PORT, keep_alive=False),
                threads=1, pause=0.05, seconds=600, label="sampler")


@pytest.fixture(scope="module")
def pinned_host_key():
    """The host's ed25519 key as ssh-keyscan sees it, checked against the key read on the
    host's console (the out-of-band check the README asks for): a known_hosts line."""
    console = on_host("cat /etc/ssh/ssh_host_ed25519_key.pub").stdout.split()
    scanned = subprocess.run(["ssh-keyscan", "-p", str(SSH_PORT), "-t", "ed25519", "127.0.0.1"],
                             capture_output=True, text=True, timeout=30, check=False).stdout.split()
    assert len(scanned) == 3 and scanned[1:] == console[:2], f"ssh-keyscan saw {scanned}, the console shows {console}"
    return " ".join(scanned) + "\n"


class GitLabProject:
    """A copy of the project as a GitLab checkout (a git repository with an origin), with
    an inventory of the test host whose secret is vaulted, run by gitlab-ci-local."""

    def __init__(self, root, release_dir):
        self.root = root
        self.vault_password = f"vault-{os.urandom(12).hex()}"
        self.secret = f"ci-secret-{os.urandom(8).hex()}"
        subprocess.run(["rsync", "-a", "--exclude=.git", "--exclude=.venv", "--exclude=.cache", "--exclude=.testbed",
                        "--exclude=.demo", "--exclude=__pycache__", "--exclude=.gitlab-ci-local",
                        f"{PROJECT}/", f"{root}/"], check=True)
        inventory = os.path.join(root, "inventories", "citest")
        group_vars = os.path.join(inventory, "group_vars", "webservers")
        os.makedirs(group_vars)
        with open(os.path.join(inventory, "hosts.yml"), "w", encoding="utf-8") as handle:
            # An inventory that switches host key checking off: the job's pinned keys must win.
            yaml.safe_dump({"all": {"children": {"webservers": {"hosts": {INSTANCE: {
                "ansible_host": "127.0.0.1", "ansible_port": SSH_PORT, "ansible_user": "root",
                "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"}}}}}}, handle)
        with open(os.path.join(group_vars, "main.yml"), "w", encoding="utf-8") as handle:
            yaml.safe_dump({"flask_app_name": APP, "flask_app_source": "dir", "flask_app_source_dir": release_dir,
                            "flask_app_module": "relapp:app", "flask_app_health_path": "/health",
                            "nginx_server_names": [SITE_NAME], "nginx_https_public_port": HTTPS_PORT,
                            "tls_mode": "self_signed"}, handle)
        vault = os.path.join(group_vars, "vault.yml")
        with open(vault, "w", encoding="utf-8") as handle:
            yaml.safe_dump({"flask_app_secret_env": {"SECRET_KEY": self.secret}}, handle)
        subprocess.run(["ansible-vault", "encrypt", "--vault-password-file", os.path.join(root, "ci", "vault-password-client"),
                        vault], check=True, capture_output=True, env={**os.environ, "ANSIBLE_VAULT_PASSWORD": self.vault_password})
        git = ["git", "-C", root, "-c", "user.email=ci@example.invalid", "-c", "user.name=ci"]
        subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
        subprocess.run([*git, "add", "-A"], check=True)
        subprocess.run([*git, "commit", "-q", "-m", "pipeline test"], check=True)
        subprocess.run([*git, "remote", "add", "origin", "https://gitlab.example/team/shop.git"], check=True)

    @staticmethod
    def runner_env():
        """A runner's environment: none of molecule's Ansible settings leak into the job."""
        return {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "MOLECULE_"))}

    def run_job(self, known_hosts, playbook):
        """Run the `deploy` job with these CI/CD variables; return (returncode, all output)."""
        variables = {
            "DEPLOY_INVENTORY": "inventories/citest",
            "DEPLOY_PLAYBOOK": playbook,
            "SSH_PRIVATE_KEY": open(os.path.join(PROJECT, ".testbed", "id_ed25519"), encoding="utf-8").read(),
            "SSH_KNOWN_HOSTS": known_hosts,
            "ANSIBLE_VAULT_PASSWORD": self.vault_password,
        }
        path = os.path.join(self.root, ".gitlab-ci-local-variables.yml")  # what GitLab's settings hold
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as handle:
            yaml.safe_dump(variables, handle)
        result = subprocess.run([GITLAB_CI_LOCAL, "--force-shell-executor", "deploy"], cwd=self.root,
                                capture_output=True, text=True, timeout=900, check=False,
                                env={**self.runner_env(), "NO_COLOR": "1", "FORCE_COLOR": "0"})
        logs = ""  # the job logs gitlab-ci-local keeps, as GitLab keeps a job's log
        output = os.path.join(self.root, ".gitlab-ci-local", "output")
        for name in os.listdir(output) if os.path.isdir(output) else []:
            with open(os.path.join(output, name), encoding="utf-8", errors="replace") as handle:
                logs += handle.read()
        return result.returncode, result.stdout + result.stderr, logs


@pytest.fixture(scope="module")
def gitlab_project(tmp_path_factory, make_release):
    return GitLabProject(str(tmp_path_factory.mktemp("gitlab-checkout")), make_release(20))

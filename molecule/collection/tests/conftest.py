"""The collection as a user gets it: built from the repository, installed into a path of
its own, and run from a directory outside the repository with the user's own inventory.

Every ansible command here runs in that directory with none of the repository's or
molecule's ANSIBLE_* settings, an empty roles path and only the installed collection
(plus the collections the `ansible` package bundles) on the collections path.
"""
import os
import re
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared"))
from sitelib import HTTPS_PORT, PROJECT, Site  # noqa: E402

PROJECT = os.path.realpath(PROJECT)
COLLECTION = "flaskops.production"
SSH_PORT = int(os.environ.get("SITE_SSH_PORT", "2310"))
KEY = os.path.join(PROJECT, ".testbed", "id_ed25519")
ROLES = sorted(d for d in os.listdir(os.path.join(PROJECT, "roles")) if not d.startswith("."))


class User:
    """A directory outside the repository with an inventory, as a user keeps one."""

    def __init__(self, home, collections):
        self.home = str(home)
        self.collections = str(collections)
        empty_roles = home / "no-roles"
        empty_roles.mkdir()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "MOLECULE_"))}
        self.env.update(
            ANSIBLE_COLLECTIONS_PATH=self.collections,
            ANSIBLE_ROLES_PATH=str(empty_roles),
            ANSIBLE_PIPELINING="true",
            ANSIBLE_FORCE_COLOR="0",
            ANSIBLE_NOCOLOR="1",
        )
        self.ca = os.path.join(self.home, "ca.crt")
        (home / "hosts.yml").write_text(
            "all:\n"
            "  children:\n"
            "    webservers:\n"
            "      hosts:\n"
            "        web1:\n"
            "          ansible_host: 127.0.0.1\n"
            f"          ansible_port: {SSH_PORT}\n"
            "          ansible_user: root\n"
            f"          ansible_ssh_private_key_file: {KEY}\n"
            "          ansible_ssh_common_args: -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR\n"
        )
        (home / "group_vars").mkdir()
        (home / "group_vars" / "webservers.yml").write_text(
            "flask_app_name: hello\n"
            "flask_app_source: dir\n"
            f"flask_app_source_dir: {os.path.join(PROJECT, 'examples', 'hello')}\n"
            'flask_app_module: "two:app"\n'
            "nginx_server_names: [localhost]\n"
            f"nginx_https_public_port: {HTTPS_PORT}\n"
            "tls_mode: self_signed\n"
            f"tls_self_signed_ca_fetch: {self.ca}\n"
        )

    def run(self, *argv, timeout=900):
        """Run a command in the user's directory; the result has .output (stdout + stderr)."""
        result = subprocess.run(argv, cwd=self.home, env=self.env, capture_output=True, text=True,
                                timeout=timeout, check=False)
        result.output = result.stdout + result.stderr
        return result

    def playbook(self, playbook, *args):
        """ansible-playbook against the user's inventory; the result also has .changed and .failed."""
        result = self.run("ansible-playbook", "-i", "hosts.yml", playbook, *args)
        recap = re.search(r"changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", result.stdout)
        assert recap, f"no play recap:\n{result.output[-3000:]}"
        result.changed, result.failed = int(recap.group(1)), int(recap.group(3))
        return result


@pytest.fixture(scope="session")
def tarball(tmp_path_factory):
    """The collection built from the repository, as `ansible-galaxy collection build` makes it."""
    out = tmp_path_factory.mktemp("build")
    result = subprocess.run(["ansible-galaxy", "collection", "build", "--output-path", str(out), PROJECT],
                            cwd=PROJECT, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, f"the collection does not build:\n{result.stdout}{result.stderr}"
    built = list(out.glob("flaskops-production-*.tar.gz"))
    assert len(built) == 1, f"expected one tarball, got {built}"
    return built[0]


@pytest.fixture(scope="session")
def user(tarball, tmp_path_factory):
    """The tarball installed into a collections path of the user's, as the README says."""
    home = tmp_path_factory.mktemp("user")
    assert not str(home).startswith(PROJECT + os.sep), "the user's directory must be outside the repository"
    person = User(home, home / "collections")
    result = person.run("ansible-galaxy", "collection", "install", "-p", person.collections, str(tarball))
    assert result.returncode == 0, f"the tarball does not install:\n{result.output}"
    return person


@pytest.fixture(scope="session")
def site_run(user):
    """The installed collection's site playbook, run by full name against the fresh host."""
    return user.playbook(f"{COLLECTION}.site")


@pytest.fixture(scope="session")
def site(site_run, user):
    assert site_run.returncode == 0, site_run.output[-3000:]
    assert os.path.exists(user.ca), "the play did not fetch the CA to tls_self_signed_ca_fetch"
    return Site(user.ca)

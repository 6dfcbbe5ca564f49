"""The repository as a collection: built, checked by Galaxy's importer, installed elsewhere,
documented by ansible-doc, and its playbooks and roles run by full name against a host."""
import json
import os
import shutil
import subprocess
import tarfile

import pytest
import yaml

from conftest import COLLECTION, PROJECT, ROLES

# What the tarball leaves out: the test bed, caches, tests, bench results, examples.
LEFT_OUT = (".venv", ".cache", ".testbed", ".demo", ".ci", ".git", "molecule", "testbed", "bench",
            "examples", "inventories", "Makefile", "ansible.cfg", "requirements-dev.txt", "site.yml", "ci",
            ".github", ".gitlab-ci.yml")
# About 130 kB of it is flask_app's list of public secret-key digests, which does not compress;
# the roles, playbooks and the collection's plugins (nine modules, an action, a filter) make
# the rest, about 280 kB in 1.2. A stray directory (a venv, a cache, the tests) is far larger.
MAX_TARBALL_BYTES = 450_000
PLAYBOOKS = sorted(f[:-4] for f in os.listdir(os.path.join(PROJECT, "playbooks")) if f.endswith(".yml"))


def test_tarball_is_small_and_holds_only_what_users_run(tarball):
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    tops = {name.split("/")[0] for name in names}
    assert not tops & set(LEFT_OUT), f"the tarball holds {sorted(tops & set(LEFT_OUT))}"
    for role in ROLES:
        assert f"roles/{role}/meta/argument_specs.yml" in names, f"role {role} is missing from the tarball"
    for needed in ("meta/runtime.yml", "playbooks/site.yml", "CHANGELOG.md", "changelogs/changelog.yaml", "LICENSE"):
        assert needed in names, f"{needed} is missing from the tarball"
    size = os.path.getsize(tarball)
    assert size < MAX_TARBALL_BYTES, f"the tarball is {size} bytes, more than {MAX_TARBALL_BYTES}"


def test_galaxy_importer_accepts_the_tarball(tarball):
    result = subprocess.run([os.path.join(PROJECT, "testbed", "importer.sh"), str(tarball)],
                            capture_output=True, text=True, timeout=900, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"galaxy-importer failed:\n{output[-3000:]}"
    assert "Importer processing completed successfully" in output, output[-3000:]
    errors = [line for line in output.splitlines() if line.startswith("ERROR")]
    assert not errors, "galaxy-importer reported errors:\n" + "\n".join(errors)


@pytest.mark.parametrize("role", ROLES)
def test_ansible_doc_shows_every_entry_point_of_the_role(user, role):
    result = user.run("ansible-doc", "-t", "role", "-j", f"{COLLECTION}.{role}")
    assert result.returncode == 0, f"ansible-doc cannot read {COLLECTION}.{role}:\n{result.output[-2000:]}"
    shown = json.loads(result.stdout)[f"{COLLECTION}.{role}"]["entry_points"]
    with open(os.path.join(PROJECT, "roles", role, "meta", "argument_specs.yml"), encoding="utf-8") as spec_file:
        specs = yaml.safe_load(spec_file)["argument_specs"]
    assert sorted(shown) == sorted(specs), f"ansible-doc shows {sorted(shown)}, the spec has {sorted(specs)}"
    for entry_point, spec in specs.items():
        options = shown[entry_point].get("options") or {}
        assert sorted(options) == sorted(spec.get("options") or {}), f"{role} {entry_point}: options differ"
        undescribed = [name for name, option in options.items() if not option.get("description")]
        assert not undescribed, f"{role} {entry_point}: no description for {undescribed}"


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_every_playbook_resolves_by_full_name(user, playbook):
    result = user.run("ansible-playbook", "-i", "hosts.yml", "--syntax-check", f"{COLLECTION}.{playbook}")
    assert result.returncode == 0, f"{COLLECTION}.{playbook} does not load:\n{result.output[-3000:]}"


def test_installed_site_playbook_converges_the_host(site_run):
    assert site_run.returncode == 0 and site_run.failed == 0, site_run.output[-3000:]
    assert site_run.changed > 0, "the first run on a fresh host changed nothing, so nothing was proven"


def test_site_serves_the_app_over_https_from_outside(site):
    response = site.https("/")
    assert response.status == 200 and response.body == "Hello, World!", (response.status, response.body[:200])
    assert "max-age=63072000" in (response.getheader("Strict-Transport-Security") or ""), "no HSTS header"


def test_http_redirects_to_https(site):
    response = site.http("/")
    assert response.status == 301, f"http answered {response.status}, not a permanent redirect"
    assert response.getheader("Location", "").startswith("https://"), response.getheader("Location")


def test_second_site_run_changes_nothing(site, user):
    result = user.playbook(f"{COLLECTION}.site")
    assert result.returncode == 0, result.output[-3000:]
    assert result.changed == 0, f"a second run of {COLLECTION}.site changed things:\n{result.output[-3000:]}"


def test_user_playbook_runs_roles_by_full_name(site, user):
    """The user's own play calls the collection's roles by full name; no roles path helps."""
    play = os.path.join(user.home, "audit-my-servers.yml")
    with open(play, "w", encoding="utf-8") as out:
        out.write(
            "- name: Check my web servers with the collection's roles\n"
            "  hosts: webservers\n"
            "  become: true\n"
            "  roles:\n"
            f"    - role: {COLLECTION}.preflight\n"
            f"    - role: {COLLECTION}.flask_audit\n"
        )
    result = user.playbook(play)
    assert result.returncode == 0 and result.failed == 0, result.output[-3000:]
    assert f"{COLLECTION}.flask_audit : " in result.output, "the audit role's tasks did not run"
    assert result.changed == 0, f"the read-only audit changed something:\n{result.output[-3000:]}"


def test_deploy_and_rollback_playbooks_run_by_full_name(site, user, tmp_path):
    """A new release through .deploy goes live; .rollback brings the previous one back."""
    v2 = tmp_path / "hello-v2"
    shutil.copytree(os.path.join(PROJECT, "examples", "hello"), v2)
    code = (v2 / "two.py").read_text().replace("Hello, World!", "Hello again")
    (v2 / "two.py").write_text(code)

    deploy = user.playbook(f"{COLLECTION}.deploy", "-e", f"flask_app_source_dir={v2}")
    assert deploy.returncode == 0, deploy.output[-3000:]
    assert site.https("/").body == "Hello again", "the deployed release does not serve"

    rollback = user.playbook(f"{COLLECTION}.rollback")
    assert rollback.returncode == 0, rollback.output[-3000:]
    assert site.https("/").body == "Hello, World!", "the rollback did not bring the previous release back"


def test_audit_playbook_runs_by_full_name_and_finds_nothing(site, user):
    result = user.playbook(f"{COLLECTION}.audit")
    assert result.returncode == 0 and result.failed == 0, f"the audit flagged our own stack:\n{result.output[-3000:]}"

"""The GitLab `deploy` job, run by gitlab-ci-local with its shell executor against the
test host, as a GitLab runner would run it: pinned host keys, an agent-held key, and
a vault password that reaches Ansible through the client script only."""
import subprocess

import pytest

from conftest import APP, SSH_PORT, history, on_host, site_version


@pytest.fixture(scope="module")
def deploy_job(gitlab_project, pinned_host_key):
    """The deploy job with the pinned host key, run once: (returncode, its output, its job log).
    Each test below reads it for itself, whether or not another test passed."""
    return gitlab_project.run_job(pinned_host_key, "site.yml")


def test_deploy_job_with_the_pinned_host_key_provisions(gitlab_project, deploy_job, ca_file):
    returncode, output, _ = deploy_job
    assert returncode == 0, f"the deploy job failed:\n{output[-4000:]}"
    assert "failed=0" in output and "unreachable=0" in output, f"no clean recap in the job:\n{output[-3000:]}"
    assert site_version(ca_file) == "20", "the job's release (version 20) does not answer"
    env_file = on_host(f"cat /etc/flask/{APP}.env").stdout
    assert gitlab_project.secret in env_file, "the vaulted secret never reached the app: the vault was not opened"
    newest = history()[-1]
    assert newest["result"] == "ok" and "/-/jobs/" in newest["who"], f"the history does not name the CI job: {newest}"


def test_vault_password_and_secret_appear_in_no_output(gitlab_project, deploy_job):
    _, output, logs = deploy_job
    assert output and logs, f"the deploy job left no output or no job log to read:\n{output[-2000:]}"
    journal = on_host("journalctl --no-pager -o cat").stdout
    assert journal, "the host's journal is empty"
    for name, text in [("gitlab-ci-local's output", output), ("the job log", logs), ("the host's journal", journal)]:
        assert gitlab_project.vault_password not in text, f"the vault password appears in {name}"
        assert gitlab_project.secret not in text, f"the vaulted secret appears in {name}"


def test_deploy_job_fails_when_the_host_key_does_not_match(gitlab_project, tmp_path):
    key = tmp_path / "impostor"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    algorithm, blob = key.with_suffix(".pub").read_text().split()[:2]
    before = history()
    returncode, output, _ = gitlab_project.run_job(f"[127.0.0.1]:{SSH_PORT} {algorithm} {blob}\n",
                                                   "playbooks/deploy.yml")
    assert returncode != 0, f"the job ran against a host whose key does not match:\n{output[-3000:]}"
    assert "Host key verification failed" in output, f"the failure is not the host key check:\n{output[-3000:]}"
    assert "changed=0" in output and "unreachable=1" in output, f"the job did something on the host:\n{output[-3000:]}"
    assert history() == before, "the refused job left a record: it reached the host"


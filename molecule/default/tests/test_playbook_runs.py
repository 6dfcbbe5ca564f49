"""The play itself, run again on the converged host: check mode and bad input.

Each run is a real ansible-playbook against the test host; bad input must fail
with a message naming the problem, change nothing that serves, and leave the
site answering.
"""
import hashlib
import json
import os
import re
import uuid

import pytest

from conftest import APP, run_playbook

CONVERGE = os.path.join(os.environ.get("MOLECULE_SCENARIO_DIRECTORY", "."), "converge.yml")


def run_play(*args):
    return run_playbook(CONVERGE, *args)


@pytest.fixture
def serving(site, host):
    """The site answers before and after the bad run, from the same gunicorn master."""
    before = host.check_output(f"systemctl show -p MainPID --value gunicorn-{APP}.service")
    assert site.https("/").status == 200
    yield
    assert site.https("/").body == "Hello, World!", "the site stopped serving after a failed run"
    after = host.check_output(f"systemctl show -p MainPID --value gunicorn-{APP}.service")
    assert after == before, "gunicorn was restarted by a run that failed"


def test_check_mode_on_converged_host_reports_no_change():
    result = run_play("--check", "--diff")
    assert result.returncode == 0, result.output[-3000:]
    assert result.changed == 0, f"--check --diff would change things:\n{result.output[-3000:]}"


@pytest.mark.any_release
@pytest.mark.parametrize(
    ("extra_vars", "message"),
    [
        ('{"flask_app_source": "svn"}', "flask_app_source"),
        ('{"gunicorn_workers": "many"}', "gunicorn_workers"),
        ('{"flask_app_source_dir": "/no/such/app"}', "'/no/such/app' is not a directory"),
        ('{"flask_app_env": {"FLASK_DEBUG": "1"}}', "FLASK_DEBUG"),
        ('{"flask_app_module": "probe:no_such_app"}', "does not import"),
        ('{"nginx_client_max_body_size": "lots"}', "nginx_client_max_body_size"),
    ],
    ids=["bad-choice", "bad-type", "missing-source", "debug-env", "no-import", "bad-size"],
)
def test_bad_input_fails_early_and_changes_nothing(serving, extra_vars, message):
    result = run_play("-e", extra_vars)
    assert result.returncode != 0 and result.failed == 1, "the play accepted bad input"
    assert message in result.output, f"the error does not name {message!r}:\n{result.output[-3000:]}"
    assert result.changed == 0, f"bad input changed the host:\n{result.output[-3000:]}"


@pytest.mark.any_release
def test_rejected_nginx_option_restores_previous_config(serving, host):
    conf = "/etc/nginx/nginx.conf"
    before = host.file(conf).sha256sum
    result = run_play("-e", '{"nginx_worker_processes": "banana"}')
    assert result.returncode != 0 and "nginx rejected the new configuration" in result.output
    assert "worker_processes" in result.output, "the error does not name the directive"
    assert host.file(conf).sha256sum == before, "the rejected nginx.conf was left in place"
    leftovers = host.check_output("find /etc/nginx -name '*~'")
    assert not leftovers, f"backup files left behind: {leftovers}"
    assert host.run("nginx -t").rc == 0


@pytest.mark.any_release
def test_rejected_nginx_option_with_a_sandbox_change_restores_previous_config(serving, host):
    """Where the sandbox's drop-in differs too, nginx's files, its test and the restart
    are one flask_config call: a rejected option must put every file back, the drop-in
    among them, leave the running nginx alone, and the next good run then restart nginx
    in the sandbox it writes."""
    conf, dropin = "/etc/nginx/nginx.conf", "/etc/systemd/system/nginx.service.d/hardening.conf"
    host.check_output(f"echo '# edited by hand' >> {dropin}")
    before = {path: host.file(path).sha256sum for path in (conf, dropin)}
    pid = host.check_output("systemctl show -p MainPID --value nginx.service")
    result = run_play("-e", '{"nginx_worker_processes": "banana"}')
    assert result.returncode != 0 and "nginx rejected the new configuration" in result.output, result.output[-3000:]
    assert "in one call" in result.output, "the run did not take the one-call path, so nothing was proven"
    assert "worker_processes" in result.output, "the error does not name the directive"
    assert {path: host.file(path).sha256sum for path in (conf, dropin)} == before, "files changed by a rejected run"
    assert not host.check_output("find /etc/nginx /etc/systemd/system -name '*.flask-config'"), "a staged file was left"
    assert host.check_output("systemctl show -p MainPID --value nginx.service") == pid, "nginx restarted"
    assert host.run("nginx -t").rc == 0
    repaired = run_play()
    assert repaired.returncode == 0 and repaired.changed >= 1, repaired.output[-3000:]
    assert "# edited by hand" not in host.file(dropin).content_string
    assert host.check_output("systemctl show -p MainPID --value nginx.service") != pid, "nginx was not restarted"
    again = run_play()
    assert again.returncode == 0 and again.changed == 0, f"the repair is not stable:\n{again.output[-3000:]}"


@pytest.mark.any_release
def test_failed_background_apt_run_stops_the_run_with_apts_message(serving, host):
    """The system packages install in the background while the app's layout is
    made; the wait before the build must fail on apt's own message, leave the live
    release serving and remove the job's status file."""
    packages = ["nginx", "python3-cryptography", "no-such-package-for-flask"]
    result = run_play("-e", json.dumps({"flask_app_host_packages": packages}))
    assert result.returncode != 0 and result.failed == 1, result.output[-3000:]
    assert "apt could not install the system packages" in result.output, result.output[-3000:]
    assert "no-such-package-for-flask" in result.output, "the error does not name the package"
    assert not host.check_output("ls /run/flask-app-packages-* 2>/dev/null || true"), "the job's status file was left"


@pytest.mark.any_release
def test_secret_never_printed_even_verbose(host):
    """A new secret goes through the env file's change path at -vvv with --diff."""
    secret = f"s3cret-{uuid.uuid4().hex}"
    result = run_play("-vvv", "--diff", "-e", json.dumps({"flask_app_secret_env": {"SECRET_KEY": secret}}))
    assert result.returncode == 0, result.output[-3000:]
    assert result.changed > 0, "the secret did not change anything, so nothing was proven"
    assert secret not in result.output, "the secret appears in ansible-playbook's output"
    assert secret in host.file(f"/etc/flask/{APP}.env").content_string, "the secret never reached the app"
    assert secret not in host.check_output("journalctl --no-pager -o cat"), "the secret is in the journal"


ROLES = os.path.join(os.path.dirname(CONVERGE), "..", "..", "roles")


def role_file_sha256(*paths):
    """SHA-256 of the role files `paths`, one after the other, as a role installs them."""
    digest = hashlib.sha256()
    for path in paths:
        with open(os.path.join(ROLES, path), "rb") as handle:
            digest.update(handle.read())
    return digest.hexdigest()


def test_certificate_due_or_damaged_is_made_again(site, host):
    """tls's module reads the CA, the key and the certificate. A certificate due for
    renewal, or one that cannot be read, is signed again: the site then presents a new
    certificate that verifies against the same CA, and the next run with the defaults
    changes nothing. The repair must keep the CA and its key the converge made instead of
    making a new CA the clients do not trust."""
    cert = f"/etc/ssl/flask/{APP}/fullchain.pem"
    ca_files = ["/etc/ssl/flask-ca/ca.crt", "/etc/ssl/flask-ca/ca.key"]
    ca_sums = [host.file(path).sha256sum for path in ca_files]
    first = site.certificate_sha256()
    # The certificate is good for 365 days: with 400 it is due.
    due = run_play("-e", "tls_self_signed_renew_days=400")
    assert due.returncode == 0, due.output[-3000:]
    assert "it expires within 400 days" in due.output, due.output[-3000:]
    second = site.certificate_sha256()
    assert second != first, "the certificate due for renewal was not made again"
    host.check_output(f"echo damaged > {cert}")
    damaged = run_play()
    assert damaged.returncode == 0, damaged.output[-3000:]
    assert "the certificate or the key cannot be read" in damaged.output, damaged.output[-3000:]
    assert site.certificate_sha256() not in (first, second), "the damaged certificate was not made again"
    assert host.file(cert).mode == 0o644 and host.file(f"/etc/ssl/flask/{APP}/privkey.pem").mode == 0o600
    assert site.https("/").body == "Hello, World!"
    assert [host.file(path).sha256sum for path in ca_files] == ca_sums, "a repair made the CA again"
    again = run_play()
    assert again.returncode == 0 and again.changed == 0, f"the new certificate is not stable:\n{again.output[-3000:]}"


@pytest.mark.any_release
def test_unsupported_release_is_refused_before_any_change(serving, host):
    """The host claims Debian 11 (the files Ansible reads its release from): the play
    must stop before any role changes anything, naming what it found."""
    host.check_output(
        "cp -a /etc/debian_version /root/debian_version.orig && cp /etc/os-release /root/os-release.orig && "
        "echo 11.11 >/etc/debian_version && rm /etc/os-release && "
        "sed -e 's/^VERSION_ID=.*/VERSION_ID=\"11\"/' -e 's/^VERSION=.*/VERSION=\"11 (bullseye)\"/' "
        "-e 's/^VERSION_CODENAME=.*/VERSION_CODENAME=bullseye/' -e 's/^PRETTY_NAME=.*/PRETTY_NAME=\"Debian 11\"/' "
        "/root/os-release.orig >/etc/os-release"
    )
    try:
        result = run_play()
    finally:
        host.check_output(
            "cp -a /root/debian_version.orig /etc/debian_version && "
            "rm /etc/os-release && ln -s ../usr/lib/os-release /etc/os-release"
        )
    assert result.returncode != 0 and result.failed == 1, "a Debian 11 host was accepted"
    assert "runs Debian 11" in result.output and "supports Debian 12 and 13 only" in result.output, result.output[-3000:]
    assert result.changed == 0, f"the refused host was changed:\n{result.output[-3000:]}"


def tasks_reporting(output, results):
    """The names of the tasks with a host result in ``results`` (a regex), in the order they ran."""
    tasks, task = [], None
    for line in output.splitlines():
        header = re.match(r"^(?:TASK|RUNNING HANDLER) \[(.*)\] \*+$", line)
        if header:
            task = header.group(1)
        elif re.match(rf"^({results}): \[", line) and task not in tasks:
            tasks.append(task)
    return tasks


def changed_tasks(output):
    """The names of the tasks that reported a change."""
    return tasks_reporting(output, "changed")


def tasks_taken(output):
    """The names of the tasks that ran (ok or changed) rather than being skipped."""
    return tasks_reporting(output, "ok|changed")


def diffs(output):
    """Each diff the run printed, as its text: from a "--- before" line to the task's result."""
    found, current = [], None
    for line in output.splitlines():
        if line.startswith("--- before"):
            current = [line]
            found.append(current)
        elif current is not None and re.match(r"^(ok|changed|skipping|fatal): \[|^(TASK|RUNNING HANDLER) \[", line):
            current = None
        elif current is not None:
            current.append(line)
    return ["\n".join(lines).strip() for lines in found]


UNIT = f"/etc/systemd/system/gunicorn-{APP}.service"
SITE_CONF = f"/etc/nginx/conf.d/{APP}.conf"
ENV = f"/etc/flask/{APP}.env"
KEYS = "/usr/local/lib/flask-app-public-keys.txt"
KEY = f"/etc/ssl/flask/{APP}/privkey.pem"
NGINX_DROPIN = "/etc/systemd/system/nginx.service.d"
# The operator tools each role installs, and the sources they are made from, in order.
TOOLS = {"/usr/local/sbin/flask-lock": ["../plugins/module_utils/deploy_lock.py"],
         "/usr/local/sbin/flask-release": ["../plugins/module_utils/release_tool.py"],
         "/usr/local/lib/flask-app-tool.py": ["../plugins/module_utils/secret_keys.py", "flask_app/files/flask_app_tool.py"]}


def assert_preview_is_the_run(host, drift, paths):
    """After drift(): --check --diff names the tasks and shows a diff for each of paths that
    the real run then changes, with the same diffs; a real run with --diff takes the same
    tasks as one without; and the host converges."""
    drift()
    preview = run_play("--check", "--diff")
    assert preview.returncode == 0, preview.output[-3000:]
    real = run_play("--diff")
    assert real.returncode == 0, real.output[-3000:]
    assert changed_tasks(preview.output) == changed_tasks(real.output), (
        f"--check --diff named {changed_tasks(preview.output)}, the real run changed {changed_tasks(real.output)}")
    for path in paths:
        assert any(path in text for text in diffs(preview.output)), f"--check --diff shows no diff for {path}"
    assert diffs(preview.output) == diffs(real.output), "the preview's diffs differ from the real run's"
    drift()
    plain = run_play()
    assert plain.returncode == 0, plain.output[-3000:]
    assert tasks_taken(plain.output) == tasks_taken(real.output), "--diff changed which tasks run"
    assert changed_tasks(plain.output) == changed_tasks(real.output)
    again = run_play()
    assert again.returncode == 0 and again.changed == 0, f"the repair did not converge:\n{again.output[-3000:]}"
    return preview, real


# The secret the scenario's inventory gives the app (molecule.yml).
SECRET = "probe-test-key-not-a-real-secret-0f6d2c8e"


def test_check_diff_previews_what_the_next_run_changes_everywhere(site, host):
    """Issue 29's proof, and the repair of a converged host: each module reads the host
    first and skips what is in place, so whatever drifted since must be put back. A unit
    (content and mode), the site file, nginx's sandbox drop-in, a stopped nginx, the env
    file (a line and its mode), the shared list of public keys, the certificate key's
    mode, the data dir's mode, the app user's shell and the operator tools (content and
    mode) drift at once; --check --diff must name exactly what the real run then changes,
    with the same diffs and no secret value, and the run must put every one back."""
    # The test before this one may have left another secret in the env file: this run puts the
    # inventory's back, and every other line as it was.
    env_before = [line for line in host.file(ENV).content_string.splitlines() if not line.startswith("SECRET_KEY=")]

    def drift():
        host.check_output(
            f"echo '# drift' >> {UNIT} && chmod 0600 {UNIT} && echo '# drift' >> {SITE_CONF}"
            f" && chmod 0700 {NGINX_DROPIN} && echo 'DRIFT=1' >> {ENV} && chmod 0644 {ENV}"
            f" && echo drift >> {KEYS} && chmod 0644 {KEY} && chmod 0777 /srv/{APP}/data && usermod -s /bin/bash {APP}"
            f" && " + " && ".join(f"echo '# drift' >> {path}" for path in TOOLS)
            + " && chmod 0644 /usr/local/sbin/flask-lock && systemctl stop nginx")

    try:
        preview, real = assert_preview_is_the_run(host, drift, [UNIT, SITE_CONF, ENV, KEYS, KEY])
    except BaseException:
        run_play()  # the next tests start from a converged host, whatever failed here
        raise
    assert SECRET not in preview.output + real.output, "a diff of the env file shows the secret"
    # One changed task per module that owns a drifted path at the least: gunicorn's and
    # nginx's flask_config, flask_app_layout (data dir, shell, app tool, key list), the
    # live env file, tls's key, flask_lock's and flask_release's tools.
    assert len(changed_tasks(real.output)) >= 7, f"the drift was not repaired:\n{real.output[-3000:]}"
    assert host.file(UNIT).mode == 0o644 and "# drift" not in host.file(UNIT).content_string
    assert "# drift" not in host.file(SITE_CONF).content_string
    assert host.file(NGINX_DROPIN).mode == 0o755
    assert host.service("nginx").is_running
    env_after = host.file(ENV).content_string.splitlines()
    assert [line for line in env_after if not line.startswith("SECRET_KEY=")] == env_before and \
        f'SECRET_KEY="{SECRET}"' in env_after, "the edited environment file was not put back"
    assert host.file(ENV).mode == 0o640 and host.file(ENV).user == "root" and host.file(ENV).group == APP
    assert host.file(KEYS).sha256sum == role_file_sha256("flask_app/files/public-keys.txt")
    assert host.file(KEY).mode == 0o600 and host.file(KEY).user == "root"
    assert host.file(f"/srv/{APP}/data").mode == 0o750
    assert host.user(APP).shell == "/usr/sbin/nologin"
    for path, sources in TOOLS.items():
        assert host.file(path).sha256sum == role_file_sha256(*sources), f"{path} was not put back"
    assert host.file("/usr/local/sbin/flask-lock").mode == 0o755
    assert site.https("/").body == "Hello, World!"

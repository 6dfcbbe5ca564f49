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


def test_drift_is_repaired_by_the_next_run(site, host):
    """A converged run reads the host first (one flask_config call per role for files and
    units; the release tools compare themselves with the role's copy) and skips what is in place;
    what drifted since must still be put back: a mode, a shell, the key's permissions, a
    unit's mode, a line added to the site, a stopped nginx, edited release tools. (This
    run also drops the secret the test above added, so gunicorn may restart here.)"""
    key = f"/etc/ssl/flask/{APP}/privkey.pem"
    unit = f"/etc/systemd/system/gunicorn-{APP}.service"
    site_conf = f"/etc/nginx/conf.d/{APP}.conf"
    tools = {"/usr/local/sbin/flask-lock": ["../plugins/module_utils/deploy_lock.py"],
             "/usr/local/sbin/flask-release": ["../plugins/module_utils/release_tool.py"],
             # The collection's secret key checks, then the tool.
             "/usr/local/lib/flask-app-tool.py": ["../plugins/module_utils/secret_keys.py", "flask_app/files/flask_app_tool.py"]}
    host.check_output(f"chmod 0777 /srv/{APP}/data && chmod 0644 {key} && usermod -s /bin/bash {APP}")
    host.check_output(f"chmod 0600 {unit} && echo '# drift' >> {site_conf} && chmod 0700 /etc/systemd/system/nginx.service.d")
    host.check_output(" && ".join(f"echo '# drift' >> {path}" for path in tools) + " && chmod 0644 /usr/local/sbin/flask-lock")
    result = run_play()
    assert result.returncode == 0, result.output[-3000:]
    # One task per module that owns a drifted path: flask_app_layout (data dir, shell, app
    # tool), tls's key, gunicorn's and nginx's flask_config, flask_lock's and flask_release's tools.
    assert result.changed >= 6, f"the drift was not repaired:\n{result.output[-3000:]}"
    assert host.file(f"/srv/{APP}/data").mode == 0o750
    assert host.file(key).mode == 0o600 and host.file(key).user == "root"
    assert host.user(APP).shell == "/usr/sbin/nologin"
    assert host.file(unit).mode == 0o644
    assert "# drift" not in host.file(site_conf).content_string
    assert host.file("/etc/systemd/system/nginx.service.d").mode == 0o755
    for path, sources in tools.items():
        assert host.file(path).sha256sum == role_file_sha256(*sources), f"{path} was not put back"
    assert host.file("/usr/local/sbin/flask-lock").mode == 0o755
    assert site.https("/").body == "Hello, World!"
    again = run_play()
    assert again.returncode == 0 and again.changed == 0, f"the repair did not converge:\n{again.output[-3000:]}"


def test_edited_environment_file_and_key_list_are_put_back(site, host):
    """The app's layout probe compares the live environment file and the list of public
    secret keys with what the role writes: a line added to either, or the env file made
    world-readable, is undone by the next run."""
    env = f"/etc/flask/{APP}.env"
    keys = "/usr/local/lib/flask-app-public-keys.txt"
    before = host.file(env).content_string
    host.check_output(f"echo 'DRIFT=1' >> {env} && chmod 0644 {env} && echo drift >> {keys}")
    result = run_play()
    assert result.returncode == 0, result.output[-3000:]
    assert result.changed >= 2, f"the drift was not repaired:\n{result.output[-3000:]}"
    assert host.file(env).content_string == before, "the edited environment file was not put back"
    assert host.file(env).mode == 0o640 and host.file(env).user == "root" and host.file(env).group == APP
    assert host.file(keys).sha256sum == role_file_sha256("flask_app/files/public-keys.txt")
    assert site.https("/").body == "Hello, World!"


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


def test_a_stopped_nginx_is_started_again(site, host):
    """nginx's probe reads the unit's state too: a converged run must not skip its start."""
    host.check_output("systemctl stop nginx")
    result = run_play()
    assert result.returncode == 0, result.output[-3000:]
    assert host.service("nginx").is_running
    assert site.https("/").status == 200
    again = run_play()
    assert again.returncode == 0 and again.changed == 0, f"the repair is not stable:\n{again.output[-3000:]}"
    assert site.https("/").body == "Hello, World!"


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
# The drift of issue 29's proof beyond the proxy's and server's files: the env file's mode,
# a file every app shares, the certificate key's mode.
ENV = f"/etc/flask/{APP}.env"
KEYS = "/usr/local/lib/flask-app-public-keys.txt"
KEY = f"/etc/ssl/flask/{APP}/privkey.pem"


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


@pytest.mark.any_release
def test_check_diff_previews_what_the_next_run_changes_everywhere(host):
    """Issue 29's proof: a unit, the site file, the env file's mode, a shared file and the
    key's mode drift; the preview must be the run for all of them, and the env file's diff
    shows no value."""
    def drift():
        host.check_output(f"echo '# drift' >> {UNIT} && echo '# drift' >> {SITE_CONF} && chmod 0644 {ENV}"
                          f" && echo drift >> {KEYS} && chmod 0644 {KEY}")

    try:
        preview, real = assert_preview_is_the_run(host, drift, [UNIT, SITE_CONF, ENV, KEYS, KEY])
        assert SECRET not in preview.output + real.output, "a diff of the env file shows the secret"
    finally:
        run_play()  # the next tests start from a converged host, whatever failed here

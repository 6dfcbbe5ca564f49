"""Helpers the scenarios' tests share: run a playbook as a user would, and talk to
the site from outside with real TLS and HTTP."""
import hashlib
import http.client
import json
import os
import re
import shlex
import shutil
import socket
import ssl
import subprocess
import time

import pytest

APP = os.environ.get("SITE_APP", "probe")
HTTP_PORT = int(os.environ.get("SITE_HTTP_PORT", "18080"))
HTTPS_PORT = int(os.environ.get("SITE_HTTPS_PORT", "18443"))
SITE_NAME = "localhost"
# The app's service and the proxy in front, where a scenario runs other than gunicorn and nginx.
APP_UNIT = os.environ.get("SITE_APP_UNIT", f"gunicorn-{APP}.service")
PROXY = os.environ.get("SITE_PROXY", "nginx")
PROJECT = os.environ.get(
    "MOLECULE_PROJECT_DIRECTORY", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
)
INVENTORY = os.environ.get("SITE_INVENTORY") or os.path.join(
    os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "."), "inventory"
)

# The Debian release of the scenario's hosts (testbed/scenarios.sh sets it).
DEBIAN = os.environ.get("DEBIAN", "13")


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "any_release: what the test proves is decided by the controller or by code that is the same on "
        "every Debian release (a refusal before any change, what a run prints, which tasks a preview "
        "names); it runs on Debian 13 only. What a release decides (packages, systemd, nginx, OpenSSL, "
        "Python) is tested on both.")


def pytest_collection_modifyitems(config, items):
    """On a Debian release other than 13, leave out the tests marked any_release."""
    if DEBIAN == "13":
        return
    keep = [item for item in items if item.get_closest_marker("any_release") is None]
    left = [item for item in items if item.get_closest_marker("any_release") is not None]
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = keep


def host_ca_file(host, tmp_path_factory):
    """The host's self-signed CA certificate, copied to the controller the way a user gets
    it; its path there."""
    ca = host.file("/etc/ssl/flask-ca/ca.crt")
    assert ca.exists, "the self-signed CA certificate is missing on the host"
    path = tmp_path_factory.mktemp("ca") / "ca.crt"
    path.write_text(ca.content_string)
    return str(path)


@pytest.fixture(scope="module")
def ca_file(host, tmp_path_factory):
    """The path of the host's CA certificate on the controller (import it into a conftest)."""
    return host_ca_file(host, tmp_path_factory)


@pytest.fixture(scope="module")
def site(host, tmp_path_factory):
    """The site, with the CA certificate read from the host the way a user gets it."""
    return Site(host_ca_file(host, tmp_path_factory))


def copy_release(tmp_path_factory, source, name, version, **files):
    """A new release: a copy of the app at `source` in a new folder named after `name`, with
    VERSION `version` and, for each other FILE=value that is not "ok", the file FILE
    holding value (HEALTH, MIGRATION: how the test app misbehaves). Returns the folder."""
    path = tmp_path_factory.mktemp(name)
    shutil.copytree(source, path, dirs_exist_ok=True)
    (path / "VERSION").write_text(f"{version}\n")
    for file_name, value in files.items():
        if value != "ok":
            (path / file_name).write_text(f"{value}\n")
    return path


def wait_for(condition, seconds):
    """Whether condition() came true within seconds (asked every 0.2 s, and once more at the end)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def run_playbook(playbook, *args):
    """Run a playbook against the test host as a user would; return the result with its recap."""
    result = subprocess.run(
        ["ansible-playbook", "-i", INVENTORY, playbook, *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={
            **os.environ,
            "ANSIBLE_ROLES_PATH": os.environ.get("ANSIBLE_ROLES_PATH", os.path.join(PROJECT, "roles")),
            "ANSIBLE_COLLECTIONS_PATH": os.path.join(PROJECT, "collections"),
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_NOCOLOR": "1",
            # Output as the project's ansible.cfg prints it (molecule's config prints JSON).
            "ANSIBLE_CALLBACK_RESULT_FORMAT": "yaml",
        },
    )
    # ansible-core 2.19 prints task errors on stderr; read both, as a user would.
    result.output = result.stdout + result.stderr
    recap = re.search(r"changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", result.stdout)
    assert recap, f"no play recap:\n{result.output[-3000:]}"
    result.changed, result.failed = int(recap.group(1)), int(recap.group(3))
    return result


def assert_alive(conn, host, alive):
    """GET alive[0] on `conn` (Host: `host`) answers 200 with alive[1] in its body, and the
    connection stays open for the next request (so the next answer comes over it)."""
    path, text = alive
    sock = conn.sock
    conn.request("GET", path, headers={"Host": host})
    response = conn.getresponse()
    body = response.read().decode("utf-8", "replace")
    assert response.status == 200 and text in body, (
        f"no live answer from the app first: GET {path} (Host: {host}) gave {response.status} {body[:200]!r}, "
        f"wanted 200 with {text!r}; an absence seen after it would prove nothing")
    assert conn.sock is sock and sock is not None, f"the server closed the connection after GET {path}"


class Site:
    """Requests to the published ports, verifying TLS against the site's CA."""

    def __init__(self, ca_file):
        self.ca_file = ca_file

    def tls_context(self):
        context = ssl.create_default_context(cafile=self.ca_file)
        context.check_hostname = True
        return context

    def certificate_sha256(self, sni=SITE_NAME):
        """SHA-256 of the certificate the site presents in a handshake verified against its CA."""
        with socket.create_connection(("127.0.0.1", HTTPS_PORT), timeout=10) as raw:
            with self.tls_context().wrap_socket(raw, server_hostname=sni) as tls:
                return hashlib.sha256(tls.getpeercert(binary_form=True)).hexdigest()

    def connect(self, sni=SITE_NAME):
        """A verified TLS connection to 127.0.0.1 with SNI `sni`, as an HTTPSConnection."""
        raw = socket.create_connection(("127.0.0.1", HTTPS_PORT), timeout=10)
        conn = http.client.HTTPSConnection(sni, HTTPS_PORT, timeout=10)
        conn.sock = self.tls_context().wrap_socket(raw, server_hostname=sni)
        return conn

    def https(self, path, host=SITE_NAME, sni=SITE_NAME, method="GET", body=None, headers=None, alive=None):
        """Connect to 127.0.0.1 with SNI `sni`, send Host `host`, `headers` (and a body); return the response.

        alive: (path, text). The same connection first asks GET path under the TLS name and
        must get 200 with `text` in the body, and stay open: the answer that follows comes
        from a proxy that reached a live app a moment before (see docs/testing.md)."""
        conn = self.connect(sni)
        if alive:
            assert_alive(conn, sni, alive)
        conn.request(method, path, body=body, headers={"Host": host, **(headers or {})})
        response = conn.getresponse()
        response.body = response.read().decode("utf-8", "replace")
        conn.close()
        return response

    def https_many(self, path, count):
        """Send `count` requests over one kept-alive connection; return their statuses."""
        conn = self.connect()
        statuses = []
        for _ in range(count):
            conn.request("GET", path, headers={"Host": SITE_NAME})
            response = conn.getresponse()
            response.read()
            statuses.append(response.status)
        conn.close()
        return statuses

    def http(self, path, host=SITE_NAME):
        conn = http.client.HTTPConnection("127.0.0.1", HTTP_PORT, timeout=10)
        conn.request("GET", path, headers={"Host": host})
        response = conn.getresponse()
        response.body = response.read().decode("utf-8", "replace")
        conn.close()
        return response


def unverified_handshake(sni, port=HTTPS_PORT):
    """A TLS handshake to 127.0.0.1 naming `sni`, with verification off (as a scanner or a
    careless client makes it); the DER certificate the server showed."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=sni) as tls:
            return tls.getpeercert(binary_form=True)


def assert_handshake_refused(sni, known_sni, port=HTTPS_PORT):
    """nginx's promise for a name no site claims (ssl_reject_handshake): the handshake ends
    with the alert unrecognized_name before any certificate is shown. Verification is off,
    so no certificate, right or wrong, can make the handshake fail; and `known_sni` must
    first get a certificate on the same port, so a dead or absent listener fails too."""
    assert unverified_handshake(known_sni, port), f"{known_sni} got no certificate: the site is not there"
    try:
        shown = unverified_handshake(sni, port)
    except ssl.SSLError as error:
        assert error.reason == "TLSV1_UNRECOGNIZED_NAME", f"the handshake for {sni} failed otherwise: {error!r}"
        return
    raise AssertionError(f"the handshake for {sni} completed with a certificate of sha256 "
                         f"{hashlib.sha256(shown).hexdigest()}")


# What a page that comes from the Werkzeug debugger, or a traceback, carries.
DEBUGGER_MARKERS = ("Traceback", 'File "', "__debugger__", "Werkzeug Debugger", "debugger.js", "EVALEX", "CONSOLE_MODE")
DEBUGGER_RESOURCE = "?__debugger__=yes&cmd=resource&f=debugger.js"


# Statuses a proxy gives when it got no answer from the app: an absence seen in them proves nothing.
NO_APP_STATUSES = (502, 503, 504)


def debugger_exposure(site, routed_paths, error_requests, leak_texts=(), alive=("/", "")):
    """Ask the site every way an attacker asks for the Werkzeug debugger; return what leaked.

    routed_paths: paths the app routes (besides /); the debugger's resource is asked for
    on each of them and on /. error_requests: (method, path, host) tuples that must get a
    4xx or 5xx; their bodies are scanned for debugger markers and for leak_texts (e.g.
    the text of an exception the app raises). /console is asked for with the site's
    name, Host: 127.0.0.1 and Host: localhost (the names Werkzeug 3.0.3 trusts).

    No absence counts unless the app is alive: each probe goes over a connection whose
    first request, GET alive[0] under the site's name, answered 200 with alive[1] in its
    body (else AssertionError), and a probe answered 502, 503 or 504 (the proxy reached
    no app) is reported, not accepted.
    """
    markers = DEBUGGER_MARKERS + tuple(leak_texts)
    leaks = []

    def ask(label, path, method="GET", **host):
        response = site.https(path, method=method, alive=alive, **host)
        if response.status in NO_APP_STATUSES:
            leaks.append(f"{label} answered {response.status}: the proxy reached no app, so nothing was proved")
        found = [marker for marker in markers if marker in response.body]
        if found:
            leaks.append(f"{label} answered {response.status} with {found}")
        if "werkzeug" in (response.getheader("Server") or "").lower():
            leaks.append(f"{label} answered with Server: {response.getheader('Server')}")
        return response

    for path in ("/", *routed_paths):
        response = ask(f"GET {path}{DEBUGGER_RESOURCE}", path + DEBUGGER_RESOURCE)
        if "javascript" in (response.getheader("Content-Type") or ""):
            leaks.append(f"{path}{DEBUGGER_RESOURCE} served JavaScript")
    for host in (SITE_NAME, "127.0.0.1", "localhost"):
        response = ask(f"GET /console (Host: {host})", "/console", host=host)
        if response.status < 400:
            leaks.append(f"/console with Host: {host} answered {response.status}, not an error")
    for method, path, host in error_requests:
        response = ask(f"{method} {path} (Host: {host})", path, method=method, host=host)
        if response.status < 400:
            leaks.append(f"{method} {path} (Host: {host}) answered {response.status}, not an error")
    return leaks


def set_cookies(response):
    """Each Set-Cookie line of a response as (name, {attribute lower-cased: value})."""
    cookies = []
    for line in response.headers.get_all("Set-Cookie") or []:
        first, *attributes = [part.strip() for part in line.split(";")]
        flags = {}
        for attribute in attributes:
            key, _, value = attribute.partition("=")
            flags[key.lower()] = value
        cookies.append((first.split("=", 1)[0], flags))
    return cookies


GIXY = os.path.join(PROJECT, ".cache", "gixy", "bin", "gixy")


# Serves a directory over HTTP with basic auth and logs each request (molecule/shared).
AUTH_SERVER_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "git_http_server.py")


def start_auth_server(host, instance, served, token, port, name, seconds):
    """Serve ``served`` (a directory on the controller) from the test host ``instance`` on
    127.0.0.1:``port``, to user deploy with password ``token`` only, as the transient unit
    test-NAME-server (ended after ``seconds``); each request is logged as a JSON line to
    /root/NAME-requests.log. The caller stops the unit."""
    password = os.path.join(os.path.dirname(str(served)), f"{name}-password")
    with open(password, "w", encoding="utf-8") as handle:
        handle.write(token)
    for local, remote in ((str(served), f"/opt/{name}served"), (password, f"/root/{name}-password"),
                          (AUTH_SERVER_SCRIPT, "/opt/git_http_server.py")):
        subprocess.run(["podman", "cp", local, f"{instance}:{remote}"], check=True)
    host.check_output(f"chmod 0600 /root/{name}-password; rm -f /root/{name}-requests.log")
    host.check_output(f"systemd-run --unit=test-{name}-server -p RuntimeMaxSec={seconds} python3 /opt/git_http_server.py "
                      f"/opt/{name}served {port} deploy /root/{name}-password /root/{name}-requests.log")

def history_of(host, app):
    """The deploy history of ``app`` on ``host``, as flask-release prints it."""
    found = host.run(f"flask-release history /srv/{app} --json")
    assert found.rc == 0, f"no deploy history of {app}: {found.stderr}"
    return json.loads(found.stdout)


def before_removal(host, app):
    """What the removal tests compare with: ``app`` runs its worker (flask-APP-worker), its
    timer (flask-APP-tick) is active, its shared file extra.cfg is there, and it has a
    deploy history. Returns the worker's pid and the history."""
    worker = host.check_output(f"systemctl show -p MainPID --value flask-{app}-worker.service")
    assert worker not in ("", "0"), f"{app}'s worker does not run: nothing to remove"
    assert host.service(f"flask-{app}-tick.timer").is_running, f"{app}'s timer is not active: nothing to remove"
    assert host.file(f"/etc/flask/{app}/extra.cfg").is_file, f"{app}'s shared file is missing: nothing to remove"
    history = history_of(host, app)
    assert history, f"{app} has no deploy history: nothing to keep"
    return {"worker_pid": int(worker), "history": history}

def assert_units_gone(host, unit_globs, units, worker_pid):
    """A removed app's units on ``host``: no unit file matches ``unit_globs``, each of
    ``units`` is unknown and inactive, and its worker process (``worker_pid``) has ended."""
    listed = host.run("systemctl list-unit-files --no-legend " + " ".join(shlex.quote(g) for g in unit_globs)).stdout
    assert listed.strip() == "", f"unit files left: {listed}"
    for unit in units:
        state = host.run(f"systemctl show -p LoadState,ActiveState --value {unit}").stdout.split()
        assert state == ["not-found", "inactive"], f"{unit} is {state}, not gone"
    assert not host.file(f"/proc/{worker_pid}").exists, f"the removed app's worker (pid {worker_pid}) still runs"

def nginx_dump(host):
    """`nginx -T` of the host: every configuration file nginx loads."""
    result = host.run("nginx -T")
    assert result.rc == 0, f"nginx -T failed: {result.stderr}"
    return result.stdout


def sites_missing_from(host, dump):
    """The host's site files (conf.d, sites-enabled) that an `nginx -T` dump does not show."""
    sites = {f"/etc/nginx/conf.d/{name}" for name in host.file("/etc/nginx/conf.d").listdir() if name.endswith(".conf")}
    sites |= {f"/etc/nginx/sites-enabled/{name}" for name in host.file("/etc/nginx/sites-enabled").listdir()}
    assert sites, "no site file on the host"
    loaded = set(re.findall(r"^# configuration file (\S+):$", dump, re.M))
    return sorted(sites - loaded)


def gixy_findings(dump, skipped=()):
    """What gixy-ng (testbed/scanners.sh installs it, pinned) reports on an `nginx -T` dump, at any severity."""
    assert os.access(GIXY, os.X_OK), f"{GIXY} is missing: run testbed/scanners.sh (make scanners)"
    args = [GIXY, "--format", "json"] + (["--skips", ",".join(skipped)] if skipped else []) + ["-"]
    result = subprocess.run(args, input=dump, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode in (0, 1) and result.stdout.strip(), f"gixy did not run: {result.stderr[-2000:]}"
    return [f"{i['plugin']} ({i['severity']}): {i.get('reason') or i.get('summary')}" for i in json.loads(result.stdout)]

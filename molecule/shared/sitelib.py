"""Helpers the scenarios' tests share: run a playbook as a user would, and talk to
the site from outside with real TLS and HTTP."""
import hashlib
import http.client
import json
import os
import re
import socket
import ssl
import subprocess

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

    def https(self, path, host=SITE_NAME, sni=SITE_NAME, method="GET", body=None, headers=None):
        """Connect to 127.0.0.1 with SNI `sni`, send Host `host`, `headers` (and a body); return the response."""
        raw = socket.create_connection(("127.0.0.1", HTTPS_PORT), timeout=10)
        tls = self.tls_context().wrap_socket(raw, server_hostname=sni)
        conn = http.client.HTTPSConnection(sni, HTTPS_PORT, timeout=10)
        conn.sock = tls
        conn.request(method, path, body=body, headers={"Host": host, **(headers or {})})
        response = conn.getresponse()
        response.body = response.read().decode("utf-8", "replace")
        conn.close()
        return response

    def https_many(self, path, count):
        """Send `count` requests over one kept-alive connection; return their statuses."""
        raw = socket.create_connection(("127.0.0.1", HTTPS_PORT), timeout=10)
        conn = http.client.HTTPSConnection(SITE_NAME, HTTPS_PORT, timeout=10)
        conn.sock = self.tls_context().wrap_socket(raw, server_hostname=SITE_NAME)
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


# What a page that comes from the Werkzeug debugger, or a traceback, carries.
DEBUGGER_MARKERS = ("Traceback", 'File "', "__debugger__", "Werkzeug Debugger", "debugger.js", "EVALEX", "CONSOLE_MODE")
DEBUGGER_RESOURCE = "?__debugger__=yes&cmd=resource&f=debugger.js"


def debugger_exposure(site, routed_paths, error_requests, leak_texts=()):
    """Ask the site every way an attacker asks for the Werkzeug debugger; return what leaked.

    routed_paths: paths the app routes (besides /); the debugger's resource is asked for
    on each of them and on /. error_requests: (method, path, host) tuples that must get a
    4xx or 5xx; their bodies are scanned for debugger markers and for leak_texts (e.g.
    the text of an exception the app raises). /console is asked for with the site's
    name, Host: 127.0.0.1 and Host: localhost (the names Werkzeug 3.0.3 trusts).
    """
    markers = DEBUGGER_MARKERS + tuple(leak_texts)
    leaks = []

    def scan(label, response):
        found = [marker for marker in markers if marker in response.body]
        if found:
            leaks.append(f"{label} answered {response.status} with {found}")
        if "werkzeug" in (response.getheader("Server") or "").lower():
            leaks.append(f"{label} answered with Server: {response.getheader('Server')}")

    for path in ("/", *routed_paths):
        response = site.https(path + DEBUGGER_RESOURCE)
        if "javascript" in (response.getheader("Content-Type") or ""):
            leaks.append(f"{path}{DEBUGGER_RESOURCE} served JavaScript")
        scan(f"GET {path}{DEBUGGER_RESOURCE}", response)
    for host in (SITE_NAME, "127.0.0.1", "localhost"):
        response = site.https("/console", host=host)
        if response.status < 400:
            leaks.append(f"/console with Host: {host} answered {response.status}, not an error")
        scan(f"GET /console (Host: {host})", response)
    for method, path, host in error_requests:
        response = site.https(path, host=host, method=method)
        if response.status < 400:
            leaks.append(f"{method} {path} (Host: {host}) answered {response.status}, not an error")
        scan(f"{method} {path} (Host: {host})", response)
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

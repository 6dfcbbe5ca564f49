"""The deployed site as outside scanners grade it: sslyze, testssl.sh, the MDN HTTP Observatory.

The scanners need a host name with a matching certificate on ports 80 and 443, so the
scenario also publishes the site on another loopback address, SITE_SCAN_ADDRESS, and
each scanner is told that SITE_SCAN_NAME is there without asking DNS. testbed/scanners.sh
installs testssl.sh and the Observatory; sslyze comes with the venv.
"""
import json
import os
import socket
import ssl
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

SCAN_NAME = os.environ.get("SITE_SCAN_NAME", "site.test")
SCAN_ADDRESS = os.environ.get("SITE_SCAN_ADDRESS", "127.0.0.2")
OBSERVATORY = (Path(__file__).resolve().parents[3]
               / ".cache/observatory/node_modules/@mdn/mdn-http-observatory")

# testssl findings that a certificate from a private test CA cannot avoid, and why.
TESTSSL_ALLOWED = {
    "cert_revocation": "a private CA runs no CRL or OCSP service to name in its certificates",
}

# Preloaded into the Observatory (node): only the site's name resolves, to its loopback
# address; any other name fails, so no request leaves this machine.
RESOLVER = """
const dns = require("node:dns");
const name = process.env.SITE_SCAN_NAME, address = process.env.SITE_SCAN_ADDRESS;
function lookup(hostname, options, callback) {
  if (typeof options === "function") [callback, options] = [options, {}];
  if (hostname !== name) {
    const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`),
                                {code: "ENOTFOUND", hostname});
    return process.nextTick(callback, error);
  }
  if (options && options.all) return process.nextTick(callback, null, [{address, family: 4}]);
  return process.nextTick(callback, null, address, 4);
}
dns.lookup = lookup;
dns.promises.lookup = (hostname, options) => new Promise((resolve, reject) =>
  lookup(hostname, options || {}, (error, found, family) => error ? reject(error)
    : resolve(options && options.all ? found : {address: found, family})));
"""


def run(argv, timeout, **kwargs):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              check=False, **kwargs)
    except FileNotFoundError:
        pytest.fail(f"{argv[0]} is missing: run testbed/scanners.sh")


def test_tls_is_mozilla_intermediate_compliant_per_sslyze(site):
    result = run([sys.executable, "-m", "sslyze", "--mozilla_config=intermediate",
                  f"--certinfo_ca_file={site.ca_file}", f"{SCAN_NAME}:443{{{SCAN_ADDRESS}}}"],
                 timeout=120)
    assert result.returncode == 0, (
        f"sslyze finds {SCAN_NAME} not compliant with Mozilla's intermediate TLS "
        f"configuration (exit {result.returncode}):\n{result.stdout[-3000:]}{result.stderr}")


# testssl's default checks, named one by one without its client simulation (-c): that
# reports what each simulated browser negotiates, always at severity INFO, so it cannot
# fail the test below, and it took a third of the scan's time (docs/testing.md).
TESTSSL_CHECKS = ["--each-cipher", "--vulnerable", "--headers", "--pfs", "--protocols", "--std",
                  "--server-defaults", "--server-preference"]


def test_testssl_finds_nothing_high_or_critical(site, tmp_path):
    report = tmp_path / "testssl.json"
    result = run(["testssl", "--quiet", "--color", "0", "--warnings", "off", *TESTSSL_CHECKS,
                  "--nodns", "none", "--ip", SCAN_ADDRESS, "--add-ca", site.ca_file,
                  "--connect-timeout", "10", "--openssl-timeout", "10",
                  "--jsonfile", str(report), f"https://{SCAN_NAME}/"],
                 timeout=600, cwd=tmp_path)
    assert report.exists(), f"testssl wrote no report:\n{result.stdout[-3000:]}{result.stderr}"
    findings = json.loads(report.read_text())
    offered = {f["id"]: f["finding"] for f in findings}
    assert offered.get("TLS1_2", "").startswith("offered"), (
        f"testssl did not get through the scan of {SCAN_NAME}:\n{result.stdout[-3000:]}")
    bad = [f"{f['id']} ({f['severity']}): {f['finding']}" for f in findings
           if f["severity"] in ("HIGH", "CRITICAL", "FATAL") and f["id"] not in TESTSSL_ALLOWED]
    assert not bad, "testssl finds serious problems:\n" + "\n".join(bad)


@pytest.mark.parametrize("version", ["TLSv1", "TLSv1_1"])
def test_tls_1_0_and_1_1_handshakes_are_refused(site, version):
    with warnings.catch_warnings():  # the old versions are deprecated in Python too
        warnings.simplefilter("ignore", DeprecationWarning)
        context = site.tls_context()
        context.minimum_version = context.maximum_version = getattr(ssl.TLSVersion, version)
    # Security level 0 lets this client really offer the old protocol and its ciphers.
    context.set_ciphers("ALL:@SECLEVEL=0")
    with socket.create_connection((SCAN_ADDRESS, 443), timeout=10) as raw:
        try:
            context.wrap_socket(raw, server_hostname=SCAN_NAME).close()
        except ssl.SSLError as refused:
            assert refused.reason == "TLSV1_ALERT_PROTOCOL_VERSION", (
                f"a {version} handshake should end in the server's protocol_version "
                f"alert, got: {refused}")
        else:
            pytest.fail(f"the server accepted a {version} handshake")


def test_observatory_grades_headers_a_plus_with_no_failed_test(site, tmp_path):
    resolver = tmp_path / "resolve.cjs"
    resolver.write_text(RESOLVER)
    env = dict(os.environ, NODE_OPTIONS=f"--require {resolver}", NODE_EXTRA_CA_CERTS=site.ca_file,
               SITE_SCAN_NAME=SCAN_NAME, SITE_SCAN_ADDRESS=SCAN_ADDRESS)
    # src/scan.js, not the package's wrapper, which would trust public CAs instead of ours.
    result = run(["node", str(OBSERVATORY / "src/scan.js"), SCAN_NAME], timeout=120, env=env)
    assert result.returncode == 0, (
        f"the Observatory could not scan {SCAN_NAME} (run testbed/scanners.sh if it is "
        f"missing):\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    report = json.loads(result.stdout)
    failed = {name: test["result"] for name, test in report["tests"].items() if not test["pass"]}
    summary = {key: report["scan"][key] for key in ("grade", "score", "testsFailed")}
    assert report["scan"]["grade"] == "A+" and not failed, (
        f"the Observatory grades {SCAN_NAME} {summary}; failed tests: {failed}")
    # Passing "redirection" without a redirect would mean port 80 was never seen.
    assert report["tests"]["redirection"]["result"] == "redirection-to-https", (
        f"the Observatory saw no http->https redirect: {report['tests']['redirection']}")

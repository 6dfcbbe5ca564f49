"""gixy-ng (testbed/scanners.sh installs it, pinned) finds nothing, at any severity, in
`nginx -T` of the deployed host: every configuration file nginx loads, every site."""
import json
import os
import re
import subprocess

import pytest
from conftest import PROJECT

GIXY = os.path.join(PROJECT, ".cache", "gixy", "bin", "gixy")
# Checks left out, each with the reason. None is skipped today.
SKIPPED = {}


@pytest.fixture(scope="module")
def dump(host):
    result = host.run("nginx -T")
    assert result.rc == 0, f"nginx -T failed: {result.stderr}"
    return result.stdout


def test_dump_covers_every_site_on_the_host(host, dump):
    loaded = set(re.findall(r"^# configuration file (\S+):$", dump, re.M))
    sites = {f"/etc/nginx/conf.d/{name}" for name in host.file("/etc/nginx/conf.d").listdir() if name.endswith(".conf")}
    sites |= {f"/etc/nginx/sites-enabled/{name}" for name in host.file("/etc/nginx/sites-enabled").listdir()}
    assert sites and sites <= loaded, f"nginx -T does not show {sorted(sites - loaded)}"


def test_gixy_finds_nothing_at_any_severity(dump):
    assert os.access(GIXY, os.X_OK), f"{GIXY} is missing: run testbed/scanners.sh (make scanners)"
    args = [GIXY, "--format", "json"] + (["--skips", ",".join(SKIPPED)] if SKIPPED else []) + ["-"]
    result = subprocess.run(args, input=dump, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode in (0, 1) and result.stdout.strip(), f"gixy did not run: {result.stderr[-2000:]}"
    issues = [f"{i['plugin']} ({i['severity']}): {i.get('reason') or i.get('summary')}" for i in json.loads(result.stdout)]
    assert not issues, "gixy-ng reports:\n" + "\n".join(issues)

"""Nothing from the app's side runs as root at deploy time (issue 33), tried from the
app's side: a source tree whose requirements bring an sdist with a build step and a
wheel with a .pth file that record the uid they ran as (and try to write where only root
can), a file with the setuid bit, and in a second tree a link that leaves the source."""
import io
import json
import os
import shutil
import tarfile
import zipfile

import pytest
from conftest import APP, PROJECT, live, run_playbook

DEPLOY = os.path.join(PROJECT, "playbooks", "deploy.yml")
SOURCE = os.path.join(PROJECT, "molecule", "security", "app")
# Appends "TAG UID" where it can: in the venv (writable only while pip builds it), in
# the app's data (writable in the app's sandbox), and where only root may write.
RECORD = f"""
import os, sys
def record(tag):
    for path in (os.path.join(sys.prefix, "boundary-uids"), "/srv/{APP}/data/boundary-uids",
                 "/root/boundary-ran-as-root", "/etc/boundary-ran-as-root"):
        try:
            with open(path, "a") as handle:
                handle.write("%s %d\\n" % (tag, os.getuid()))
        except OSError:
            pass
"""
# The .pth runs in every python that starts the venv, and leaves a child in a session of
# its own, which must not outlive the deploy's checks.
PTH = RECORD + """
record("pth")
if not os.environ.get("BOUNDARY_CHILD"):
    import subprocess
    os.environ["BOUNDARY_CHILD"] = "1"
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)", "boundary-child"],
                     start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL)
"""
SETUP = RECORD + """
record("sdist-build")
from setuptools import setup
setup(name="boundarysdist", version="1.0", py_modules=[])
"""
# Files outside the app's tree that root's deploy must leave as they are.
WATCHED = ["/etc/passwd", "/etc/shadow", "/etc/group", "/etc/sudoers", "/root/.ssh/authorized_keys",
           f"/etc/flask/{APP}.env", f"/etc/gunicorn/{APP}.conf.py", "/usr/local/lib/flask-app-tool.py"]
CHANGED_OUTSIDE = (
    "find / -xdev \\( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp -o -path /var"
    f" -o -path /srv/{APP} -o -path /root/.ansible \\) -prune -o -newer /run/boundary-mark -print"
)


def sdist(vendor):
    with tarfile.open(vendor / "boundarysdist-1.0.tar.gz", "w:gz") as tar:
        for name, text in {"setup.py": SETUP,
                           "PKG-INFO": "Metadata-Version: 2.1\nName: boundarysdist\nVersion: 1.0\n"}.items():
            data = text.encode()
            info = tarfile.TarInfo(f"boundarysdist-1.0/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def wheel(vendor):
    files = {"boundarypth.pth": "import sys; exec(" + repr(PTH) + ")\n",
             "boundarypth-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: boundarypth\nVersion: 1.0\n",
             "boundarypth-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    files["boundarypth-1.0.dist-info/RECORD"] = "".join(f"{name},,\n" for name in files) + "boundarypth-1.0.dist-info/RECORD,,\n"
    with zipfile.ZipFile(vendor / "boundarypth-1.0-py3-none-any.whl", "w") as whl:
        for name, text in files.items():
            whl.writestr(name, text)


@pytest.fixture(scope="module")
def attack(host, site, tmp_path_factory):
    """Deploy the malicious trees (the one with an outward link first); afterwards the
    original app goes live again."""
    tree = tmp_path_factory.mktemp("boundary") / "app"
    shutil.copytree(SOURCE, tree)
    vendor = tree / "vendor"
    vendor.mkdir()
    sdist(vendor)
    wheel(vendor)
    with open(tree / "requirements.txt", "a", encoding="utf-8") as handle:
        handle.write("./vendor/boundarysdist-1.0.tar.gz\n./vendor/boundarypth-1.0-py3-none-any.whl\n")
    (tree / "bin").mkdir()
    (tree / "bin" / "tool.sh").write_text("#!/bin/sh\nid\n")
    (tree / "bin" / "tool.sh").chmod(0o4755)
    linked = tree.parent / "linked"
    shutil.copytree(tree, linked, symlinks=True)
    (linked / "secapp" / "leak").symlink_to("/etc/shadow")

    host.run_expect([0], "touch /run/boundary-mark")
    before = {"live": live(host), "watched": {path: host.file(path).sha256sum for path in WATCHED if host.file(path).exists},
              "setuid": host.check_output("find / -xdev -perm /6000 -type f | sort")}
    refused = run_playbook(DEPLOY, "-e", f"flask_app_source_dir={linked}")
    during = {"live": live(host), "page": site.https("/").body}
    deployed = run_playbook(DEPLOY, "-e", f"flask_app_source_dir={tree}")
    release = host.check_output(f"readlink -f /srv/{APP}/current")
    yield {"before": before, "refused": refused, "during": during, "deployed": deployed, "release": release}
    restored = run_playbook(DEPLOY)
    assert restored.failed == 0, f"the original app did not go live again:\n{restored.output[-3000:]}"


def records(host, path):
    found = host.file(path)
    return [line.split() for line in found.content_string.splitlines()] if found.exists else []


def test_a_link_leaving_the_source_refuses_the_release_naming_it(attack, site, host):
    refused = attack["refused"]
    assert refused.returncode != 0, f"a source with a link to /etc/shadow was deployed:\n{refused.output[-3000:]}"
    assert "secapp/leak is a link that leaves" in refused.output, refused.output[-3000:]
    # The history's reason reached flask-release on stdin (tasks/record.yml), not its command line.
    history = [json.loads(line) for line in host.file(f"/srv/{APP}/deploy-history.jsonl").content_string.splitlines()]
    reasons = [record["detail"] for record in history if record["result"] in ("refused", "failed")]
    assert reasons and "secapp/leak is a link that leaves" in reasons[-1], f"the history lost the reason: {reasons[-1:]}"
    assert attack["during"]["live"] == attack["before"]["live"], "the refused deploy changed the live release"
    assert attack["during"]["page"] == "secapp\n", "the site stopped serving during the refused deploy"


def test_the_malicious_release_went_live(attack):
    assert attack["deployed"].failed == 0, attack["deployed"].output[-3000:]


def test_the_sdists_build_step_ran_as_the_app_user(attack, host):
    uid = host.user(APP).uid
    built = [uid_ for tag, uid_ in records(host, f"{attack['release']}/venv/boundary-uids") if tag == "sdist-build"]
    assert built, "the sdist's build step left no record: the attack did not run"
    assert set(built) == {str(uid)}, f"the sdist's build step ran as uid {built}, not only as {APP} ({uid})"


def test_the_wheels_pth_never_ran_as_root(attack, host):
    seen = records(host, f"{attack['release']}/venv/boundary-uids") + records(host, f"/srv/{APP}/data/boundary-uids")
    assert any(tag == "pth" for tag, _ in seen), "the .pth left no record: the attack did not run"
    assert all(uid != "0" for _, uid in seen), f"app-supplied code ran as root: {seen}"
    for path in ("/root/boundary-ran-as-root", "/etc/boundary-ran-as-root"):
        assert not host.file(path).exists, f"app-supplied code wrote {path} as root"


def test_no_file_outside_the_apps_tree_changed(attack, host):
    before = attack["before"]
    after = {path: host.file(path).sha256sum for path in before["watched"]}
    assert after == before["watched"], "a file outside the app's tree changed"
    assert host.check_output("find / -xdev -perm /6000 -type f | sort") == before["setuid"], "a setuid file appeared"
    changed = host.check_output(CHANGED_OUTSIDE)
    assert changed == "", f"files outside the app's tree changed during the deploys: {changed}"


def test_no_setuid_bit_survives_the_unpack(attack, host):
    mode = host.file(f"{attack['release']}/app/bin/tool.sh").mode
    assert mode & 0o6000 == 0, f"bin/tool.sh is {oct(mode)} in the release"
    assert host.check_output(f"find {attack['release']} -perm /6000 -not -type l") == "", "a setuid file in the release"


def test_the_release_is_roots_after_the_build(attack, host):
    assert host.check_output(f"find {attack['release']} -not -user root -o -not -group root") == "", \
        "the app's user still owns part of the release"


def test_no_process_started_by_the_checks_survives_them(attack, host):
    children = host.check_output("ps -eo unit=,args= | grep '[b]oundary-child' || true").splitlines()
    assert children, "the .pth started no child: the attack did not run"
    units = {line.split()[0] for line in children}
    assert units == {f"gunicorn-{APP}.service"}, f"a child of a deploy-time check outlived it: {children}"
    assert host.check_output("systemctl list-units --all --no-legend 'flask-smoke-*' 'flask-app-run-*'") == ""

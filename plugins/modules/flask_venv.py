#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: flask_venv
short_description: Build a release's virtualenv, installing its packages as the app's user in a sandbox
description:
  - Creates the release's virtualenv. When the live release's was built from the same inputs
    (requirements text, extra packages, the interpreter and the system's release) and those
    name no local path or URL, copies it instead, with its paths moved to the new release,
    and pip does not run. Failing that, a seed virtualenv built from the same inputs while
    apt ran (on a first deploy) is moved in the same way; a seed left unused is removed.
  - Otherwise pip installs the requirements file and O(packages) as O(user), in a transient
    systemd unit under O(sandbox) (plus NoNewPrivileges, ProtectSystem=strict, ProtectHome
    and PrivateTmp) where only the virtualenv is writable, stopped after O(timeout) seconds.
    No sdist's build step and no package's code runs as root.
  - Whatever the app's side wrote (pip's work, a seed) is handed back to root by a walk that
    never follows a link, with setuid, setgid and group/other write bits stripped.
  - Requirements lines that would read a file outside the release (C(-r) or C(-c) with an
    absolute path or C(..)), and a requirements file that is a link, are refused before pip
    runs, naming the line. pip's output is shown with the credentials of its URLs cut.
  - O(packages) reach pip in a requirements file of the release's, mode 0600 and the app
    user's, removed once pip is done. A package URL and its credentials are on no command line.
  - Check mode reports whether the virtualenv would be copied, moved in or built, and changes nothing.
version_added: 1.1.0
options:
  release:
    description: The release's directory; the virtualenv is made at C(venv) below it, the code is in C(app).
    type: path
    required: true
  root:
    description: The app's root, where C(current) points at the live release.
    type: path
    required: true
  inputs:
    description: The extra requirements that go with the requirements file into the reuse digest.
    type: list
    elements: str
    default: []
  requirements:
    description: The requirements file, relative to the release's code directory; empty for none.
    type: str
    default: ""
  packages:
    description: What pip installs besides the requirements file (the app's wheel, the extra requirements, the server).
    type: list
    elements: str
    default: []
  reuse:
    description: Copy the live release's virtualenv, or move in the seed, when the inputs are the same.
    type: bool
    default: true
  seed:
    description: Where the seed virtualenv may be; it is removed when it is not used.
    type: path
  timeout:
    description: Seconds after which pip's unit is stopped and the build fails.
    type: int
    default: 900
extends_documentation_fragment:
  - flaskops.production.app_unit
author: flaskops maintainers (@flaskops)
"""

EXAMPLES = r"""
- name: Create the release's virtualenv and install its requirements as the app's user
  flaskops.production.flask_venv:
    release: /srv/myapp/releases/0123456789ab
    root: /srv/myapp
    requirements: requirements.txt
    inputs: ["gunicorn==23.0.0"]
    packages: ["gunicorn==23.0.0"]
    user: myapp
    group: myapp
    sandbox: [PrivateDevices=yes, "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6"]
"""

RETURN = r"""
reused:
  description: Whether the virtualenv was copied from the live release or moved in from the seed (pip did not run).
  returned: always
  type: bool
from:
  description: The release id it was copied from, C(seed), or null when built.
  returned: always
  type: str
output:
  description: The last lines pip printed, credentials cut.
  returned: always
  type: list
  elements: str
stripped:
  description: Paths in the virtualenv whose setuid, setgid or group/other write bit was removed.
  returned: always
  type: list
  elements: str
"""

import hashlib
import json
import os
import pwd
import grp
import re
import shutil
import subprocess
import sys

from ansible_collections.flaskops.production.plugins.module_utils.app_sandbox import (
    hand_back, hand_over, redact, run_unit, unit_module)

VENV_INPUTS = "venv-inputs"
VENV_FROM = "venv-from"
# What flask_packages records in the seed, last, when it is complete.
SEED_INPUTS = "flask-app-seed.json"
# The requirements' text it was built from.
SEED_REQUIREMENTS = "seed-requirements.txt"
# The packages pip installs besides the requirements file, beside the release's code while pip runs.
PACKAGES_FILE = "pip-packages.txt"
# A requirement line that points at files or URLs: their content is not in its text, so a
# venv built from it is never reused.
LOCAL_REQUIREMENT = ("-e", "--editable", ".", "/", "file:", "git+", "hg+", "svn+", "bzr+", "http:", "https:",
                     "-r", "--requirement", "-c", "--constraint", "--find-links", "-f")
# -r/-c and their long forms, with the file glued on or apart.
INCLUDE = re.compile(r"^\s*(?:-r|-c|--requirement|--constraint)(?:\s*=\s*|\s+|(?<=[rc]))(\S+)")


class Refused(Exception):
    """A requirements file the build does not read: the message names it."""


def check_requirements(code, path, seen=None):
    """Refuse a requirements file that is a link or whose -r/-c lines read a file outside
    the code directory (an absolute path, a URL to a file, or a path that climbs out);
    follow the lines that stay inside. Names the file and the line."""
    seen = set() if seen is None else seen
    where = os.path.relpath(path, code)
    if os.path.islink(path):
        raise Refused("%s is a link; the requirements file must be a file in the source" % where)
    if path in seen or not os.path.isfile(path):
        return
    seen.add(path)
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            found = INCLUDE.match(line)
            if not found:
                continue
            target = found.group(1)
            if "://" in target:
                if target.startswith("file:"):
                    raise Refused("%s line %d (%s) reads a file outside the release" % (where, number, line.strip()))
                continue
            joined = os.path.normpath(os.path.join(os.path.dirname(path), target))
            if os.path.isabs(target) or not joined.startswith(code.rstrip("/") + "/"):
                raise Refused("%s line %d (%s) reads a file outside the release" % (where, number, line.strip()))
            check_requirements(code, joined, seen)


def inputs_digest(requirements, inputs):
    """The digest of a requirements file's text and the extra packages, with the
    interpreter's version and the system's release; None when a line names files or URLs."""
    lines = [line.strip() for line in requirements.splitlines() + list(inputs)]
    if any(line.startswith(LOCAL_REQUIREMENT) or "://" in line or "@" in line for line in lines):
        return None
    with open("/etc/os-release", encoding="utf-8") as handle:
        system = handle.read()
    material = json.dumps([requirements, inputs, sys.version, system], sort_keys=True)
    return hashlib.sha256(material.encode()).hexdigest()


def seed_digest(seed):
    """The digest of the seed's recorded inputs; None when there is no complete one. The
    seed is the app user's until it is taken back: its record is read without following a link."""
    try:
        handle = os.fdopen(os.open(os.path.join(seed, SEED_INPUTS), os.O_RDONLY | os.O_NOFOLLOW), encoding="utf-8")
        with handle:
            recorded = json.load(handle)
        return inputs_digest(recorded["requirements"], recorded["inputs"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def move_venv_paths(venv, old, new):
    """Rewrite the old venv's absolute path to the new one in the copy's text files (scripts'
    #! lines, pyvenv.cfg, activate, .pth and install records); bytecode is left alone.
    The tree is root's when this runs."""
    old_bytes, new_bytes = old.encode(), new.encode()
    for dirpath, dummy, filenames in os.walk(venv):
        for name in filenames:
            path = os.path.join(dirpath, name)
            if name.endswith((".pyc", ".so")) or os.path.islink(path) or os.path.getsize(path) > 4 << 20:
                continue
            with open(path, "rb") as handle:
                data = handle.read()
            if old_bytes in data:
                with open(path, "wb") as handle:
                    handle.write(data.replace(old_bytes, new_bytes))


def plan(params):
    """(digest, source) where source is ('live', dir), ('seed', dir) or ('build', None)."""
    code = os.path.join(params["release"], "app")
    requirements = os.path.join(code, params["requirements"]) if params["requirements"] else ""
    digest = None
    if params["reuse"]:
        text = ""
        if requirements and os.path.isfile(requirements):
            with open(requirements, encoding="utf-8") as handle:
                text = handle.read()
        digest = inputs_digest(text, params["inputs"])
    live = os.path.realpath(os.path.join(params["root"], "current"))
    try:
        with open(os.path.join(live, VENV_INPUTS), encoding="utf-8") as handle:
            live_digest = handle.read().strip()
    except OSError:
        live_digest = ""
    seed = params["seed"] if params["seed"] and os.path.isdir(params["seed"]) else ""
    if digest and live_digest == digest and os.path.isfile(os.path.join(live, "venv", "bin", "python")):
        return digest, ("live", live)
    if digest and seed and seed_digest(seed) == digest:
        return digest, ("seed", seed)
    return digest, ("build", None)


def write_packages(path, packages, uid, gid):
    """The packages as a requirements file only the app's user reads (0600), so that no
    URL or credential of theirs is on a command line; created anew, never through a link."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        os.fchown(fd, uid, gid)
        os.write(fd, "".join(package + "\n" for package in packages).encode("utf-8"))
    finally:
        os.close(fd)


def pip_install(module, venv, requirements):
    """pip as the app's user in the sandbox, the virtualenv its only writable place; the
    virtualenv is the app's while pip runs and root's again afterwards. The packages reach
    pip in a file of the release's (root's directory), removed once pip is done."""
    params = module.params
    user, group = pwd.getpwnam(params["user"]), grp.getgrnam(params["group"])
    hand_over(venv, user.pw_uid, group.gr_gid)
    command = [os.path.join(venv, "bin", "pip"), "install", "--disable-pip-version-check", "--no-input", "--quiet"]
    command += ["--requirement", requirements] if requirements else []
    listed = os.path.join(params["release"], PACKAGES_FILE)
    if os.path.lexists(listed):
        os.remove(listed)
    if params["packages"]:
        write_packages(listed, params["packages"], user.pw_uid, group.gr_gid)
        command += ["--requirement", listed]
    try:
        rc, out, err = run_unit(command, params["user"], params["group"],
                                list(params["sandbox"]) + ["ReadWritePaths=%s" % venv], params["timeout"],
                                os.path.join(params["release"], "app"),
                                env={"HOME": "/tmp", "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"})
    finally:
        stripped = hand_back(venv)
        if os.path.lexists(listed):
            os.remove(listed)
    output = redact(out + err).splitlines()[-40:]
    if rc != 0:
        module.fail_json(msg="pip could not install the release's packages (exit status %d, as %s in a sandbox): %s"
                         % (rc, params["user"], " | ".join(output[-8:])), output=output, stripped=stripped)
    return output, stripped


def main():
    module = unit_module({
        "release": {"type": "path", "required": True},
        "root": {"type": "path", "required": True},
        "inputs": {"type": "list", "elements": "str", "default": []},
        "requirements": {"type": "str", "default": ""},
        "packages": {"type": "list", "elements": "str", "default": []},
        "reuse": {"type": "bool", "default": True},
        "seed": {"type": "path"},
        "timeout": {"type": "int", "default": 900},
    })
    params = module.params
    release = params["release"]
    code = os.path.join(release, "app")
    requirements = os.path.join(code, params["requirements"]) if params["requirements"] else ""
    try:
        if requirements:
            check_requirements(code, requirements)
    except Refused as refused:
        module.fail_json(msg="The release's requirements are refused: %s." % refused)
    digest, (source, origin) = plan(params)
    came_from = {"live": os.path.basename(origin or ""), "seed": "seed"}.get(source)
    if module.check_mode:
        module.exit_json(changed=True, reused=source != "build", **{"from": came_from}, output=[], stripped=[])
    venv = os.path.join(release, "venv")
    if os.path.lexists(venv):
        shutil.rmtree(venv)
    seed = params["seed"] or ""
    output, stripped = [], []
    if source == "live":
        # Root's own tree (handed back when it was built): copied as it is.
        subprocess.run(["cp", "-a", "--no-target-directory", os.path.join(origin, "venv"), venv], check=True)
        move_venv_paths(venv, os.path.join(origin, "venv"), venv)
    elif source == "seed":
        # Built by the app's side: root's again before root reads or moves anything in it.
        stripped = hand_back(seed)
        for name in (SEED_INPUTS, SEED_REQUIREMENTS):
            if os.path.lexists(os.path.join(seed, name)):
                os.remove(os.path.join(seed, name))
        try:
            os.rename(seed, venv)
        except OSError:  # another file system: copied
            subprocess.run(["cp", "-a", "--no-target-directory", seed, venv], check=True)
        move_venv_paths(venv, seed, venv)
    else:
        subprocess.run(["/usr/bin/python3", "-I", "-m", "venv", venv], check=True)
        present = requirements if requirements and os.path.isfile(requirements) else ""
        output, stripped = pip_install(module, venv, present)
    if seed and os.path.lexists(seed):
        shutil.rmtree(seed)
    if digest:
        with open(os.path.join(release, VENV_INPUTS), "w", encoding="utf-8") as handle:
            handle.write(digest + "\n")
    # For people: where the venv came from (a release's id, seed, or built afresh).
    with open(os.path.join(release, VENV_FROM), "w", encoding="utf-8") as handle:
        handle.write((came_from or "built") + "\n")
    module.exit_json(changed=True, reused=source != "build", **{"from": came_from}, output=output, stripped=stripped)


if __name__ == "__main__":
    main()

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The system packages' install in the background (apt-get in a process of its own
session, its result in a status file) and the wait for it; on a first deploy, the
release's virtualenv built while apt runs (the seed). Used by flask_packages and by
flask_app_layout, which starts the install in its own call."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import grp
import json
import os
import pwd
import shlex
import shutil
import subprocess
import threading
import time

# Everything below runs in the background process too, after the module's own files are
# gone: it uses the standard library only, imported above.
LISTS = "/var/lib/apt/lists"
STAMP = "/var/lib/apt/periodic/update-success-stamp"
OPTIONS = ["-q", "-y", "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold",
           "-o", "DPkg::Lock::Timeout=120"]
# Under the build sandbox the role passes, as flask_venv's pip runs.
FLOOR = ["NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes"]
# The seed's record of its inputs, written last (flask_venv reads it).
SEED_INPUTS = "flask-app-seed.json"
ENV = dict(os.environ, DEBIAN_FRONTEND="noninteractive", DEBCONF_NONINTERACTIVE_SEEN="true", LC_ALL="C")


def missing_packages(names):
    """The Debian packages of names that are not installed (all of them when dpkg cannot tell)."""
    if not names:
        return []
    try:
        found = subprocess.run(["dpkg-query", "--show", "--showformat=${Package} ${db:Status-Abbrev}\\n"] + list(names),
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True, check=False)
    except OSError:
        return list(names)
    installed = set(line.split()[0] for line in found.stdout.splitlines() if line.split()[1:2] == ["ii"])
    return [name for name in names if name not in installed]


def write(path, record):
    part = path + ".part"
    with open(part, "w") as handle:
        json.dump(record, handle)
    os.replace(part, path)


def apt_get(args):
    done = subprocess.run(["apt-get"] + args, env=ENV, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, universal_newlines=True, check=False)
    return done.returncode, done.stderr.strip()[-4000:]


def lists_fresh():
    """The apt module's cache_valid_time of an hour: the stamp apt's periodic update
    leaves, or else the lists directory, changed less than an hour ago."""
    try:
        changed = os.stat(STAMP if os.path.exists(STAMP) else LISTS).st_mtime
        has_lists = any(name.endswith("_Packages") for name in os.listdir(LISTS))
    except OSError:
        return False
    return has_lists and time.time() - changed < 3600


def apt_install(packages, updated):
    rc, error = apt_get(["install"] + OPTIONS + packages)
    if rc and not updated:  # lists an hour old may still miss a package: read them again, once
        rc, error = apt_get(["update"] + OPTIONS[:1])
        if rc:
            return rc, "apt-get update: " + error
        rc, error = apt_get(["install"] + OPTIONS + packages)
    return rc, error


def seed_wanted(seed):
    """A seed only for a first deploy: where a release is live, the build copies its venv."""
    return bool(seed) and not os.path.lexists(os.path.join(os.path.dirname(seed["dir"]), "current"))


def wait_for_user(name, seconds):
    """The app user's entry once the play has made it, or None."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            time.sleep(0.1)
    return None


def build_seed(seed, took, began):
    """The release's virtualenv, built from the same inputs the build would install. Root
    makes the empty venv with the system's python and hands it to the app's user; pip runs
    as that user in a transient unit under the build sandbox, the venv its only writable
    place, and its last step records the inputs, so that only a complete seed is ever used."""
    target = seed["dir"]
    shutil.rmtree(target, ignore_errors=True)
    user = wait_for_user(seed["user"], 120)
    if user is None:
        return
    os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
    os.mkdir(target, 0o755)
    if subprocess.run(["/usr/bin/python3", "-I", "-m", "venv", target], env=ENV, stdin=subprocess.DEVNULL,
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False).returncode:
        shutil.rmtree(target, ignore_errors=True)
        return
    for name, text in (("seed-requirements.txt", seed["requirements"]),
                       ("seed-inputs.part", json.dumps({"requirements": seed["requirements"], "inputs": seed["inputs"]}))):
        with open(os.path.join(target, name), "w") as handle:
            handle.write(text)
    gid = grp.getgrnam(seed["group"]).gr_gid
    for top, dirs, files in os.walk(target):  # root's fresh tree: nothing in it is the app's yet
        for name in [top] + [os.path.join(top, entry) for entry in dirs + files]:
            os.lchown(name, user.pw_uid, gid)
    pip = [os.path.join(target, "bin", "pip"), "install", "--disable-pip-version-check", "--no-input", "--quiet",
           "--requirement", os.path.join(target, "seed-requirements.txt")] + list(seed["inputs"])
    script = " ".join(shlex.quote(arg) for arg in pip) + " && mv -f %s %s" % (
        shlex.quote(os.path.join(target, "seed-inputs.part")), shlex.quote(os.path.join(target, SEED_INPUTS)))
    unit = ["systemd-run", "--wait", "--pipe", "--quiet", "--collect", "--service-type=exec",
            "--property=User=" + seed["user"], "--property=Group=" + seed["group"],
            "--property=WorkingDirectory=/", "--property=RuntimeMaxSec=%d" % seed["timeout"],
            "--setenv=HOME=/tmp", "--setenv=PATH=/usr/local/bin:/usr/bin:/bin", "--setenv=LANG=C.UTF-8"]
    unit += ["--property=" + prop for prop in FLOOR + seed["sandbox"] + ["ReadWritePaths=" + target]]
    if subprocess.run(unit + ["--", "/bin/sh", "-c", script.replace("$", "$$")], stdin=subprocess.DEVNULL,
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False).returncode:
        shutil.rmtree(target, ignore_errors=True)
        return
    took["seed"] = round(time.monotonic() - began, 2)


def install(packages, seed, took):
    began = time.monotonic()
    updated = not lists_fresh()
    if updated:
        rc, error = apt_get(["update"] + OPTIONS[:1])
        if rc:
            return rc, "apt-get update: " + error
    took["update"] = round(time.monotonic() - began, 2)
    builder = None
    if seed_wanted(seed):
        rc, error = apt_install(["python3-venv"], updated)
        if rc:
            return rc, error
        took["python3-venv"] = round(time.monotonic() - began, 2)
        builder = threading.Thread(target=build_seed, args=(seed, took, began))
        builder.start()
    try:
        return apt_install(packages, updated)
    finally:
        took["install"] = round(time.monotonic() - began, 2)
        if builder:
            builder.join()


def start(path, packages, seed):
    """Forks the install into a process of its own session. The status file names that
    process before this returns, so that the waiter can tell one that died from one at work."""
    ready, told = os.pipe()
    if os.fork():
        os.close(told)
        os.read(ready, 1)
        os.close(ready)
        return
    try:
        os.setsid()
        if os.fork():
            os._exit(0)
        os.close(ready)
        write(path, {"pid": os.getpid()})
        os.write(told, b".")
        os.close(told)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.closerange(3, 256)
        took = {}
        try:
            rc, error = install(packages, seed, took)
        except Exception as exc:  # any failure must reach the waiter as a result
            rc, error = 1, repr(exc)
        write(path, {"rc": rc, "error": error, "took": took})
    finally:
        os._exit(0)


def wait(path, timeout):
    """The install's result once it is in the status file, which is then removed; an error
    text when the process died without one or did not finish in time."""
    deadline = time.monotonic() + timeout
    while True:
        with open(path) as handle:
            job = json.load(handle)
        if "rc" in job:
            break
        try:
            os.kill(job["pid"], 0)
            alive = True
        except ProcessLookupError:
            alive = False
        if not alive:  # the process writes its result before it exits: read once more
            with open(path) as handle:
                job = json.load(handle)
            if "rc" not in job:
                os.unlink(path)
                return None, "the background apt run stopped without a result (see /var/log/apt/term.log)"
            break
        if time.monotonic() > deadline:
            return None, "the background apt run did not finish within %d s (its status: %s)" % (timeout, path)
        time.sleep(0.1)
    os.unlink(path)
    return job, None


# The argument spec of the seed option (doc fragment packages_seed).
SEED_SPEC = dict(type="dict", options=dict(
    dir=dict(type="path", required=True),
    requirements=dict(type="str", default=""),
    inputs=dict(type="list", elements="str", default=[]),
    user=dict(type="str", required=True),
    group=dict(type="str", required=True),
    sandbox=dict(type="list", elements="str", default=[]),
    timeout=dict(type="int", default=900),
))

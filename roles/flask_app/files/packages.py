# The role's background apt run, run with python3 -c over raw (tasks/layout_fix.yml and
# tasks/packages_wait.yml), one remote call each way.
#
#   start STATUS SPEC        forks a child that leaves the SSH session, writes STATUS
#                            ({"pid": ...}), runs apt-get update (unless the lists are
#                            less than an hour old) and apt-get install of SPEC's
#                            packages, and replaces STATUS with {"rc": ..., "error": ...}.
#                            Prints nothing.
#   wait STATUS              reads STATUS every 0.1 s until the child's result is in it,
#                            removes it, prints how long each step took, and exits non-zero
#                            with apt-get's own message if the install failed or the child
#                            died without a result.
#
# apt-get, not the apt module: on a host without python3-apt (a bare host) the module
# first runs apt-get update and installs python3-apt by itself, then reads the lists
# again, which took about 4 s of a fresh converge. python3-apt is in the role's list, so
# the apt tasks that come later (check mode too) find it.
#
# SPEC is JSON: {"packages": [...], "seed": null or {"dir", "requirements", "inputs", "user",
# "group", "sandbox", "timeout"}}, the seed's dir in the app's root.
# With a seed (a first deploy of a source directory, the venv's inputs known on the
# controller), python3-venv is installed first, and the release's virtualenv is built at
# seed.dir (venv, then one pip run of the requirements' text and the inputs, as the app's
# user in a sandbox) while apt installs the rest: the build (flask_venv) takes it back and
# moves it into the release when the release's inputs are the same, which spares the
# build's own venv and pip steps. Where the app is live already there is no seed; a seed that fails
# is removed, and the build makes its venv as always.
import grp
import json
import os
import pwd
import shlex
import shutil
import subprocess
import sys
import threading
import time

LISTS = "/var/lib/apt/lists"
STAMP = "/var/lib/apt/periodic/update-success-stamp"
OPTIONS = ["-q", "-y", "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold",
           "-o", "DPkg::Lock::Timeout=120"]
# Under the build sandbox the role passes (flask_app_build_sandbox), as flask_venv's pip runs.
FLOOR = ["NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes"]
# The seed's record of its inputs, written last (flask_venv reads it).
SEED_INPUTS = "flask-app-seed.json"
ENV = dict(os.environ, DEBIAN_FRONTEND="noninteractive", DEBCONF_NONINTERACTIVE_SEEN="true", LC_ALL="C")


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
    """A seed only for a first deploy: where a release is live, the build copies its venv.
    (The controller sends no seed whose inputs could name a file, a URL or credentials.)"""
    return bool(seed) and not os.path.lexists(os.path.join(os.path.dirname(seed["dir"]), "current"))


def wait_for_user(name, seconds):
    """The app user's entry once the play has made it (it does so while apt runs), or None."""
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
    place, and its last step records the inputs, so that only a complete seed is ever
    used. The seed stays the app user's: the build takes it back (flask_venv) before
    using it. Without the app's user (the play did not make it) there is no seed."""
    target = seed["dir"]
    shutil.rmtree(target, ignore_errors=True)
    user = wait_for_user(seed["user"], 120)
    if user is None:
        return
    os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)  # the play makes the app root after its user
    os.mkdir(target, 0o755)
    if subprocess.run(["/usr/bin/python3", "-I", "-m", "venv", target], env=ENV, stdin=subprocess.DEVNULL,
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False).returncode:
        shutil.rmtree(target, ignore_errors=True)
        return
    for name, text in (("seed-requirements.txt", seed["requirements"]),
                       ("seed-inputs.part", json.dumps({"requirements": seed["requirements"], "inputs": seed["inputs"]}))):
        with open(os.path.join(target, name), "w", encoding="utf-8") as handle:
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


def install(spec, took):
    packages, seed = spec["packages"], spec.get("seed")
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


def start(path, spec):
    # The status file names the child doing the install before this call returns, so
    # that the waiter can tell a child that died from one still at work.
    ready, told = os.pipe()
    if os.fork():
        os.close(told)
        os.read(ready, 1)
        return
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
    took = {}  # seconds from the start to the end of each step, for people timing a run
    try:
        rc, error = install(spec, took)
    except Exception as exc:  # any failure must reach the waiter as a result
        rc, error = 1, repr(exc)
    write(path, {"rc": rc, "error": error, "took": took})
    os._exit(0)


def wait(path):
    deadline = time.monotonic() + 900
    while True:
        try:
            with open(path) as handle:
                job = json.load(handle)
        except FileNotFoundError:
            sys.exit("the background apt run left no status file at %s" % path)
        if "rc" in job:
            break
        try:
            os.kill(job["pid"], 0)
            alive = True
        except ProcessLookupError:
            alive = False
        # The child writes its result before it exits: read once more before giving up.
        if not alive:
            with open(path) as handle:
                job = json.load(handle)
            if "rc" not in job:
                os.unlink(path)
                sys.exit("the background apt run stopped without a result (see /var/log/apt/term.log)")
            break
        if time.monotonic() > deadline:
            sys.exit("the background apt run did not finish within 900 s (its status: %s)" % path)
        time.sleep(0.1)
    os.unlink(path)
    print(json.dumps({"took": job.get("took", {})}))
    if job["rc"]:
        sys.exit("apt could not install the system packages (flask_app_system_packages: the virtualenv's, "
                 "a git source's and flask_app_host_packages): %s" % job["error"])


if sys.argv[1] == "start":
    start(sys.argv[2], json.loads(sys.argv[3]))
else:
    wait(sys.argv[2])

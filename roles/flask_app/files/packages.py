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
# SPEC is JSON: {"packages": [...], "seed": null or {"dir", "requirements", "inputs"}}, the
# seed's dir in the app's root.
# With a seed (a first deploy of a source directory, the venv's inputs known on the
# controller), python3-venv is installed first, and the release's virtualenv is built at
# seed.dir (venv, then one pip run of the requirements' text and the inputs) while apt
# installs the rest: the tool's venv command moves it into the release when the release's
# inputs are the same (flask_app_tool.py, SEED_INPUTS), which spares the build's own
# venv and pip steps. Where the app is live already there is no seed; a seed that fails
# is removed, and the build makes its venv as always.
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

LISTS = "/var/lib/apt/lists"
STAMP = "/var/lib/apt/periodic/update-success-stamp"
OPTIONS = ["-q", "-y", "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold",
           "-o", "DPkg::Lock::Timeout=120"]
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


def build_seed(seed, took, began):
    """The release's virtualenv, built from the same inputs the build would install; its
    inputs are recorded last, so that only a complete one is ever used."""
    target = seed["dir"]
    shutil.rmtree(target, ignore_errors=True)
    os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8") as requirements:
        requirements.write(seed["requirements"])
        requirements.flush()
        for argv in ([sys.executable, "-m", "venv", target],
                     [os.path.join(target, "bin", "pip"), "install", "--disable-pip-version-check", "--no-input",
                      "--quiet", "--requirement", requirements.name] + list(seed["inputs"])):
            if subprocess.run(argv, env=ENV, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, check=False).returncode:
                shutil.rmtree(target, ignore_errors=True)
                return
    write(os.path.join(target, "flask-app-seed.json"),
          {"requirements": seed["requirements"], "inputs": seed["inputs"]})
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

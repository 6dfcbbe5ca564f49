#!/usr/bin/python3
"""The flask_app role's helper on the host (installed as /usr/local/lib/flask-app-tool.py).

  layout --spec JSON
      Which parts of the app's layout differ from the spec (user, group, directories
      with owner, group and mode, root's files with mode and SHA-1), so the role's tasks
      act only on those.
  state --root DIR --release ID --static-dir NAME [--server-dist NAME] [--files-dir DIR]
      Everything the role reads from the host about a release, in one call: whether it is
      complete, whether a live release exists, whether the release has a static folder,
      the stamp its last passed import check left, whether the live release's
      virtualenv holds the WSGI server's distribution (false after a change of server),
      and which shared files are kept under the files directory.
  check --env-file FILE [--public-keys FILE] module:callable   (module:factory() for a factory)
      Import the app the way its WSGI server will and report how it is configured: debug,
      testing, Werkzeug, and whether its SECRET_KEY is short or publicly known (and
      where it was set). Run as the app user, from the release's code directory, with
      the release's own python.
  fresh --release DIR
      Remove what a failed build of the release may have left and make its empty code
      directory (root's, 0755).
  put --path FILE --content TEXT
      Write a small file of root's (mode 0644) atomically: release.json, the check stamp.
  smoke --release DIR --module M --env-file F --user U --group G
        [--server gunicorn|waitress] [--path /] [--host NAME] [--status 200 ...] [--timeout 30]
      Start a release under its WSGI server on a private socket and ask it for a health URL.
      Runs as root; the server runs as the app user with only the env file's variables, so
      no secret ever appears on a command line.
  venv --release DIR --root DIR --inputs JSON [--requirements FILE] [--fresh] [--seed DIR]
      Create the release's virtualenv. When the live release's was built from the same
      inputs (requirements text, extra packages, the interpreter's version) and those
      name no local path or URL, copy it instead, with its paths moved to the new release,
      and report reused: true, so that pip need not run again. Failing that, a --seed
      venv built from the same inputs while apt ran (files/packages.py, on a first deploy)
      is moved in the same way; a seed left unused is removed. Records the inputs' digest
      in the release for the next one. --fresh (a packaged app, whose dependencies are in
      its wheel) always builds afresh.
  run --spec JSON
      Run commands one after the other in a transient systemd unit each, as the app user,
      with the env file, in a working directory, under the given sandbox properties; stop
      at the first that fails. Reports each command's exit status and output.

Each prints one JSON object and never prints environment values nor the secret key. Only the standard
library is used, because `check` runs under every release's own interpreter.
"""
import argparse
import ast
import glob
import grp
import hashlib
import http.client
import importlib
import importlib.metadata
import json
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time


def name_of(lookup, number):
    try:
        return lookup(number)[0]
    except KeyError:
        return None


def cmd_layout(args):
    want = json.loads(args.spec)
    fix = []
    try:
        grp.getgrnam(want["group"])
    except KeyError:
        fix.append("group")
    try:
        user = pwd.getpwnam(want["user"])
        if ((name_of(grp.getgrgid, user.pw_gid), user.pw_dir, user.pw_shell, user.pw_gecos)
                != (want["group"], want["home"], want["shell"], want.get("comment", user.pw_gecos))):
            fix.append("user")
    except KeyError:
        fix.append("user")
    dirs = []
    for item in want["dirs"]:
        try:
            found = os.lstat(item["path"])
            right = (stat.S_ISDIR(found.st_mode) and stat.S_IMODE(found.st_mode) == int(item["mode"], 8)
                     and name_of(pwd.getpwuid, found.st_uid) == item["owner"]
                     and name_of(grp.getgrgid, found.st_gid) == item["group"])
        except OSError:
            right = False
        if not right:
            dirs.append(item["path"])
    files = []
    for item in want.get("files", []):
        try:
            found = os.lstat(item["path"])
            with open(item["path"], "rb") as handle:
                digest = hashlib.sha1(handle.read()).hexdigest()
            right = (stat.S_ISREG(found.st_mode) and stat.S_IMODE(found.st_mode) == int(item["mode"], 8)
                     and name_of(pwd.getpwuid, found.st_uid) == item.get("owner", "root")
                     and name_of(grp.getgrgid, found.st_gid) == item.get("group", "root")
                     and digest == item["sha1"])
        except OSError:
            right = False
        if not right:
            files.append(item["path"])
    return {"fix": fix, "dirs": dirs, "files": files, "packages": missing_packages(want.get("packages", []))}


def missing_packages(names):
    """The Debian packages of names that are not installed (all of them when dpkg cannot tell)."""
    if not names:
        return []
    found = subprocess.run(["dpkg-query", "--show", "--showformat=${Package} ${db:Status-Abbrev}\\n", *names],
                           capture_output=True, text=True, check=False)
    installed = {line.split()[0] for line in found.stdout.splitlines() if line.split()[1:2] == ["ii"]}
    return [name for name in names if name not in installed]


def cmd_fresh(args):
    """Remove what a failed build of the release may have left; make its empty code directory."""
    existed = os.path.lexists(args.release)
    if os.path.isdir(args.release) and not os.path.islink(args.release):
        shutil.rmtree(args.release)
    elif existed:
        os.unlink(args.release)
    os.makedirs(os.path.join(args.release, "app"), mode=0o755)
    for path in (args.release, os.path.join(args.release, "app")):
        os.chown(path, 0, 0)
        os.chmod(path, 0o755)
    return {"cleared": existed}


def put(path, content):
    """Write a small file of root's, mode 0644, atomically."""
    handle, temp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".put-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(content)
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise


def cmd_put(args):
    put(args.path, args.content)
    return {"path": args.path}


def cmd_state(args):
    release = os.path.join(args.root, "releases", args.release)
    try:
        with open(os.path.join(release, "checked"), encoding="utf-8") as handle:
            checked = handle.read().strip()
    except OSError:
        checked = ""
    return {
        "stored_files": stored_files(args.files_dir) if args.files_dir else [],
        "complete": os.path.isfile(os.path.join(release, "release.json")),
        "current_exists": os.path.exists(os.path.join(args.root, "current")),
        "static": os.path.isdir(os.path.join(release, "app", args.static_dir)),
        "checked": checked,
        "current": os.path.basename(os.readlink(os.path.join(args.root, "current")).rstrip("/"))
        if os.path.islink(os.path.join(args.root, "current")) else None,
        "current_has_server": not args.server_dist or bool(glob.glob(os.path.join(
            args.root, "current", "venv", "lib", "python3*", "site-packages",
            args.server_dist.lower().replace("-", "_") + "-*.dist-info"))),
    }


def stored_files(files_dir):
    """The shared files kept under files_dir (those the list names and those it dropped)."""
    found = []
    for top, dummy, names in os.walk(files_dir):
        found += [os.path.relpath(os.path.join(top, name), files_dir) for name in names]
    return sorted(found)


VENV_INPUTS = "venv-inputs"
VENV_FROM = "venv-from"
# What files/packages.py records in the venv it builds while apt runs (--seed).
SEED_INPUTS = "flask-app-seed.json"
# A requirement line that points at files or URLs: their content is not in its text, so a
# venv built from it is never reused.
LOCAL_REQUIREMENT = ("-e", "--editable", ".", "/", "file:", "git+", "hg+", "svn+", "bzr+", "http:", "https:",
                     "-r", "--requirement", "-c", "--constraint", "--find-links", "-f")


def venv_digest(args):
    """The digest of what a venv is built from, or None when it must be built afresh."""
    if not args.reuse:
        return None
    requirements = ""
    if args.requirements and os.path.isfile(args.requirements):
        with open(args.requirements, encoding="utf-8") as handle:
            requirements = handle.read()
    return inputs_digest(requirements, json.loads(args.inputs))


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
    """The digest of the venv the background apt run built (files/packages.py), from the
    inputs it recorded in it; None when there is no complete one."""
    try:
        with open(os.path.join(seed, SEED_INPUTS), encoding="utf-8") as handle:
            recorded = json.load(handle)
        return inputs_digest(recorded["requirements"], recorded["inputs"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def move_venv_paths(venv, old, new):
    """Rewrite the old venv's absolute path to the new one in the copy's text files (scripts'
    #! lines, pyvenv.cfg, activate, .pth and install records); bytecode is left alone."""
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


def cmd_venv(args):
    venv = os.path.join(args.release, "venv")
    digest = venv_digest(args)
    live = os.path.realpath(os.path.join(args.root, "current"))
    reused = None
    try:
        with open(os.path.join(live, VENV_INPUTS), encoding="utf-8") as handle:
            live_digest = handle.read().strip()
    except OSError:
        live_digest = ""
    if os.path.exists(venv):
        shutil.rmtree(venv)
    seed = args.seed if args.seed and os.path.isdir(args.seed) else ""
    if digest and live_digest == digest and os.path.isfile(os.path.join(live, "venv", "bin", "python")):
        # cp -a: a third faster than shutil.copytree on a 1,500-file virtualenv.
        subprocess.run(["cp", "-a", "--no-target-directory", os.path.join(live, "venv"), venv], check=True)
        move_venv_paths(venv, os.path.join(live, "venv"), venv)
        reused = os.path.basename(live)
    elif digest and seed and seed_digest(seed) == digest:
        # Built from the same inputs while apt ran: moved in (copied across file systems).
        os.remove(os.path.join(seed, SEED_INPUTS))
        try:
            os.rename(seed, venv)
        except OSError:
            subprocess.run(["cp", "-a", "--no-target-directory", seed, venv], check=True)
        move_venv_paths(venv, seed, venv)
        reused = "seed"
    else:
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    if seed and os.path.isdir(seed):
        shutil.rmtree(seed)
    if digest:
        with open(os.path.join(args.release, VENV_INPUTS), "w", encoding="utf-8") as handle:
            handle.write(digest + "\n")
    # For people: where the venv came from (a release's id, seed, or built afresh).
    with open(os.path.join(args.release, VENV_FROM), "w", encoding="utf-8") as handle:
        handle.write((reused or "built") + "\n")
    requirements = args.requirements if args.requirements and os.path.isfile(args.requirements) else ""
    return {"reused": reused is not None, "from": reused, "requirements": requirements}


def cmd_run(args):
    spec = json.loads(args.spec)
    base = ["systemd-run", "--wait", "--pipe", "--quiet", "--collect", "--service-type=exec",
            f"--property=User={spec['user']}", f"--property=Group={spec['group']}",
            f"--property=EnvironmentFile={spec['env_file']}", f"--property=WorkingDirectory={spec['workdir']}",
            f"--property=RuntimeMaxSec={spec['timeout']}",
            f"--setenv=PATH={spec['venv']}/bin:/usr/local/bin:/usr/bin:/bin", "--setenv=LANG=C.UTF-8"]
    base += [f"--property={prop}" for prop in spec["sandbox"]]
    results = []
    for command in spec["commands"]:
        proc = subprocess.run(base + ["--", "/bin/sh", "-c", command], stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace", check=False)
        results.append({"command": command, "rc": proc.returncode, "output": proc.stdout.splitlines()[-40:]})
        if proc.returncode != 0:
            break
    return {"ok": all(r["rc"] == 0 for r in results), "results": results}


def read_env_file(path):
    """Parse KEY=value / KEY="value" lines the way systemd's EnvironmentFile= does."""
    env = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line or line.startswith(("#", ";")) or "=" not in line:
                continue
            key, value = line.split("=", 1)
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
            env[key.strip()] = value
    return env


def is_true(node):
    return isinstance(node, ast.Constant) and node.value is True


def is_main_guard(node):
    """True for `if __name__ == "__main__":`."""
    test = node.test
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and any(isinstance(c, ast.Constant) and c.value == "__main__" for c in test.comparators)
    )


def debug_sources(root):
    """Places in the app's source that turn debug or testing on, as (file:line, what, under_main)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d not in ("venv", "__pycache__")]
        for filename in sorted(f for f in filenames if f.endswith(".py")):
            path = os.path.join(dirpath, filename)
            try:
                with open(path, encoding="utf-8") as handle:
                    tree = ast.parse(handle.read(), path)
            except (SyntaxError, UnicodeDecodeError, OSError):
                continue
            main_lines = set()
            for node in ast.walk(tree):
                if isinstance(node, ast.If) and is_main_guard(node):
                    main_lines |= {n.lineno for n in ast.walk(node) if hasattr(n, "lineno")}
            where = os.path.relpath(path, root)
            for node in ast.walk(tree):
                what = None
                if isinstance(node, ast.Call):
                    for kw in node.keywords:
                        if kw.arg in ("debug", "DEBUG", "use_debugger") and is_true(kw.value):
                            what = f"{ast.unparse(node.func)}({kw.arg}=True)"
                elif isinstance(node, (ast.Assign, ast.AnnAssign)) and is_true(node.value):
                    for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                        name = ast.unparse(target)
                        if name.endswith((".debug", ".testing", "['DEBUG']", '["DEBUG"]', "['TESTING']", '["TESTING"]')) or name in ("DEBUG", "TESTING"):
                            what = f"{name} = True"
                if what:
                    found.append({"where": f"{where}:{node.lineno}", "what": what, "under_main": node.lineno in main_lines})
    return found


SECRET_KEY_MIN_BYTES = 24
PUBLIC_KEY_DIGITS = 12  # digest prefix length in the public key list (testbed/public-keys.py)
TEXT_SUFFIXES = (".py", ".cfg", ".ini", ".toml", ".json", ".yaml", ".yml", ".env", ".txt")


def as_bytes(value):
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return None


def public_key_digests(path):
    if not path:
        return set()
    with open(path, encoding="ascii") as handle:
        return {line.strip() for line in handle if line.strip() and not line.startswith("#")}


def key_origins(key, env, root):
    """Where a key was set, without saying what it is: environment variables that hold
    it, then file:line of string constants or text lines in the app's code that equal it."""
    found = [f"environment variable {name}" for name, value in sorted(env.items()) if as_bytes(value) == key]
    if found:
        return found
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in ("venv", "__pycache__"))
        for filename in sorted(f for f in filenames if f.endswith(TEXT_SUFFIXES) or f == ".env"):
            path = os.path.join(dirpath, filename)
            where = os.path.relpath(path, root)
            try:
                with open(path, encoding="utf-8", errors="surrogateescape") as handle:
                    text = handle.read()
            except OSError:
                continue
            if filename.endswith(".py"):
                try:
                    nodes = ast.walk(ast.parse(text, path))
                except (SyntaxError, ValueError):
                    continue
                found += [f"{where}:{node.lineno}" for node in nodes
                          if isinstance(node, ast.Constant) and as_bytes(node.value) == key]
            else:
                needle = key.decode("utf-8", "surrogateescape")
                found += [f"{where}:{number}" for number, line in enumerate(text.splitlines(), 1) if needle in line]
    return found


def secret_key_problems(config, env, root, digests):
    """SECRET_KEY (and SECRET_KEY_FALLBACKS) that is too short or publicly known."""
    keys = [("SECRET_KEY", config.get("SECRET_KEY"))]
    keys += [(f"SECRET_KEY_FALLBACKS[{i}]", value) for i, value in enumerate(config.get("SECRET_KEY_FALLBACKS") or [])]
    problems = []
    for name, value in keys:
        key = as_bytes(value)
        if not key:  # no key: the app signs nothing
            continue
        if len(key) < SECRET_KEY_MIN_BYTES:
            why = f"it is shorter than {SECRET_KEY_MIN_BYTES} bytes"
        elif hashlib.sha256(key).hexdigest()[:PUBLIC_KEY_DIGITS] in digests:
            why = "it is a publicly known key (in flask-unsign's wordlist)"
        else:
            continue
        problems.append({"name": name, "why": why, "where": key_origins(key, env, root)})
    return problems


def load_app(spec):
    module_name, dummy, attr = spec.partition(":")
    is_factory = attr.endswith("()")
    module = importlib.import_module(module_name)
    target = getattr(module, attr[:-2] if is_factory else attr)
    return target() if is_factory else target


def cmd_check(args):
    env = read_env_file(args.env_file)
    os.environ.update(env)
    sources = debug_sources(os.getcwd())
    sys.path.insert(0, os.getcwd())
    app = load_app(args.spec)
    if not callable(app):
        sys.exit(f"{args.spec} is not a WSGI callable")
    config = getattr(app, "config", {})
    try:
        werkzeug = importlib.metadata.version("werkzeug")
    except importlib.metadata.PackageNotFoundError:
        werkzeug = None
    return {
        "flask": hasattr(app, "config") and hasattr(app, "debug"),
        "debug": bool(getattr(app, "debug", False)),
        "config_debug": bool(config.get("DEBUG", False)),
        "testing": bool(getattr(app, "testing", False)),
        "werkzeug": werkzeug,
        "flask_debug_env": os.environ.get("FLASK_DEBUG"),
        "debug_sources": sources,
        "secret_key_set": bool(config.get("SECRET_KEY")),
        "secret_key_problems": secret_key_problems(config, env, os.getcwd(), public_key_digests(args.public_keys)),
    }


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


def cmd_smoke(args):
    wanted = args.status or [200]

    user, group = pwd.getpwnam(args.user), grp.getgrnam(args.group)
    workdir = tempfile.mkdtemp(prefix="flask-smoke-")
    os.chown(workdir, user.pw_uid, group.gr_gid)
    sock_path = os.path.join(workdir, args.server + ".sock")
    if args.server == "waitress":
        target = args.module.removesuffix("()")
        command = [os.path.join(args.release, "venv", "bin", "waitress-serve"), "--unix-socket", sock_path,
                   "--unix-socket-perms", "600", "--threads", "1", *(["--call"] if args.module.endswith("()") else []),
                   target]
    else:
        config = os.path.join(workdir, "gunicorn.conf.py")
        with open(config, "w", encoding="utf-8") as handle:
            handle.write(
                f"bind = [{('unix:' + sock_path)!r}]\n"
                "workers = 1\n"
                f"chdir = {os.path.join(args.release, 'app')!r}\n"
                "worker_tmp_dir = '/dev/shm'\n"
                "control_socket_disable = True\n"
                "errorlog = '-'\n"
                "loglevel = 'warning'\n"
            )
        command = [os.path.join(args.release, "venv", "bin", "gunicorn"), "--config", config, args.module]
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
    env.update(read_env_file(args.env_file))
    log = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(
        command, cwd=os.path.join(args.release, "app"), env=env, user=user.pw_uid, group=group.gr_gid,
        extra_groups=[], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    result = {"ok": False, "status": None, "error": None, "log": []}
    deadline = time.monotonic() + args.timeout
    try:
        while not os.path.exists(sock_path):
            if proc.poll() is not None:
                raise RuntimeError(f"{args.server} exited with status {proc.returncode} before listening")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{args.server} did not listen within {args.timeout:.0f} s")
            time.sleep(0.02)
        while True:
            conn = UnixHTTPConnection(sock_path, max(deadline - time.monotonic(), 1))
            try:
                conn.request("GET", args.path, headers={"Host": args.host, "User-Agent": "flask-release-smoke"})
                response = conn.getresponse()
                response.read(65536)
                break
            except ConnectionRefusedError:
                # The socket's file appears at bind(), a moment before listen(): on a busy
                # host a connect can fall between the two. Ask again until the deadline.
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
            finally:
                conn.close()
        result["status"] = response.status
        result["ok"] = response.status in wanted
        if not result["ok"]:
            result["error"] = f"GET {args.path} answered {response.status}, expected {' or '.join(map(str, wanted))}"
    except (OSError, RuntimeError, http.client.HTTPException) as exc:
        result["error"] = f"{type(exc).__name__}: {exc}" if not isinstance(exc, RuntimeError) else str(exc)
    finally:
        # The answer is in: the throwaway server and its workers are killed at once (a
        # graceful stop took gunicorn about 0.3 s more).
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)
        log.seek(0)
        result["log"] = [line.rstrip() for line in log.readlines()[-8:]]
    # A release that passed is marked complete here, in the same call: release.json is the
    # mark (see cmd_state). The caller also learns whether it has a static folder.
    if result["ok"] and args.checked is not None:
        put(os.path.join(args.release, "checked"), args.checked)
    if result["ok"] and args.mark is not None:
        put(os.path.join(args.release, "release.json"), args.mark)
    result["static"] = bool(args.static_dir) and os.path.isdir(os.path.join(args.release, "app", args.static_dir))
    return result


def main():
    parser = argparse.ArgumentParser(description="The flask_app role's helper on the host.")
    sub = parser.add_subparsers(dest="command", required=True)
    layout = sub.add_parser("layout")
    layout.add_argument("--spec", required=True)
    state = sub.add_parser("state")
    state.add_argument("--root", required=True)
    state.add_argument("--release", required=True)
    state.add_argument("--static-dir", required=True)
    state.add_argument("--server-dist", default="")
    state.add_argument("--files-dir", default="")
    check = sub.add_parser("check")
    check.add_argument("--env-file", required=True)
    check.add_argument("--public-keys", default="")
    check.add_argument("spec")
    smoke = sub.add_parser("smoke")
    smoke.add_argument("--release", required=True)
    smoke.add_argument("--module", required=True)
    smoke.add_argument("--env-file", required=True)
    smoke.add_argument("--user", required=True)
    smoke.add_argument("--group", required=True)
    smoke.add_argument("--server", choices=["gunicorn", "waitress"], default="gunicorn")
    smoke.add_argument("--path", default="/")
    smoke.add_argument("--host", default="localhost")
    smoke.add_argument("--status", type=int, action="append")
    smoke.add_argument("--timeout", type=float, default=30)
    smoke.add_argument("--mark", help="once the release passes, write this as its release.json")
    smoke.add_argument("--checked", help="once the release passes, write this as the stamp of its import check")
    smoke.add_argument("--static-dir", default="", help="report whether the release's app has this folder")
    run = sub.add_parser("run")
    run.add_argument("--spec", required=True)
    venv = sub.add_parser("venv")
    venv.add_argument("--release", required=True)
    venv.add_argument("--root", required=True)
    venv.add_argument("--inputs", required=True)
    venv.add_argument("--requirements", default="")
    venv.add_argument("--fresh", dest="reuse", action="store_false")
    venv.add_argument("--reuse", dest="reuse", action="store_true")
    venv.add_argument("--seed", default="")
    fresh = sub.add_parser("fresh")
    fresh.add_argument("--release", required=True)
    put = sub.add_parser("put")
    put.add_argument("--path", required=True)
    put.add_argument("--content", required=True)
    args = parser.parse_args()
    handler = {"layout": cmd_layout, "state": cmd_state, "check": cmd_check, "smoke": cmd_smoke,
               "run": cmd_run, "venv": cmd_venv, "fresh": cmd_fresh,
               "put": cmd_put}[args.command]
    json.dump(handler(args), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

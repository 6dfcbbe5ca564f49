#!/usr/bin/python3
"""The flask_app role's helper on the host (installed as /usr/local/lib/flask-app-tool.py).

  check --env-file FILE [--public-keys FILE] module:callable   (module:factory() for a factory)
      Import the app the way its WSGI server will and report how it is configured: debug,
      testing, Werkzeug, and whether its SECRET_KEY is short or publicly known (and
      where it was set). Run as the app user, from the release's code directory, with
      the release's own python.
  run --spec JSON
      Run commands one after the other in a transient systemd unit each, as the app user,
      with the env file, in a working directory, under the given sandbox properties; stop
      at the first that fails. Reports each command's exit status and output.

Each prints one JSON object and never prints environment values nor the secret key. Only the standard
library is used, because `check` runs under every release's own interpreter.
"""
import argparse
import ast
import importlib
import importlib.metadata
import json
import os
import subprocess
import sys

# The collection's module_utils/secret_keys.py, which the role installs before this text.
from flaskops_secret_keys import SECRET_KEY_MIN_BYTES, public_key_digests, secret_key_weakness


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


TEXT_SUFFIXES = (".py", ".cfg", ".ini", ".toml", ".json", ".yaml", ".yml", ".env", ".txt")


def as_bytes(value):
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return None


def public_key_list(path):
    if not path:
        return frozenset()
    with open(path, encoding="ascii") as handle:
        return public_key_digests(handle)


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
        weakness = secret_key_weakness(key, digests)  # none for no key: the app signs nothing
        if weakness is None:
            continue
        why = (f"it is shorter than {SECRET_KEY_MIN_BYTES} bytes" if weakness == "short"
               else "it is a publicly known key (in flask-unsign's wordlist)")
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
        "secret_key_problems": secret_key_problems(config, env, os.getcwd(), public_key_list(args.public_keys)),
    }


def main():
    parser = argparse.ArgumentParser(description="The flask_app role's helper on the host.")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check")
    check.add_argument("--env-file", required=True)
    check.add_argument("--public-keys", default="")
    check.add_argument("spec")
    run = sub.add_parser("run")
    run.add_argument("--spec", required=True)
    args = parser.parse_args()
    handler = {"check": cmd_check,
               "run": cmd_run}[args.command]
    json.dump(handler(args), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

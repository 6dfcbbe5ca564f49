"""Import a Flask app the way gunicorn will, and report how it is configured.

Usage: check_app.py --env-file FILE module:callable   (module:factory() for a factory)
Run from the app's code directory as the app user. Prints one JSON object on
stdout; never prints environment values.
"""
import argparse
import ast
import importlib
import importlib.metadata
import json
import os
import sys


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


def load_app(spec):
    module_name, _, attr = spec.partition(":")
    is_factory = attr.endswith("()")
    module = importlib.import_module(module_name)
    target = getattr(module, attr[:-2] if is_factory else attr)
    return target() if is_factory else target


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--env-file", required=True)
    parser.add_argument("spec")
    args = parser.parse_args()

    os.environ.update(read_env_file(args.env_file))
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
    json.dump(
        {
            "flask": hasattr(app, "config") and hasattr(app, "debug"),
            "debug": bool(getattr(app, "debug", False)),
            "config_debug": bool(config.get("DEBUG", False)),
            "testing": bool(getattr(app, "testing", False)),
            "werkzeug": werkzeug,
            "flask_debug_env": os.environ.get("FLASK_DEBUG"),
            "debug_sources": sources,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()

"""Import a Flask app the way gunicorn will, and report how it is configured.

Usage: check_app.py --env-file FILE module:callable   (module:factory() for a factory)
Run from the app's code directory as the app user. Prints one JSON object on
stdout; never prints environment values.
"""
import argparse
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
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: flask_smoke
short_description: Start a release under its WSGI server on a private socket, in the app's sandbox, and ask it for a health URL
description:
  - Starts the release's gunicorn or waitress as O(user), with only the environment file's
    variables, in a transient systemd unit under O(sandbox) (the server's own, plus
    NoNewPrivileges, ProtectSystem=strict, ProtectHome and PrivateTmp) with a time limit; it
    listens on a unix socket in the unit's own runtime directory. Root asks it for O(path)
    and then stops the whole unit, so that no process it started (one that left its session
    included) survives the check.
  - Root writes only into a directory of its own (the server's settings); nothing is
    written into a directory the app owns.
  - When the release answers with one of O(status), writes O(checked) and O(mark) into the
    release (its import check's stamp and its C(release.json), the mark of a complete release).
  - Check mode reports that the release would be checked, and starts nothing.
version_added: 1.1.0
options:
  server:
    description: The WSGI server.
    type: str
    choices: [gunicorn, waitress]
    default: gunicorn
  host:
    description: The Host header of the request.
    type: str
    default: localhost
  timeout:
    description: Seconds the release has to listen and answer.
    type: int
    default: 30
  static_dir:
    description: Report whether the release's code has this folder.
    type: str
    default: ""
  mark:
    description: Once the release answers, written as its C(release.json).
    type: str
  checked:
    description: Once the release answers, written as the stamp of its import check.
    type: str
extends_documentation_fragment:
  - flaskops.production.app_unit
  - flaskops.production.release_app
  - flaskops.production.health_request
author: flaskops maintainers (@flaskops)
"""

EXAMPLES = r"""
- name: Start the release on a private socket and ask for the health URL
  flaskops.production.flask_smoke:
    release: /srv/myapp/releases/0123456789ab
    module: "myapp:create_app()"
    env_file: /etc/flask/myapp.env.next
    user: myapp
    group: myapp
    sandbox: "{{ gunicorn_sandbox }}"
    mark: '{"id": "0123456789ab"}'
"""

RETURN = r"""
ok:
  description: Whether the release answered with a healthy status.
  returned: always
  type: bool
status:
  description: The status it answered with.
  returned: always
  type: int
error:
  description: Why the check failed.
  returned: always
  type: str
log:
  description: The server's last lines of output.
  returned: always
  type: list
  elements: str
static:
  description: Whether the release's code has O(static_dir).
  returned: always
  type: bool
"""

import http.client
import json
import os
import shutil
import subprocess
import tempfile
import time

from ansible_collections.flaskops.production.plugins.module_utils.app_sandbox import (
    RELEASE_APP_OPTIONS, redact, unit_argv, unit_module, unit_name)
from ansible_collections.flaskops.production.plugins.module_utils.release_tool import UnixHTTPConnection


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


def server_command(params, sock_path, settings):
    """The server's argv; gunicorn's settings are written into root's own directory."""
    venv_bin = os.path.join(params["release"], "venv", "bin")
    if params["server"] == "waitress":
        factory = params["module"].endswith("()")
        return [os.path.join(venv_bin, "waitress-serve"), "--unix-socket", sock_path, "--unix-socket-perms", "600",
                "--threads", "1"] + (["--call"] if factory else []) + [params["module"].removesuffix("()")]
    config = os.path.join(settings, "gunicorn.conf.py")
    with open(config, "w", encoding="utf-8") as handle:
        handle.write(
            "bind = [%r]\n" % ("unix:" + sock_path)
            + "workers = 1\n"
            + "chdir = %r\n" % os.path.join(params["release"], "app")
            + "worker_tmp_dir = '/dev/shm'\n"
            "control_socket_disable = True\n"
            "errorlog = '-'\n"
            "loglevel = 'warning'\n"
        )
    os.chmod(config, 0o644)
    return [os.path.join(venv_bin, "gunicorn"), "--config", config, params["module"]]


def ask(params, sock_path, alive, deadline):
    """GET the health path once the server listens; the response's status. alive() says
    whether the server's unit still runs."""
    while not os.path.exists(sock_path):
        if not alive():
            raise RuntimeError("%s exited before listening" % params["server"])
        if time.monotonic() > deadline:
            raise RuntimeError("%s did not listen within %d s" % (params["server"], params["timeout"]))
        time.sleep(0.02)
    while True:
        conn = UnixHTTPConnection(sock_path, max(deadline - time.monotonic(), 1))
        try:
            conn.request("GET", params["path"], headers={"Host": params["host"], "User-Agent": "flask-release-smoke"})
            response = conn.getresponse()
            response.read(65536)
            return response.status
        except (ConnectionRefusedError, FileNotFoundError):
            # The socket's file appears at bind(), a moment before listen(): ask again until the deadline.
            if not alive() or time.monotonic() > deadline:
                raise
            time.sleep(0.02)
        finally:
            conn.close()


def smoke_properties(params, unit):
    """The server's sandbox, plus the unit's own runtime directory for the socket. The
    server gets its socket from systemd; here gunicorn binds one itself and chowns it to
    its own user, so a system call filter of the server's gets the chown calls back."""
    props = list(params["sandbox"]) + ["RuntimeDirectory=%s" % unit, "RuntimeDirectoryMode=0750"]
    if params["server"] == "gunicorn" and any(p.startswith("SystemCallFilter=") for p in props):
        props.append("SystemCallFilter=@chown")
    return props


def smoke(params):
    unit = unit_name("flask-smoke")
    # The socket's directory is the unit's: systemd makes it for the app's user and removes
    # it with the unit, so it also tells whether the unit still runs.
    runtime = os.path.join("/run", unit)
    sock_path = os.path.join(runtime, params["server"] + ".sock")
    settings = tempfile.mkdtemp(prefix="flask-smoke-settings-", dir="/run")
    os.chmod(settings, 0o755)
    result = {"ok": False, "status": None, "error": None, "log": []}
    try:
        command = server_command(params, sock_path, settings)
        argv = unit_argv(command, params["user"], params["group"], smoke_properties(params, unit),
                         params["timeout"] + 30, os.path.join(params["release"], "app"),
                         env={"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"},
                         env_file=params["env_file"], unit=unit, wait=False)
        started = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 check=False)
        if started.returncode != 0:
            raise RuntimeError("%s did not start: %s" % (params["server"], started.stdout.decode("utf-8", "replace")))
        status = ask(params, sock_path, lambda: os.path.isdir(runtime), time.monotonic() + params["timeout"])
        result["status"] = status
        result["ok"] = status in params["status"]
        if not result["ok"]:
            result["error"] = "GET %s answered %d, expected %s" % (
                params["path"], status, " or ".join(map(str, params["status"])))
    except (OSError, RuntimeError, http.client.HTTPException) as exc:
        result["error"] = str(exc) if isinstance(exc, RuntimeError) else "%s: %s" % (type(exc).__name__, exc)
    finally:
        # The whole unit goes: the server, its workers and anything they started.
        subprocess.run(["systemctl", "stop", unit + ".service"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        shutil.rmtree(settings, ignore_errors=True)
        journal = subprocess.run(["journalctl", "--unit", unit + ".service", "--output", "cat", "--lines", "8",
                                  "--no-pager", "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                 check=False)
        result["log"] = [redact(line) for line in journal.stdout.decode("utf-8", "replace").splitlines()[-8:]]
    return result


def main():
    module = unit_module(RELEASE_APP_OPTIONS, {
        "server": {"type": "str", "choices": ["gunicorn", "waitress"], "default": "gunicorn"},
        "path": {"type": "str", "default": "/"},
        "host": {"type": "str", "default": "localhost"},
        "status": {"type": "list", "elements": "int", "default": [200]},
        "timeout": {"type": "int", "default": 30},
        "static_dir": {"type": "str", "default": ""},
        "mark": {"type": "str"},
        "checked": {"type": "str"},
    })
    params = module.params
    static = bool(params["static_dir"]) and os.path.isdir(os.path.join(params["release"], "app", params["static_dir"]))
    if module.check_mode:
        module.exit_json(changed=True, ok=True, status=None, error=None, log=[], static=static)
    result = smoke(params)
    if result["ok"] and params["checked"] is not None:
        put(os.path.join(params["release"], "checked"), params["checked"])
    if result["ok"] and params["mark"] is not None:
        json.loads(params["mark"])
        put(os.path.join(params["release"], "release.json"), params["mark"])
    result["static"] = static
    if not result["ok"]:
        module.fail_json(msg="The release's health check failed: GET %s under %s on a private socket: %s"
                         % (params["path"], params["server"], result["error"]), **result)
    module.exit_json(changed=True, **result)


if __name__ == "__main__":
    main()

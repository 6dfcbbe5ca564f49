#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: flask_devserver_info
short_description: Find the Flask development servers running on a host, and what adopting each would take
description:
  - Lists each process that listens on a TCP port and runs Flask's development server
    (Werkzeug's server started by C(app.run), C(flask run) or C(python -m flask run)), with debug on or off.
  - For each one it reports the listening addresses, the process, its user, working
    directory and command line, what keeps it running (a systemd unit, C(@reboot) lines of
    a crontab, C(nohup), C(screen) or C(tmux)), the app's module and object or factory as
    guessed from the command line, C(FLASK_APP) and the module's syntax tree, the
    requirements files, and the B(names) of its environment variables, split into those an
    adoption would carry and those it drops (debug settings).
  - The app's code is parsed, never imported or run. Files in the app's directory are
    opened without following links. No environment value is returned unless O(values) asks for them.
  - Where an adoption cannot be made safely it says why in RV(servers[].refusals).
version_added: 1.2.0
author: flaskops maintainers (@flaskops)
options:
  apps:
    description:
      - What the operator says of some servers, by the port of the development server
        (C(port)); C(name), C(module) (C(module:object) or C(module:factory())) and
        C(server_names) override the guesses. A server on a port not listed keeps its guesses.
    type: list
    elements: dict
    default: []
  server_names:
    description: The names the adopted sites answer to when an item does not give its own.
    type: list
    elements: str
    default: []
  values:
    description:
      - Also return the values of the variables that would be carried (RV(servers[].env_values)),
        for the adoption to write into the app's env file. The task must set C(no_log), and
        the values never go into the plan's lines.
    type: bool
    default: false
attributes:
  check_mode:
    description: Reads only; runs the same in check mode.
    support: full
  diff_mode:
    description: Changes nothing, so has no diff.
    support: none
"""

EXAMPLES = r"""
- name: Find the development servers
  flaskops.production.flask_devserver_info:
    apps: [{port: 5000, name: shop}]
    server_names: [shop.example.com]
  register: found
"""

RETURN = r"""
servers:
  description: One entry per development server found, by its main process.
  returned: always
  type: list
  elements: dict
  contains:
    port:
      description: The first TCP port it listens on.
      type: int
    listen:
      description: "Its listening addresses (C(ADDRESS:PORT))."
      type: list
      elements: str
    exposed:
      description: Whether a listening address is reachable from other hosts.
      type: bool
    pids:
      description: Its processes (the reloader's parent and child when debug reloads).
      type: list
      elements: int
    user:
      description: The user it runs as.
      type: str
    cwd:
      description: Its working directory.
      type: str
    command:
      description: Its command line.
      type: list
      elements: str
    kind:
      description: "C(app.run) for a script calling app.run(), C(flask run) for the CLI."
      type: str
    debug:
      description: Whether the debugger or the reloader is on.
      type: bool
    keepers:
      description: What brings it back (each C({kind, unit|line|file})).
      type: list
      elements: dict
    module:
      description: "The WSGI target for the stack (C(module:object)), or null when unknown."
      type: str
    requirements:
      description: Requirements files found in its directory.
      type: list
      elements: str
    env_carried:
      description: Names of the variables an adoption carries into the env file.
      type: list
      elements: str
    env_dropped:
      description: Names of the variables it drops (debug and development-server settings).
      type: list
      elements: str
    env_values:
      description: With O(values=true), the value of each variable of RV(servers[].env_carried).
      returned: when values is true
      type: dict
    refusals:
      description: Why it cannot be adopted; empty when it can.
      type: list
      elements: str
    item:
      description: The flask_apps item an adoption would use.
      type: dict
    plan:
      description: The same in lines a person reads.
      type: list
      elements: str
"""

import json
import os
import pwd

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.flaskops.production.plugins.module_utils import devserver

PROC = "/proc"
CRONTABS = ("/var/spool/cron/crontabs", "/etc/cron.d")
TRUE = ("1", "true", "yes", "on")


def read(path, binary=False):
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    return data if binary else data.decode("utf-8", "replace")


def environ(pid):
    data = read("%s/%d/environ" % (PROC, pid), binary=True) or b""
    pairs = (item.split(b"=", 1) for item in data.split(b"\0") if b"=" in item)
    return dict((k.decode("utf-8", "replace"), v.decode("utf-8", "replace")) for k, v in pairs)


def process(pid):
    cmdline = read("%s/%d/cmdline" % (PROC, pid), binary=True)
    status = read("%s/%d/status" % (PROC, pid)) or ""
    if not cmdline:
        return None
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    try:
        cwd = os.readlink("%s/%d/cwd" % (PROC, pid))
    except OSError:
        cwd = ""
    return {
        "pid": pid,
        "argv": [a.decode("utf-8", "replace") for a in cmdline.rstrip(b"\0").split(b"\0")],
        "ppid": int(fields.get("PPid", "0").strip() or 0),
        "uid": int(fields.get("Uid", "0").split()[0]),
        "comm": fields.get("Name", "").strip(),
        "status": status,
        "cwd": cwd,
        "cgroup": read("%s/%d/cgroup" % (PROC, pid)) or "",
    }


def listeners():
    """{inode: [(ADDRESS, PORT), ...]} of the host's listening TCP sockets."""
    found = {}
    for inode, address, port in devserver.listening(PROC):
        found.setdefault(inode, []).append((address, port))
    return found


def classify(proc, env):
    """('app.run' | 'flask run', source path or None, object wanted or None, debug) or None."""
    argv = proc["argv"]
    py = devserver.python_command(argv)
    marked = any(mark in env for mark in devserver.WERKZEUG_MARKS)
    cli = None
    if py and py.get("module") == "flask":
        cli = devserver.flask_cli(py["args"])
    elif py and os.path.basename(py.get("script", "")) == "flask":
        cli = devserver.flask_cli(py["args"])
    elif not py and os.path.basename(argv[0]) == "flask":
        cli = devserver.flask_cli(argv[1:])
    if cli is not None:
        spec = cli["app"] or env.get("FLASK_APP") or ("wsgi" if os.path.exists(os.path.join(proc["cwd"], "wsgi.py")) else "app")
        path, wanted = devserver.app_module(spec, proc["cwd"])
        debug = cli["debug"] if cli["debug"] is not None else env.get("FLASK_DEBUG", "").lower() in TRUE
        name = spec.partition(":")[0]
        return "flask run", path, wanted, debug, name[:-3].replace("/", ".") if name.endswith(".py") else name
    if py and py.get("script", "").endswith(".py"):
        path = os.path.join(proc["cwd"], py["script"])
        source = devserver.read_nofollow(path)
        facts = None
        if source is not None:
            try:
                facts = devserver.source_facts(source)
            except SyntaxError:
                facts = None
        if marked or (facts and facts["runs"] and (facts["apps"] or facts["factories"])):
            debug = bool(facts and facts["debug"]) or env.get("FLASK_DEBUG", "").lower() in TRUE \
                or "WERKZEUG_RUN_MAIN" in env
            return "app.run", path, None, debug, os.path.relpath(path, proc["cwd"])[:-3].replace("/", ".")
    return None


def keepers(root, procs):
    found = []
    unit = devserver.systemd_unit(root["cgroup"])
    if not devserver.keeping_unit(unit):
        unit = None
    else:
        found.append({"kind": "systemd", "unit": unit})
    needles = [root["cwd"]] + [a for a in root["argv"][1:] if a.endswith(".py")]
    for base in CRONTABS:
        try:
            names = sorted(os.listdir(base))
        except OSError:
            continue
        for name in names:
            path = os.path.join(base, name)
            text = devserver.read_nofollow(path)
            for line in devserver.reboot_lines(text or "", needles):
                found.append({"kind": "crontab", "file": path, "line": line})
    text = devserver.read_nofollow("/etc/crontab")
    for line in devserver.reboot_lines(text or "", needles):
        found.append({"kind": "crontab", "file": "/etc/crontab", "line": line})
    pid, seen = root["ppid"], 0
    while pid > 1 and seen < 32:
        parent = procs.get(pid) or process(pid)
        if not parent:
            break
        if parent["comm"].lower() in ("screen", "tmux: server", "tmux"):
            found.append({"kind": parent["comm"].split(":")[0].lower()})
            break
        pid, seen = parent["ppid"], seen + 1
    if not unit and devserver.hup_ignored(root["status"]):
        found.append({"kind": "nohup"})
    return found


def user_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def describe(root, pids, sockets, env, kind, path, wanted, debug, module_name, procs, params):
    cwd = root["cwd"]
    listen = sorted("%s:%d" % pair for inode in sockets for pair in inode)
    ports = sorted(set(port for inode in sockets for dummy, port in inode))
    said = next((a for a in params["apps"] if int(a.get("port", -1)) in ports), {})
    refusals = []
    source = devserver.read_nofollow(path) if path else None
    target = None
    if said.get("module"):
        target = said["module"]
    elif source is None:
        refusals.append("cannot read the module %s of the app (missing, a link or not a file)" % path)
    else:
        try:
            facts = devserver.source_facts(source)
        except SyntaxError as exc:
            refusals.append("the module %s of the app does not parse: %s" % (path, exc))
        else:
            obj, reason = devserver.app_guess(facts, wanted)
            if reason:
                refusals.append("%s: %s" % (path, reason))
            else:
                target = "%s:%s" % (module_name, obj)
    if root["uid"] == 0 and (cwd == "/root" or cwd.startswith("/root/")):
        refusals.append("it runs as root from %s: move the app out of /root and run it as a user first" % cwd)
    if cwd in ("", "/"):
        refusals.append("it runs from %r, not an app directory" % cwd)
    carried, dropped = devserver.env_names(env)
    requirements = [name for name in ("requirements.txt", "pyproject.toml")
                    if devserver.read_nofollow(os.path.join(cwd, name)) is not None]
    name = said.get("name") or devserver.app_name(cwd)
    item = {
        "name": name,
        "server_names": said.get("server_names") or params["server_names"],
        "source": "host_dir",
        "source_host_dir": cwd,
        "source_user": user_name(root["uid"]),
        "module": target,
    }
    found = {
        "port": ports[0] if ports else None,
        "listen": listen,
        "exposed": any(devserver.exposed(a) for inode in sockets for a, dummy in inode),
        "pids": sorted(pids),
        "user": user_name(root["uid"]),
        "cwd": cwd,
        "command": root["argv"],
        "kind": kind,
        "debug": bool(debug),
        "keepers": keepers(root, procs),
        "module": target,
        "requirements": requirements,
        "env_carried": carried,
        "env_dropped": dropped,
        "refusals": refusals,
        "item": item,
    }
    found["plan"] = plan(found)
    if params["values"]:
        found["env_values"] = dict((key, env[key]) for key in carried)
    return found


def plan(server):
    """A server's entry as lines a person reads: what runs, what keeps it, what would move.
    No line holds an apostrophe, which YAML output would double."""
    keep = ", ".join(
        {"systemd": lambda k: "the systemd unit " + k["unit"],
         "crontab": lambda k: "an @reboot line in " + k["file"]}.get(k["kind"], lambda k: k["kind"])(k)
        for k in server["keepers"]) or "nothing found (it will not come back after a reboot)"
    lines = [
        "port %s: %s, as %s in %s" % (server["port"], " ".join(server["command"]), server["user"], server["cwd"]),
        "  the Flask development server (%s), debug %s, listening on %s%s" % (
            server["kind"], "ON" if server["debug"] else "off", ", ".join(server["listen"]),
            " (reachable from other hosts)" if server["exposed"] else ""),
        "  kept running by: " + keep,
        "  app: " + (server["module"] or "unknown") + "; requirements: " + (", ".join(server["requirements"]) or "none found"),
        "  environment carried (names only): " + (", ".join(server["env_carried"]) or "none"),
        "  environment dropped: " + (", ".join(server["env_dropped"]) or "none") + "; the stack sets FLASK_DEBUG=0",
    ]
    if server["refusals"]:
        lines += ["  REFUSED: " + reason for reason in server["refusals"]]
    else:
        lines.append("  flask_apps item: " + json.dumps(server["item"], sort_keys=True))
    return lines


def main():
    module = AnsibleModule(
        argument_spec=dict(
            apps=dict(type="list", elements="dict", default=[]),
            server_names=dict(type="list", elements="str", default=[]),
            values=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    sockets = listeners()
    holders = devserver.socket_holders(set(sockets), PROC)
    procs = dict((pid, p) for pid, p in ((pid, process(pid)) for pid in holders) if p)
    # A server is its topmost development-server process: the reloader's parent holds its
    # children (whose command line may differ: Werkzeug restarts a script by its full path).
    groups = {}
    for pid in sorted(procs):
        env = environ(pid)
        if not classify(procs[pid], env):
            continue
        root, root_env = procs[pid], env
        for dummy in range(8):
            parent = procs.get(root["ppid"]) or process(root["ppid"]) if root["ppid"] > 1 else None
            parent_env = environ(parent["pid"]) if parent else {}
            if not parent or not classify(parent, parent_env):
                break
            root, root_env = parent, parent_env
        group = groups.setdefault(root["pid"], {"root": root, "pids": set([root["pid"]]), "env": dict(root_env)})
        group["pids"].add(pid)
        group["env"].update(env)
    servers = []
    for group in groups.values():
        root = group["root"]
        kind, path, wanted, debug, module_name = classify(root, group["env"])
        inodes = set().union(*(holders.get(p, set()) for p in group["pids"]))
        servers.append(describe(root, group["pids"], [sockets[i] for i in sorted(inodes)], group["env"], kind, path,
                                wanted, debug, module_name, procs, module.params))
    servers.sort(key=lambda s: (s["port"] or 0, s["cwd"]))
    module.exit_json(changed=False, servers=servers)


if __name__ == "__main__":
    main()

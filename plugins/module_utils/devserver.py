# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding the Flask development servers that run on a host, without running their code.

Everything here reads: /proc, crontabs, and the app's source parsed with ``ast`` (never
imported, so nothing of the app runs as the reader, root). Files the app controls are
opened without following a final link. Environment values are read only to decide
(FLASK_APP, FLASK_DEBUG); what leaves this module are variable names, never values.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import os
import re
import stat

# The environment of a development server that says so, whatever its command line.
WERKZEUG_MARKS = ("WERKZEUG_RUN_MAIN", "WERKZEUG_SERVER_FD")
# Settings the adopted app does not keep: the stack sets FLASK_DEBUG=0 itself.
DROPPED_ENV = re.compile(r"^(FLASK_DEBUG|FLASK_ENV|FLASK_RUN_.*|FLASK_APP|WERKZEUG_.*)$")
# Variables every process has, which say nothing of the app.
SYSTEM_ENV = frozenset((
    "PATH", "HOME", "LANG", "LANGUAGE", "LOGNAME", "USER", "SHELL", "PWD", "OLDPWD", "SHLVL", "TERM",
    "INVOCATION_ID", "JOURNAL_STREAM", "SYSTEMD_EXEC_PID", "MAIL", "_", "LC_ALL", "LC_CTYPE",
    "SSH_CLIENT", "SSH_CONNECTION", "SSH_TTY", "XDG_SESSION_ID", "XDG_RUNTIME_DIR", "XDG_SESSION_TYPE",
    "XDG_SESSION_CLASS", "DBUS_SESSION_BUS_ADDRESS", "MOTD_SHOWN", "TMUX", "TMUX_PANE", "STY", "WINDOW",
    "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "VIRTUAL_ENV", "PS1", "LS_COLORS", "MANAGERPID",
    "NOTIFY_SOCKET", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "CREDENTIALS_DIRECTORY", "MEMORY_PRESSURE_WATCH",
    "MEMORY_PRESSURE_WRITE",
))
PYTHON = re.compile(r"^python(\d+(\.\d+)?)?$")
# Interpreter options that take a value, so the value is not read as the script.
PYTHON_VALUE_OPTIONS = frozenset(("-W", "-X", "-Q", "--check-hash-based-pycs"))
SOURCE_LIMIT = 1024 * 1024


def tcp_listeners(text, ipv6=False):
    """(inode, address, port) of each listening socket in a /proc/net/tcp{,6} table."""
    found = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10 or fields[3] != "0A":  # 0A: TCP_LISTEN
            continue
        hexaddr, hexport = fields[1].split(":")
        found.append((int(fields[9]), _address(hexaddr, ipv6), int(hexport, 16)))
    return found


def listening(proc="/proc"):
    """(inode, address, port) of each listening TCP socket of the host, IPv4 then IPv6."""
    found = []
    for name, ipv6 in (("tcp", False), ("tcp6", True)):
        try:
            with open("%s/net/%s" % (proc, name), "rb") as handle:
                text = handle.read().decode("ascii", "replace")
        except (IOError, OSError):
            continue
        found.extend(tcp_listeners(text, ipv6))
    return found


def socket_holders(inodes, proc="/proc"):
    """{pid: set of inodes} of the processes holding one of the sockets ``inodes``."""
    holders = {}
    for entry in os.listdir(proc):
        if not entry.isdigit():
            continue
        fddir = "%s/%s/fd" % (proc, entry)
        try:
            fds = os.listdir(fddir)
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink("%s/%s" % (fddir, fd))
            except OSError:
                continue
            if target.startswith("socket:[") and target.endswith("]") and int(target[8:-1]) in inodes:
                holders.setdefault(int(entry), set()).add(int(target[8:-1]))
    return holders

def _address(hexaddr, ipv6):
    raw = bytes.fromhex(hexaddr)
    if not ipv6:
        return ".".join(str(b) for b in reversed(raw))
    # Four host-order 32-bit words.
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
    if words[:12] == b"\0" * 10 + b"\xff\xff":
        return ".".join(str(b) for b in words[12:])
    groups = ["%x" % int.from_bytes(words[i:i + 2], "big") for i in range(0, 16, 2)]
    return "[" + ":".join(groups) + "]"


def exposed(address):
    """Whether a listening address is reachable from other hosts."""
    return not (address.startswith("127.") or address in ("[0:0:0:0:0:0:0:1]",))


def python_command(argv):
    """What a Python command line runs: {'module': NAME, 'args': [...]} for -m,
    {'script': PATH, 'args': [...]} for a script, or None when argv is not Python's."""
    if not argv or not PYTHON.match(os.path.basename(argv[0])):
        return None
    i = 1
    while i < len(argv):
        arg = argv[i]
        if arg == "-m" and i + 1 < len(argv):
            return {"module": argv[i + 1], "args": argv[i + 2:]}
        if arg.startswith("-m") and len(arg) > 2:
            return {"module": arg[2:], "args": argv[i + 1:]}
        if arg == "-c":
            return None
        if arg in PYTHON_VALUE_OPTIONS:
            i += 2
            continue
        if arg.startswith("-"):
            i += 1
            continue
        return {"script": arg, "args": argv[i + 1:]}
    return None


def flask_cli(args):
    """The options of a ``flask [--app X] [--debug] run [--host H] [--port P]`` command, or
    None when it does not run the development server."""
    found = {"app": None, "debug": None}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("--app", "-A") and i + 1 < len(args):
            found["app"] = args[i + 1]
            i += 2
            continue
        if arg.startswith("--app="):
            found["app"] = arg.split("=", 1)[1]
        elif arg == "--debug":
            found["debug"] = True
        elif arg == "--no-debug":
            found["debug"] = False
        elif arg == "run":
            rest = args[i + 1:]
            if "--debug" in rest:
                found["debug"] = True
            return found
        i += 1
    return None


def _called(node, name):
    func = node.func if isinstance(node, ast.Call) else None
    return (isinstance(func, ast.Name) and func.id == name) or (isinstance(func, ast.Attribute) and func.attr == name)


def source_facts(text):
    """What the app's main module says of itself, from its syntax tree: the names bound to
    Flask(...) at module level, the factories (module-level functions that build and return
    a Flask app), and whether it calls .run() and with debug=True."""
    tree = ast.parse(text)
    apps, factories, runs, debug = [], [], False, False
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Call) and _called(node.value, "Flask"):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            apps.extend(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.FunctionDef) and any(
                isinstance(n, ast.Call) and _called(n, "Flask") for n in ast.walk(node)):
            factories.append(node.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "run":
            runs = True
            for kw in node.keywords:
                if kw.arg == "debug" and isinstance(kw.value, ast.Constant) and kw.value.value is True:
                    debug = True
    return {"apps": apps, "factories": factories, "runs": runs, "debug": debug}


def read_nofollow(path, limit=SOURCE_LIMIT):
    """A regular file's text, opened without following a final link; None when it is missing,
    a link, not a regular file or larger than ``limit``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        with os.fdopen(os.dup(fd), "rb") as handle:
            return handle.read(limit).decode("utf-8", "replace")
    finally:
        os.close(fd)


def app_module(spec, cwd):
    """The file of an app given as FLASK_APP/--app (``pkg.mod:obj``, ``mod:create_app()``,
    ``app.py``), relative to ``cwd``, and the object named, if any."""
    module, dummy, obj = spec.partition(":")
    if module.endswith(".py"):
        path = module
    else:
        path = module.replace(".", "/")
        path = path + ".py" if not os.path.isdir(os.path.join(cwd, path)) else path + "/__init__.py"
    return os.path.join(cwd, path), obj or None


def app_guess(facts, wanted=None):
    """The WSGI target (``module:object`` form's object part) of a module's facts: ``wanted``
    when given, the only app bound at module level, else the only factory called as
    ``name()``. Returns (object, reason): object None with a reason when it cannot tell."""
    if wanted:
        return wanted, None
    if len(facts["apps"]) == 1:
        return facts["apps"][0], None
    if len(facts["apps"]) > 1:
        return None, "several Flask apps in one module (%s): name one with the module of its adopt_apps item" % ", ".join(facts["apps"])
    if len(facts["factories"]) == 1:
        return facts["factories"][0] + "()", None
    if facts["factories"]:
        return None, "several app factories (%s): name one with the module of its adopt_apps item" % ", ".join(facts["factories"])
    return None, "no Flask app found in the module"


def reboot_lines(text, needles):
    """The ``@reboot`` lines of a crontab that mention any of ``needles``."""
    return [line.strip() for line in text.splitlines()
            if line.strip().startswith("@reboot") and any(n and n in line for n in needles)]


def systemd_unit(cgroup_text):
    """The systemd service a process runs in, from /proc/PID/cgroup; None for a session,
    a scope or no unit."""
    for line in cgroup_text.splitlines():
        path = line.split(":", 2)[-1]
        for part in reversed(path.split("/")):
            if part.endswith(".service"):
                if part.startswith("user@"):
                    return None
                return part
            if part.endswith(".scope"):
                return None
    return None


# Services whose cgroup holds what their users start, not what they run themselves: on a
# host without logind an SSH session's processes stay in ssh.service, cron's jobs in cron.service.
SESSION_UNITS = re.compile(r"^(ssh|sshd|cron|crond|anacron|atd|console-getty|getty@.*|serial-getty@.*)\.service$")


def keeping_unit(unit):
    """Whether a process's systemd unit is what runs it (not a login session's or cron's)."""
    return bool(unit) and not SESSION_UNITS.match(unit)


def hup_ignored(status_text):
    """Whether the process ignores SIGHUP (what nohup does), from /proc/PID/status."""
    for line in status_text.splitlines():
        if line.startswith("SigIgn:"):
            return bool(int(line.split()[1], 16) & 1)
    return False


def env_names(environ):
    """The names of the app's own variables, in order: those it would carry, and those dropped."""
    names = sorted(n for n in environ if n not in SYSTEM_ENV)
    return [n for n in names if not DROPPED_ENV.match(n)], [n for n in names if DROPPED_ENV.match(n)]


def app_name(cwd):
    """The app's name guessed from its directory: lower-case letters, digits, - and _."""
    name = re.sub(r"[^a-z0-9_-]+", "-", os.path.basename(cwd.rstrip("/")).lower()).strip("-_")
    if not name or not name[0].isalpha():
        name = "app" + ("-" + name if name else "")
    return name

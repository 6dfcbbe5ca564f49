#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: flask_devserver
short_description: Stop a Flask development server and keep it from coming back
description:
  - The last step of an adoption (C(playbooks/adopt.yml)), once the app answers from the
    stack. What flaskops.production.flask_devserver_info found keeping the development
    server running is undone, and its processes end.
  - A systemd unit (O(keepers) kind C(systemd)) is stopped, disabled and masked; a unit file
    of its name in C(/etc/systemd/system), which masking would collide with, is first
    renamed to C(NAME.adopted) (kept, and no longer a unit).
  - An C(@reboot) line of a crontab (kind C(crontab)) is commented out in place, with
    O(note) in front, so that a person reading the crontab sees why; the file keeps its
    owner, group and mode, and is replaced in one rename.
  - The processes O(pids) get SIGTERM (a reloader's parent first, so that it does not
    start its child again), and SIGKILL after O(timeout) seconds. A pid is signalled only
    while its command line is still O(command)'s or one of its children's (the same
    interpreter), so that a pid reused since the plan is left alone.
  - Then O(port) must stop listening within O(timeout) seconds.
  - Check mode says what would be done, with the crontab's diff; nothing is changed.
version_added: 1.3.0
options:
  pids:
    description: The server's processes, the topmost first (RV(flaskops.production.flask_devserver_info#module:servers[].pids)).
    type: list
    elements: int
    required: true
  command:
    description: The topmost process's command line, as the plan read it.
    type: list
    elements: str
    required: true
  keepers:
    description: What keeps it running (RV(flaskops.production.flask_devserver_info#module:servers[].keepers)).
    type: list
    elements: dict
    default: []
  port:
    description: The port it listened on; none when not given.
    type: int
  note:
    description: The words put in front of a commented-out crontab line.
    type: str
    default: "disabled by flaskops adopt: the app is served by the stack now:"
  timeout:
    description: Seconds to wait for the processes to end, and again for the port to close.
    type: int
    default: 10
attributes:
  check_mode:
    description: Reports what it would stop, disable and comment out; changes nothing.
    support: full
  diff_mode:
    description: Shows each crontab before and after.
    support: full
author: flaskops maintainers (@flaskops)
"""

EXAMPLES = r"""
- name: Stop the development server of the plan, and keep it stopped
  flaskops.production.flask_devserver:
    pids: "{{ server.pids }}"
    command: "{{ server.command }}"
    keepers: "{{ server.keepers }}"
    port: "{{ server.port }}"
  loop: "{{ found.servers }}"
  loop_control:
    loop_var: server
"""

RETURN = r"""
units:
  description: The systemd units stopped, disabled and masked (or that would be).
  returned: always
  type: list
  elements: str
crontabs:
  description: The crontab files whose lines were commented out (or would be).
  returned: always
  type: list
  elements: str
signalled:
  description: The pids signalled (or that would be).
  returned: always
  type: list
  elements: int
"""

import os
import signal
import socket
import stat
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule

PROC = "/proc"
UNIT_DIR = "/etc/systemd/system"


def cmdline(pid):
    """A process's command line as a list, or None when it is gone."""
    try:
        with open(os.path.join(PROC, str(pid), "cmdline"), "rb") as handle:
            return [part.decode("utf-8", "replace") for part in handle.read().split(b"\0") if part]
    except (IOError, OSError):
        return None


def same_server(found, command):
    """Whether a live command line is the server's (or its reloader child's: the same
    interpreter, Werkzeug starting the script again by its full path)."""
    return bool(found) and bool(command) and (found == command or found[0] == command[0])


def live_pids(pids, command):
    return [pid for pid in pids if same_server(cmdline(pid), command)]


def end_processes(pids, command, timeout, dry_run):
    """SIGTERM the live ones (in order), SIGKILL what is left after timeout: the pids signalled."""
    live = live_pids(pids, command)
    if dry_run or not live:
        return live
    for pid in live:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    deadline = time.time() + timeout
    while time.time() < deadline and live_pids(live, command):
        time.sleep(0.1)
    for pid in live_pids(live, command):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return live


def commented(text, lines, note):
    """text with each of lines (stripped @reboot lines) commented out, note in front."""
    out = []
    for line in text.splitlines(True):
        if line.strip() in lines:
            ending = "\n" if line.endswith("\n") else ""
            out.append("# %s %s%s" % (note, line.rstrip("\n"), ending))
        else:
            out.append(line)
    return "".join(out)


def read_regular(path):
    """(text, lstat) of a regular file, opened without following a link."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise OSError("%s is not a regular file" % path)
        return handle.read().decode("utf-8"), info


def replace_file(path, text, info):
    """Write text over path in one rename, with info's owner, group and mode."""
    fd, temp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".flask-devserver-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            os.fchown(handle.fileno(), info.st_uid, info.st_gid)
            os.fchmod(handle.fileno(), stat.S_IMODE(info.st_mode))
        os.rename(temp, path)
    except BaseException:
        if os.path.lexists(temp):
            os.unlink(temp)
        raise
    # cron reads a spool file again when its directory changed.
    os.utime(os.path.dirname(path))


def crontab_changes(keepers, note):
    """{path: (before, after, lstat)} for the crontabs whose @reboot lines are still active."""
    wanted = {}
    for keeper in keepers:
        if keeper.get("kind") == "crontab":
            wanted.setdefault(keeper["file"], set()).add(keeper["line"].strip())
    changes = {}
    for path, lines in sorted(wanted.items()):
        try:
            before, info = read_regular(path)
        except (IOError, OSError):
            continue
        after = commented(before, lines, note)
        if after != before:
            changes[path] = (before, after, info)
    return changes


def masked(module, unit):
    """Whether unit is masked already (systemctl is-enabled says so)."""
    dummy, out, dummy = module.run_command(["systemctl", "is-enabled", unit])
    return out.strip() == "masked"


def stop_unit(module, unit):
    """Stop, disable and mask unit; a unit file of its name in /etc/systemd/system is
    renamed to NAME.adopted first (masking would collide with it)."""
    module.run_command(["systemctl", "disable", "--now", unit], check_rc=True)
    own = os.path.join(UNIT_DIR, unit)
    if os.path.isfile(own) and not os.path.islink(own):
        os.rename(own, own + ".adopted")
    module.run_command(["systemctl", "mask", unit], check_rc=True)
    module.run_command(["systemctl", "daemon-reload"], check_rc=True)


def listening(port):
    """Whether anything accepts TCP connections on port on this host (IPv4 or IPv6 loopback)."""
    for family, address in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        probe = socket.socket(family, socket.SOCK_STREAM)
        probe.settimeout(1)
        try:
            probe.connect((address, port))
            return True
        except (IOError, OSError):
            pass
        finally:
            probe.close()
    return False


def main():
    module = AnsibleModule(
        argument_spec=dict(
            pids=dict(type="list", elements="int", required=True),
            command=dict(type="list", elements="str", required=True),
            keepers=dict(type="list", elements="dict", default=[]),
            port=dict(type="int"),
            note=dict(type="str", default="disabled by flaskops adopt: the app is served by the stack now:"),
            timeout=dict(type="int", default=10),
        ),
        supports_check_mode=True,
    )
    params, dry_run = module.params, module.check_mode
    units = [k["unit"] for k in params["keepers"] if k.get("kind") == "systemd" and k.get("unit")]
    to_stop = [unit for unit in units if not masked(module, unit)]
    crontabs = crontab_changes(params["keepers"], params["note"])
    result = dict(units=to_stop, crontabs=sorted(crontabs), signalled=[])
    if not dry_run:
        for unit in to_stop:
            stop_unit(module, unit)
        for path, (dummy, after, info) in sorted(crontabs.items()):
            replace_file(path, after, info)
    result["signalled"] = end_processes(params["pids"], params["command"], params["timeout"], dry_run)
    result["changed"] = bool(to_stop or crontabs or result["signalled"])
    if module._diff and crontabs:
        result["diff"] = [dict(before=before, after=after, before_header=path, after_header=path)
                          for path, (before, after, dummy) in sorted(crontabs.items())]
    if params["port"] and not dry_run:
        deadline = time.time() + params["timeout"]
        while listening(params["port"]) and time.time() < deadline:
            time.sleep(0.2)
        if listening(params["port"]):
            module.fail_json(msg="port %d still listens after the development server was stopped: "
                             "something else holds it" % params["port"], **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

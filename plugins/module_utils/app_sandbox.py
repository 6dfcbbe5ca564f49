# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running the app's code as its user in a transient systemd unit, and taking back what it wrote.

Shared by the modules that run app-supplied code at deploy time (flask_venv's pip,
flask_import_check, flask_smoke): none of them runs it as root or outside a sandbox.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type
import os
import re
import stat
import subprocess
import uuid

from ansible.module_utils.basic import AnsibleModule

# The options of every module that runs the app's code in a unit (doc fragment app_unit).
UNIT_OPTIONS = {
    "user": {"type": "str", "required": True},
    "group": {"type": "str", "required": True},
    "sandbox": {"type": "list", "elements": "str", "default": []},
}
# The options naming the release and the app it starts (doc fragment release_app).
RELEASE_APP_OPTIONS = {
    "release": {"type": "path", "required": True},
    "module": {"type": "str", "required": True},
    "env_file": {"type": "path", "required": True},
}
# Applied under every caller's list, so that no caller can run app code without them.
FLOOR = ["NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes"]
# The bits root takes away from what the app's side wrote: setuid, setgid, and write
# access for anyone but the owner (root, once handed back).
UNSAFE_BITS = stat.S_ISUID | stat.S_ISGID | stat.S_IWGRP | stat.S_IWOTH
# scheme://user:secret@host: everything between the scheme and the last @ before the host.
CREDENTIALS = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^\s/]*@")


def unit_module(*option_sets):
    """The AnsibleModule of a module that runs the app's code in a unit: UNIT_OPTIONS and
    then each of option_sets (dicts of argument_spec entries). Check mode is supported: each
    caller answers it itself, before it starts a unit."""
    spec = dict(UNIT_OPTIONS)
    for options in option_sets:
        spec.update(options)
    return AnsibleModule(argument_spec=spec, supports_check_mode=True)


def redact(text):
    """text with the credentials of every URL in it replaced by ***."""
    return CREDENTIALS.sub(r"\1***@", text)


def unit_name(prefix):
    """A transient unit's name no other run uses."""
    return "%s-%s" % (prefix, uuid.uuid4().hex[:12])


def systemd_arg(value):
    """An argument as systemd passes it on: $ is doubled, since systemd expands $VAR in a unit's command."""
    return value.replace("$", "$$")


def unit_argv(command, user, group, properties, timeout, workdir, env=None, env_file=None, unit=None, wait=True):
    """systemd-run's argv for command as user:group under the floor and properties, stopped
    after timeout seconds. With wait, the caller's stdin, stdout and stderr are the
    command's (--pipe) and systemd-run waits for the unit; without, it returns once the
    command started, and the output goes to the journal. The unit's processes all end with
    it (--collect removes it even when it failed)."""
    argv = ["systemd-run"] + (["--wait", "--pipe"] if wait else []) + ["--quiet", "--collect", "--service-type=exec",
            "--property=User=%s" % user, "--property=Group=%s" % group,
            "--property=WorkingDirectory=%s" % workdir, "--property=RuntimeMaxSec=%d" % int(timeout)]
    if unit:
        argv.append("--unit=%s" % unit)
    if env_file:
        argv.append("--property=EnvironmentFile=%s" % env_file)
    for key, value in sorted((env or {}).items()):
        argv.append("--setenv=%s=%s" % (key, value))
    argv += ["--property=%s" % prop for prop in FLOOR + list(properties)]
    return argv + ["--"] + [systemd_arg(item) for item in command]


def run_unit(command, user, group, properties, timeout, workdir, env=None, env_file=None):
    """Run command in a transient unit (unit_argv) and wait: (rc, stdout, stderr), text."""
    argv = unit_argv(command, user, group, properties, timeout, workdir, env=env, env_file=env_file,
                     unit=unit_name("flask-app-run"))
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          check=False)
    return (done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"))


def set_mode_nofollow(name, dir_fd, mode):
    """Set the mode of a directory or regular file through a descriptor opened without
    following a link (Linux has no lchmod)."""
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
    try:
        os.fchmod(fd, mode)
    finally:
        os.close(fd)


def hand_over(top, uid, gid):
    """Give a tree root made (a fresh virtualenv) to uid:gid, without following any link."""
    _own_tree(top, uid, gid, strip=False)


def hand_back(top, uid=0, gid=0):
    """Take back a tree the app's side wrote: every entry to uid:gid (root), and setuid,
    setgid and group/other write bits stripped. The walk holds each directory open and
    never follows a link (fwalk, fchownat without following, fchmod on an O_NOFOLLOW
    descriptor). Returns the paths whose mode was stripped, relative to top."""
    return _own_tree(top, uid, gid, strip=True)


def _own_tree(top, uid, gid, strip):
    stripped = []
    top_stat = os.lstat(top)
    if not stat.S_ISDIR(top_stat.st_mode):
        raise ValueError("%s is not a directory" % top)
    os.chown(top, uid, gid, follow_symlinks=False)
    if strip and stat.S_IMODE(top_stat.st_mode) & UNSAFE_BITS:
        os.chmod(top, stat.S_IMODE(top_stat.st_mode) & ~UNSAFE_BITS)
        stripped.append(".")
    for dirpath, dirnames, filenames, dir_fd in os.fwalk(top, follow_symlinks=False):
        for name in dirnames + filenames:
            found = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
            os.chown(name, uid, gid, dir_fd=dir_fd, follow_symlinks=False)
            mode = stat.S_IMODE(found.st_mode)
            if strip and mode & UNSAFE_BITS and (stat.S_ISREG(found.st_mode) or stat.S_ISDIR(found.st_mode)):
                set_mode_nofollow(name, dir_fd, mode & ~UNSAFE_BITS)
                stripped.append(os.path.relpath(os.path.join(dirpath, name), top))
    return stripped

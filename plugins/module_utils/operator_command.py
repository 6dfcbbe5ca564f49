# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Install one of the collection's operator commands (a module_utils file that runs on its
own, such as deploy_lock.py as flask-lock): root's file, mode 0755, written beside its
place and moved in, so that no one ever runs half a command."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import inspect
import os
import tempfile


def install(path, content, dry_run):
    """Write `content` to `path` as root's, mode 0755, when the file differs in content,
    mode or owner; returns (changed, before, after), before and after for the diff."""
    try:
        found = os.lstat(path)
        with open(path) as handle:
            have = handle.read()
        same = have == content and (found.st_mode & 0o7777, found.st_uid, found.st_gid) == (0o755, 0, 0)
    except (IOError, OSError, UnicodeDecodeError):
        have, same = "", False
    if same:
        return False, have, content
    if not dry_run:
        handle, temp = tempfile.mkstemp(dir=os.path.dirname(path), prefix="." + os.path.basename(path) + "-")
        try:
            os.write(handle, content.encode("utf-8"))
            os.fchown(handle, 0, 0)
            os.fchmod(handle, 0o755)
            os.close(handle)
            os.rename(temp, path)
        except BaseException:
            os.unlink(temp)
            raise
    return True, have, content


def install_for(module, source, result):
    """Install the operator's command at the module's O(command) (none where it is empty) from
    the code of `source`, a module_utils module, writing nothing in check mode. Sets
    result["command_installed"], and result["changed"] where it was (or would be) installed;
    returns the diff of the command's file, or None where it is left alone."""
    path = module.params["command"]
    installed, diff = False, None
    if path:
        installed, before, after = install(path, inspect.getsource(source), module.check_mode)
        if installed:
            diff = dict(before=before, after=after, before_header=path, after_header=path)
    result["command_installed"] = installed
    result["changed"] = result["changed"] or installed
    return diff

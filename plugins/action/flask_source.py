# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""flask_source's controller side: the source directory is packed here into a reproducible
archive (the same files give the same bytes, hence the same digest and the same release
id); with a release, the archive travels inside the module's own arguments (one remote
call, through Ansible's private channel: never a command line, never a file another user
reads) and the module unpacks it on the host."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import gzip
import hashlib
import io
import os
import stat
import tarfile

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

MODULE = "flaskops.production.flask_source"
# Left out at any depth: version control (as GNU tar's --exclude-vcs), byte code, virtualenvs.
EXCLUDED_NAMES = frozenset([
    ".git", ".gitignore", ".gitattributes", ".gitmodules", ".svn", ".hg", ".hgignore", ".hgtags",
    ".bzr", ".bzrignore", ".bzrtags", "CVS", ".cvsignore", "RCS", "SCCS", "_darcs", ".arch-ids", "{arch}",
    "__pycache__", "venv", ".venv"])
EXCLUDED_SUFFIXES = (".pyc",)


class SourceRefused(Exception):
    """The source holds something no release may hold: the message names the path."""


def excluded(name):
    return name in EXCLUDED_NAMES or name.endswith(EXCLUDED_SUFFIXES)


def entries(top):
    """(relative path, lstat) of everything under top that goes into a release, sorted by
    path, without following any link (a link is packed as a link)."""
    found = []

    def walk(relative):
        here = os.path.join(top, relative) if relative else top
        for name in sorted(os.listdir(here)):
            if excluded(name):
                continue
            path = os.path.join(relative, name) if relative else name
            info = os.lstat(os.path.join(top, path))
            found.append((path, info))
            if stat.S_ISDIR(info.st_mode):
                walk(path)

    walk("")
    return found


def member(path, info):
    """The archive's entry for path: owner root, time 0, mode u+rwX,go+rX,go-w, without
    setuid, setgid or sticky bits."""
    entry = tarfile.TarInfo(path)
    entry.mtime = 0
    entry.uid = entry.gid = 0
    entry.uname = entry.gname = ""
    executable = bool(info.st_mode & 0o111)
    if stat.S_ISDIR(info.st_mode):
        entry.type, entry.mode = tarfile.DIRTYPE, 0o755
    elif stat.S_ISLNK(info.st_mode):
        entry.type, entry.mode = tarfile.SYMTYPE, 0o777
    elif stat.S_ISREG(info.st_mode):
        entry.type, entry.mode = tarfile.REGTYPE, 0o755 if executable else 0o644
        entry.size = info.st_size
    else:
        raise SourceRefused("%s is neither a file, a directory nor a link" % path)
    return entry


def pack(top):
    """(sha256 hex digest of the archive, the archive's bytes): a tar of top's content as
    member() describes it, in path order, each file read once through a descriptor that
    refuses a link (a file swapped for a link while packing is refused, not followed)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as archive:
        for path, info in entries(top):
            entry = member(path, info)
            if entry.type == tarfile.SYMTYPE:
                entry.linkname = os.readlink(os.path.join(top, path))
                archive.addfile(entry)
            elif entry.type == tarfile.REGTYPE:
                try:
                    fd = os.open(os.path.join(top, path), os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
                except OSError as exc:
                    raise SourceRefused("%s cannot be read: %s" % (path, exc.strerror))
                with os.fdopen(fd, "rb") as handle:
                    data = handle.read()
                entry.size = len(data)
                archive.addfile(entry, io.BytesIO(data))
            else:
                archive.addfile(entry)
    data = buffer.getvalue()
    return hashlib.sha256(data).hexdigest(), data


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("src", "digest", "release"))

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = self._task.args
        src, release, expected = args.get("src"), args.get("release"), args.get("digest")
        if not src:
            raise AnsibleActionFail("src (the source directory on the controller) is required")
        top = os.path.realpath(os.path.expanduser(to_text(src)))
        if not os.path.isdir(top):
            raise AnsibleActionFail("%s is not a directory on the controller" % src)
        try:
            digest, data = pack(top)
        except (SourceRefused, OSError) as exc:
            raise AnsibleActionFail("The source %s is refused: %s" % (src, to_text(exc)))
        result.update(changed=False, digest=digest, src=top)
        if not release:
            return result
        if expected and expected != digest:
            raise AnsibleActionFail("%s changed while it was deployed: deploy again" % src)
        if self._task.check_mode:
            result.update(changed=True, release=release,
                          msg="Would build release %s from %s." % (os.path.basename(release.rstrip("/")), src))
            return result
        archive = base64.b64encode(gzip.compress(data, compresslevel=1, mtime=0)).decode("ascii")
        done = self._execute_module(module_name=MODULE, module_args={"src": top, "digest": digest, "release": release, "archive": archive},
                                    task_vars=task_vars)
        done.pop("invocation", None)
        result.update(done)
        result["digest"] = digest
        return result

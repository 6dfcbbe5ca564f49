# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A role's set of files, directories and absent paths, compared with the host and put in
place together (the flask_config module).

plan() only reads; apply() writes what plan() found to differ, each file atomically (a
temporary file beside it, fsync, rename), and keeps what it replaced in memory so that
restore() can put every path back as it was. No destination is followed if it is a
symbolic link: a link where a file belongs is replaced, a link where a directory belongs
is refused.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import grp
import os
import pwd
import shutil
import stat
import tempfile

READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
DIR_FLAGS = READ_FLAGS | os.O_DIRECTORY
HIDDEN = "(content hidden)\n"


class ConfigError(Exception):
    """A path this set cannot put in place; the message names it."""


def _account_id(lookup, field, item, key, dry_run):
    """The number (the entry's field) of the account item[key] names, found by lookup
    (pwd.getpwnam or grp.getgrnam); a missing name is an error naming it, except in a dry run (-1 then)."""
    try:
        entry = lookup(item[key])
    except KeyError:
        if not dry_run:
            raise ConfigError("%s: the %s %s does not exist" % (item["path"], key, item[key]))
        return -1
    return getattr(entry, field)


def ids(item, dry_run=False):
    """The item's owner and group as numbers; a missing name is an error naming it, except
    in a dry run, where an earlier task would have made it (-1 then, which differs)."""
    return (_account_id(pwd.getpwnam, "pw_uid", item, "owner", dry_run),
            _account_id(grp.getgrnam, "gr_gid", item, "group", dry_run))


def look(path):
    """What is at path now, not following a link: a dict with kind and, where it applies,
    content (bytes), target (a link's), mode, uid and gid."""
    try:
        found = os.lstat(path)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return {"kind": "absent"}
        raise
    meta = {"mode": stat.S_IMODE(found.st_mode), "uid": found.st_uid, "gid": found.st_gid}
    if stat.S_ISLNK(found.st_mode):
        return dict(meta, kind="link", target=os.readlink(path))
    if stat.S_ISDIR(found.st_mode):
        return dict(meta, kind="directory")
    if not stat.S_ISREG(found.st_mode):
        return dict(meta, kind="other")
    handle = os.open(path, READ_FLAGS)
    try:
        chunks = []
        while True:
            chunk = os.read(handle, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(handle)
    return dict(meta, kind="file", content=b"".join(chunks))


def describe(state, names):
    """A path's type, mode, owner and group as text lines, for a diff."""
    if state["kind"] == "absent":
        return ""
    owner, group = names(state)
    return "%s, mode %04o, owner %s, group %s\n" % (state["kind"], state.get("mode", 0), owner, group)


def _names(state):
    try:
        owner = pwd.getpwuid(state["uid"]).pw_name
    except (KeyError, OverflowError):
        owner = str(state["uid"])
    try:
        group = grp.getgrgid(state["gid"]).gr_name
    except (KeyError, OverflowError):
        group = str(state["gid"])
    return owner, group


def _text(data):
    return data.decode("utf-8", "replace")


def plan(items, dry_run=False):
    """For each item that differs from the host: (item, before, reasons, diffs). Reads only.
    An item is {path, state: file|directory|absent, content, mode, owner, group, diff}."""
    changes = []
    for item in items:
        path = item["path"]
        before = look(path)
        diffs = []
        if item["state"] == "absent":
            if before["kind"] == "absent":
                continue
            if before["kind"] == "directory":
                raise ConfigError("%s is a directory where no file may be; remove it by hand" % path)
            old = before.get("content", b"") if item["diff"] else HIDDEN.encode()
            if before["kind"] == "link":
                old = ("link to %s\n" % before["target"]).encode()
            diffs.append({"before_header": path, "after_header": path + " (absent)",
                          "before": _text(old), "after": ""})
            changes.append((item, before, ["absent"], diffs))
            continue
        uid, gid = ids(item, dry_run)
        mode = int(item["mode"], 8)
        want = {"kind": item["state"], "mode": mode, "uid": uid, "gid": gid}
        if item["state"] == "directory" and before["kind"] not in ("absent", "directory"):
            raise ConfigError("%s is a %s where a directory belongs; root follows no link here: "
                              "replace it with a directory" % (path, before["kind"]))
        reasons = []
        if before["kind"] != want["kind"]:
            reasons.append("create" if before["kind"] == "absent" else "replace")
        if item["state"] == "file":
            new = item["content"].encode("utf-8")
            if before.get("content") != new:
                if "create" not in reasons and "replace" not in reasons:
                    reasons.append("content")
                if item["diff"]:
                    old = before.get("content", b"")
                    if before["kind"] == "link":
                        old = ("link to %s\n" % before["target"]).encode()
                    diffs.append({"before_header": path, "after_header": path,
                                  "before": _text(old), "after": item["content"]})
                else:
                    diffs.append({"before_header": path, "after_header": path,
                                  "before": "" if before["kind"] == "absent" else HIDDEN,
                                  "after": HIDDEN.replace(")", ", changed)")})
        if before["kind"] == want["kind"] and any(before[key] != want[key] for key in ("mode", "uid", "gid")):
            reasons.append("metadata")
        if reasons and (before["kind"] != want["kind"] or "metadata" in reasons):
            diffs.append({"before_header": path + " (type, mode, owner, group)",
                          "after_header": path + " (type, mode, owner, group)",
                          "before": describe(before, _names),
                          "after": describe(want, lambda dummy: (item["owner"], item["group"]))})
        if reasons:
            changes.append((item, before, reasons, diffs))
    return changes


def run_validate(module, item):
    """Runs the item's validate command on a copy of its new content in a private temporary
    directory; an error names the path and carries the command's output."""
    workdir = tempfile.mkdtemp(prefix="flask-config-")
    try:
        staged = os.path.join(workdir, os.path.basename(item["path"]))
        with open(staged, "wb") as handle:
            handle.write(item["content"].encode("utf-8"))
        command = item["validate"]
        if "%s" not in command:
            raise ConfigError("%s: validate must contain %%s, the place of the file (got %r)" % (item["path"], command))
        rc, out, err = module.run_command(command % staged)
        if rc != 0:
            raise ConfigError("%s failed its check (%s): %s" % (item["path"], command, (err or out).strip()))
    finally:
        shutil.rmtree(workdir)


def write_file(path, data, mode, uid, gid):
    """Replaces path with a regular file holding data, atomically; a link at path is replaced,
    never followed."""
    directory, name = os.path.split(path)
    handle, part = tempfile.mkstemp(prefix="." + name + ".", suffix=".flask-config", dir=directory)
    try:
        try:
            os.fchown(handle, uid, gid)
            os.fchmod(handle, mode)
            view = memoryview(data)
            while view:
                view = view[os.write(handle, view):]
            os.fsync(handle)
        finally:
            os.close(handle)
        os.rename(part, path)
    except BaseException:
        if os.path.lexists(part):
            os.unlink(part)
        raise
    sync_dir(directory)


def sync_dir(directory):
    handle = os.open(directory, DIR_FLAGS)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def set_dir_meta(path, mode, uid, gid):
    handle = os.open(path, DIR_FLAGS)
    try:
        os.fchown(handle, uid, gid)
        os.fchmod(handle, mode)
    finally:
        os.close(handle)


def apply(changes):
    """Puts each change in place, in order. Returns the undo log for restore(); on an error
    the changes made so far are already undone."""
    done = []
    try:
        for item, before, dummy, dummy in changes:
            path = item["path"]
            done.append((item, before))
            if item["state"] == "absent":
                os.unlink(path)
                sync_dir(os.path.dirname(path))
                continue
            uid, gid = ids(item)
            mode = int(item["mode"], 8)
            if item["state"] == "directory":
                if before["kind"] == "absent":
                    os.mkdir(path, 0o700)
                set_dir_meta(path, mode, uid, gid)
            else:
                write_file(path, item["content"].encode("utf-8"), mode, uid, gid)
    except BaseException:
        restore(done)
        raise
    return done


def restore(done):
    """Puts every path of the undo log back as it was, last change first."""
    for item, before in reversed(done):
        path = item["path"]
        kind = before["kind"]
        if kind == "absent":
            if os.path.isdir(path) and not os.path.islink(path):
                if not os.listdir(path):
                    os.rmdir(path)
            elif os.path.lexists(path):
                os.unlink(path)
        elif kind == "directory":
            set_dir_meta(path, before["mode"], before["uid"], before["gid"])
        elif kind == "link":
            if os.path.lexists(path):
                os.unlink(path)
            os.symlink(before["target"], path)
        elif kind == "file":
            write_file(path, before["content"], before["mode"], before["uid"], before["gid"])

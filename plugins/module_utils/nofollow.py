# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads and writes below a directory that never follow a symbolic link.

Root runs these in trees that the app controls (its data directory) or that its source
controls (a release's code). Every path is opened one component at a time from a top
directory with O_NOFOLLOW, so a component that is a link is refused with LinkRefused,
naming the path; owners and modes are set on the open descriptor, so a link swapped in
after a check cannot redirect them. The top directory itself is chosen by root and must
not be a link either.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import shutil
import stat

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class LinkRefused(Exception):
    """A path component is a symbolic link (or not a directory) where a directory belongs."""

    def __init__(self, path, what="a symbolic link"):
        super(LinkRefused, self).__init__(
            "%s is %s where a directory belongs; root follows no link the app controls: "
            "replace it with a directory" % (path, what))
        self.path = path


def split_relative(rel):
    """The components of a relative path; refuses absolute paths and '..'."""
    parts = [part for part in rel.split("/") if part not in ("", ".")]
    if rel.startswith("/") or ".." in parts or not parts:
        raise ValueError("%r must be a relative path inside its directory, without '..'" % rel)
    return parts


class Tree(object):
    """A directory opened once; paths below it are relative and walked without links."""

    def __init__(self, top):
        self.top = top
        try:
            self.fd = os.open(top, DIR_FLAGS)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                raise LinkRefused(top, "a symbolic link or a file")
            raise

    def close(self):
        os.close(self.fd)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def path(self, parts):
        return os.path.join(self.top, *parts)

    def open_dir(self, parts, create=None, made=None, dry_run=False):
        """A descriptor of the directory top/parts, or None when it is missing and not made.

        create: (uid, gid, mode) makes each missing component with that owner and mode;
        made collects the paths made (or, in a dry run, that would be made). The caller
        closes the descriptor unless it is self.fd (no parts)."""
        fd = self.fd
        for depth, name in enumerate(parts):
            here = self.path(parts[:depth + 1])
            try:
                child = os.open(name, DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                if exc.errno == errno.ENOENT and create is not None:
                    if made is not None:
                        made.append(here)
                    if dry_run:
                        child = None
                    else:
                        child = self._make(fd, name, create)
                elif exc.errno == errno.ENOENT:
                    child = None
                elif exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise LinkRefused(here, "a symbolic link" if self.is_link(fd, name) else "a file")
                else:
                    raise
            if fd != self.fd:
                os.close(fd)
            if child is None:
                if made is not None and create is not None:  # dry run: the rest would be made too
                    made.extend(self.path(parts[:rest + 1]) for rest in range(depth + 1, len(parts)))
                return None
            fd = child
        return fd

    @staticmethod
    def _make(parent_fd, name, create):
        uid, gid, mode = create
        os.mkdir(name, 0o700, dir_fd=parent_fd)
        fd = os.open(name, DIR_FLAGS, dir_fd=parent_fd)
        os.fchown(fd, uid, gid)
        os.fchmod(fd, mode)
        return fd

    @staticmethod
    def is_link(parent_fd, name):
        try:
            return stat.S_ISLNK(os.stat(name, dir_fd=parent_fd, follow_symlinks=False).st_mode)
        except OSError:
            return False


def entry(parent_fd, name):
    """The lstat of name in the directory parent_fd, or None when it does not exist."""
    try:
        return os.stat(name, dir_fd=parent_fd, follow_symlinks=False)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise


def read_link(parent_fd, name):
    """The target of the link name in parent_fd, or None when name is not a link."""
    found = entry(parent_fd, name)
    if found is None or not stat.S_ISLNK(found.st_mode):
        return None
    return os.readlink(name, dir_fd=parent_fd)


def remove(parent_fd, name):
    """Remove name from parent_fd: a link or file is unlinked, a directory removed with its
    content by a descriptor-based walk that never leaves it through a link."""
    found = entry(parent_fd, name)
    if found is None:
        return
    if stat.S_ISDIR(found.st_mode):
        shutil.rmtree(name, dir_fd=parent_fd)
    else:
        os.unlink(name, dir_fd=parent_fd)

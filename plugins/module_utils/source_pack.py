# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A source directory as a reproducible archive, and the archive unpacked into a release.

pack() runs where the source is: on the controller for a source directory there
(the flask_source action), on the host as the directory's owner for a directory already
there (the flask_host_source module). The same files give the same bytes wherever they
are packed, hence the same digest and the same release id. unpack() runs on the host, as
root, into a fresh release directory, and trusts nothing in the archive.

The file imports nothing but the standard library: flask_host_source runs it as a
script (packer_script()) as the source's owner, in a transient unit.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import io
import os
import stat
import tarfile

# Left out at any depth: version control (as GNU tar's --exclude-vcs), byte code, virtualenvs.
EXCLUDED_NAMES = frozenset([
    ".git", ".gitignore", ".gitattributes", ".gitmodules", ".svn", ".hg", ".hgignore", ".hgtags",
    ".bzr", ".bzrignore", ".bzrtags", "CVS", ".cvsignore", "RCS", "SCCS", "_darcs", ".arch-ids", "{arch}",
    "__pycache__", "venv", ".venv"])
EXCLUDED_SUFFIXES = (".pyc",)


class SourceRefused(Exception):
    """The source holds something no release may hold: the message names the path."""


def write_archive(top, out):
    """As a script (packer_script): the archive of top, to the binary stream out."""
    try:
        out.write(pack(top)[1])
    except SourceRefused as refused:
        raise SystemExit("refused: %s" % refused)


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


def safe_name(name):
    """Whether an archive member's name stays inside the directory it is unpacked into."""
    parts = name.split("/")
    return bool(name) and not name.startswith("/") and ".." not in parts and "" not in parts[:-1]


def unpack(data, code):
    """Unpack the tar in data into code (an empty directory of root's): directories 0755,
    files 0644 or 0755, links as links; nothing keeps a setuid, setgid or sticky bit, and a
    member that would land outside code, or is neither a file, a directory nor a link, is
    refused."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
        for entry in archive:
            name = entry.name.rstrip("/")
            if name in ("", "."):
                continue
            if not safe_name(name):
                raise SourceRefused("%s is a path outside the release's code directory" % entry.name)
            path = os.path.join(code, name)
            if entry.isdir():
                os.mkdir(path, 0o755)
                os.chmod(path, 0o755)
            elif entry.issym():
                os.symlink(entry.linkname, path)
            elif entry.isreg():
                mode = 0o755 if entry.mode & 0o111 else 0o644
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(archive.extractfile(entry).read())
                os.chmod(path, mode)
            else:
                raise SourceRefused("%s is neither a file, a directory nor a link" % name)


if __name__ == "__main__":
    import sys
    write_archive(sys.argv[1], sys.stdout.buffer)

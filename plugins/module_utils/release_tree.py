# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What root does to a release's unpacked source before anything reads it: links that
leave the tree refuse the release, setuid and setgid bits go."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type
import glob
import os
import shutil
import stat
import tarfile

from ansible_collections.flaskops.production.plugins.module_utils import source_pack
from ansible_collections.flaskops.production.plugins.module_utils.app_sandbox import set_mode_nofollow

SPECIAL_BITS = stat.S_ISUID | stat.S_ISGID


class TreeRefused(Exception):
    """The source holds something a release must not: the message names the path."""


def link_leaves(top, dirpath, name):
    """Whether the link dirpath/name (under top) points outside top: an absolute target,
    a relative one that climbs out, or one that resolves outside through other links."""
    target = os.readlink(os.path.join(dirpath, name))
    if os.path.isabs(target):
        return True
    lexical = os.path.normpath(os.path.join(os.path.relpath(dirpath, top), target))
    if lexical == ".." or lexical.startswith("../"):
        return True
    real_top = os.path.realpath(top)
    resolved = os.path.realpath(os.path.join(dirpath, name))
    return resolved != real_top and not resolved.startswith(real_top + os.sep)


def seal(top, check_mode=False):
    """Walk top without following links: refuse a link that leaves it or an entry that is
    neither a directory, a regular file nor a link (a device, a FIFO, a socket), naming it;
    strip setuid and setgid bits (kept in check mode). Returns the stripped paths."""
    stripped = []
    for dirpath, dirnames, filenames, dir_fd in os.fwalk(top, follow_symlinks=False):
        for name in sorted(dirnames + filenames):
            where = os.path.relpath(os.path.join(dirpath, name), top)
            found = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
            if stat.S_ISLNK(found.st_mode):
                if link_leaves(top, dirpath, name):
                    raise TreeRefused("%s is a link that leaves the release's code directory (to %s)"
                                      % (where, os.readlink(name, dir_fd=dir_fd)))
                continue
            if not (stat.S_ISREG(found.st_mode) or stat.S_ISDIR(found.st_mode)):
                raise TreeRefused("%s is neither a file, a directory nor a link" % where)
            mode = stat.S_IMODE(found.st_mode)
            if mode & SPECIAL_BITS:
                stripped.append(where)
                if not check_mode:
                    set_mode_nofollow(name, dir_fd, mode & ~SPECIAL_BITS)
    return stripped


def fresh(release, check_mode):
    """Remove release (a link is removed, never followed) and make release/app, root's, 0755."""
    existed = os.path.lexists(release)
    if check_mode:
        return existed
    if os.path.isdir(release) and not os.path.islink(release):
        shutil.rmtree(release)
    elif existed:
        os.unlink(release)
    os.mkdir(release, 0o755)
    os.mkdir(os.path.join(release, "app"), 0o755)
    for path in (release, os.path.join(release, "app")):
        os.chown(path, 0, 0, follow_symlinks=False)
        os.chmod(path, 0o755)
    return existed


def unpack_release(module, data, release):
    """Clear release, unpack the archive data into its code directory and seal it (the
    flask_source and flask_host_source modules); a refused or broken archive fails the
    module, naming the path. Returns the paths whose setuid or setgid bit was removed."""
    fresh(release, False)
    code = os.path.join(release, "app")
    try:
        source_pack.unpack(data, code)
        return seal(code)
    except (TreeRefused, source_pack.SourceRefused) as refused:
        module.fail_json(msg="The source is refused: %s. Remove it from the source and deploy again." % refused)
    except (tarfile.TarError, OSError) as exc:
        module.fail_json(msg="The source could not be unpacked into %s: %s" % (code, exc))


def stored_files(files_dir):
    """The shared files kept under files_dir (those the list names and those it dropped)."""
    found = []
    for top, dummy, names in os.walk(files_dir):
        found += [os.path.relpath(os.path.join(top, name), files_dir) for name in names]
    return sorted(found)


def release_state(root, release, static_dir, server_dist="", files_dir=""):
    """The state of release under root as the role reads it (RETURN)."""
    where = os.path.join(root, "releases", release)
    current = os.path.join(root, "current")
    try:
        with open(os.path.join(where, "checked")) as handle:
            checked = handle.read().strip()
    except (IOError, OSError):
        checked = ""
    distribution = server_dist.lower().replace("-", "_")
    return {
        "stored_files": stored_files(files_dir) if files_dir else [],
        "complete": os.path.isfile(os.path.join(where, "release.json")),
        "current_exists": os.path.exists(current),
        "static": os.path.isdir(os.path.join(where, "app", static_dir)),
        "checked": checked,
        "current": os.path.basename(os.readlink(current).rstrip("/")) if os.path.islink(current) else None,
        "current_has_server": not distribution or bool(glob.glob(os.path.join(
            current, "venv", "lib", "python3*", "site-packages", distribution + "-*.dist-info"))),
    }


# The argument spec of the release lookup (doc fragment release_lookup).
RELEASE_LOOKUP = dict(type="dict", options=dict(
    root=dict(type="path", required=True),
    id=dict(type="str", required=True),
    static_dir=dict(type="str", default="static"),
    server_dist=dict(type="str", default=""),
    files_dir=dict(type="path"),
))


def look_up_release(module, release):
    """release_state for the lookup option's value; fails on an id that is a path."""
    if "/" in release["id"] or release["id"] in ("", ".", ".."):
        module.fail_json(msg="release.id must be a release id, not a path (got %r)" % release["id"])
    return release_state(release["root"], release["id"], release["static_dir"], release["server_dist"],
                         release["files_dir"] or "")

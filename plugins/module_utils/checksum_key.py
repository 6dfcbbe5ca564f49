# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host's random key for the checksums the app's units carry. A unit file is readable
by every local user; a checksum keyed with this key (0600, root's) lets a changed
environment restart the units without letting anyone test a guess of its content.
The key never leaves the host: only keyed digests do."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import grp
import hashlib
import hmac
import os
import pwd
import secrets
import stat
import string

from ansible_collections.flaskops.production.plugins.module_utils.config_set import write_file

ALPHABET = string.ascii_letters + string.digits
LENGTH = 43


def read_key(path, uid):
    """The key's text, read without following a link; "" when the file is not a regular
    file of uid's with mode 0600 (it is then drawn again)."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return ""
    with os.fdopen(handle, "rb") as opened:
        found = os.fstat(opened.fileno())
        if not stat.S_ISREG(found.st_mode) or found.st_uid != uid or stat.S_IMODE(found.st_mode) != 0o600:
            return ""
        return opened.read(4096).decode("ascii", "replace").strip()


def host_key(path, owner, check_mode):
    """(key, drawn): the key at path, or a new one drawn in its place (written atomically,
    a link there replaced, never followed; in check mode not written, so it lives for
    this run only). Raises KeyError for an unknown owner, OSError when it cannot write."""
    account = pwd.getpwnam(owner)
    key = read_key(path, account.pw_uid)
    if key:
        return key, False
    key = "".join(secrets.choice(ALPHABET) for dummy in range(LENGTH))
    if not check_mode:
        write_file(path, (key + "\n").encode("ascii"), 0o600, account.pw_uid, grp.getgrgid(account.pw_gid).gr_gid)
    return key, True


def keyed_digest(key, sha1):
    """The keyed digest of a content given by its SHA-1 (hex): HMAC-SHA256 under the key."""
    return hmac.new(key.encode("ascii"), sha1.encode("ascii"), hashlib.sha256).hexdigest()

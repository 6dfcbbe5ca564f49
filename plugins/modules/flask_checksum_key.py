#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: flask_checksum_key
short_description: Read the host's key for the checksums in unit files, drawing one where there is none
description:
  - Reads the host's random key, which keys the checksums of the environment and shared
    files that the app's units carry (a unit file is readable by every local user; without
    the key no one can test a guess of those files' content against it).
  - A key that is not a non-empty regular file of O(owner)'s with mode 0600 counts as none;
    a new one is drawn from the system's random source and written atomically in its place
    (a link there is replaced, never followed), and the module reports a change.
  - The key is returned to the controller; run the task with C(no_log).
  - In check mode nothing is written; where a key would be drawn, the module returns a
    fresh one that lives for this run only.
version_added: 1.2.0
author: flaskops maintainers (@flaskops)
options:
  path:
    description: The key file.
    type: path
    default: /etc/flask-checksum.key
  owner:
    description: The key file's owner.
    type: str
    default: root
attributes:
  check_mode:
    description: Reads the key; where one would be drawn, returns a fresh one and writes nothing.
    support: full
  diff_mode:
    description: Says that the key file would be written, never its content.
    support: full
"""

EXAMPLES = r"""
- name: Read the host's checksum key
  flaskops.production.flask_checksum_key:
  register: checksum_key
  no_log: true
"""

RETURN = r"""
key:
  description: The host's key (43 letters and digits when drawn here).
  returned: always
  type: str
"""

import grp
import os
import pwd
import secrets
import stat
import string

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.flaskops.production.plugins.module_utils.config_set import write_file

ALPHABET = string.ascii_letters + string.digits


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


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", default="/etc/flask-checksum.key"),
            owner=dict(type="str", default="root"),
        ),
        supports_check_mode=True,
    )
    path = module.params["path"]
    try:
        owner = pwd.getpwnam(module.params["owner"])
    except KeyError:
        module.fail_json(msg="the key's owner %s does not exist" % module.params["owner"])
    key = read_key(path, owner.pw_uid)
    if key:
        module.exit_json(changed=False, key=key)
    key = "".join(secrets.choice(ALPHABET) for dummy in range(43))
    result = dict(changed=True, key=key)
    if module._diff:
        result["diff"] = {"before_header": path, "after_header": path, "before": "",
                          "after": "(a new key, content hidden)\n"}
    if not module.check_mode:
        try:
            write_file(path, (key + "\n").encode("ascii"), 0o600, owner.pw_uid, grp.getgrgid(owner.pw_gid).gr_gid)
        except OSError as exc:
            module.fail_json(msg="%s: the key could not be written: %s" % (path, exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: flask_host_source
short_description: Name a release after a source directory already on the host, and unpack it into the release
description:
  - For an app whose code is already on the host, such as an app adopted from the Flask
    development server (C(flask_app_source=host_dir)). O(src) is packed into the same reproducible
    archive the flaskops.production.flask_source action makes of a directory on the
    controller, with the same exclusions and modes, so that the same files give the same
    digest wherever they are, and its SHA-256 digest is returned.
  - The archive is made by O(user), never by root, in a transient systemd unit that sees
    the system read-only and has no network; the packer reads every file through a
    descriptor that refuses a link and packs a link as a link. Root only unpacks the
    archive it was handed, into a fresh release directory, as the flask_source module does.
  - With O(release), the archive must still have O(digest) (a source that changed since its
    digest named the release is refused); the release directory is cleared, its C(app)
    directory made (root's, 0755), the archive unpacked into it, and the tree sealed.
  - Check mode packs and digests too (reading only), reports the release it would build as
    the change, and writes nothing.
version_added: 1.3.0
options:
  src:
    description: The source directory on the host.
    type: path
    required: true
  user:
    description:
      - Who packs O(src); the directory's owner when not given.
      - Root is refused, given or found, so that nothing the directory's owner controls is
        read by root. Name the user the development server ran as.
    type: str
  digest:
    description: The digest the release was named from; the archive must still have it.
    type: str
  release:
    description: The release directory to unpack into. Without it, only the digest is returned.
    type: path
  timeout:
    description: The most seconds the packer may take.
    type: int
    default: 300
attributes:
  check_mode:
    description: Packs and digests (read only); reports the release it would build and writes nothing.
    support: full
  diff_mode:
    description: No diff; it makes a new release directory and leaves O(src) as it is.
    support: none
author: flaskops maintainers (@flaskops)
"""

EXAMPLES = r"""
- name: Name the release after the code the development server ran from, packed as ana
  flaskops.production.flask_host_source:
    src: /home/ana/shop
    user: ana
  register: shop_code

- name: Build it, refused if the code changed since it was named
  flaskops.production.flask_host_source:
    src: /home/ana/shop
    user: ana
    digest: "{{ shop_code.digest }}"
    release: /srv/shop/releases/{{ shop_code.digest[:12] }}
"""

RETURN = r"""
digest:
  description:
    - SHA-256 of the archive O(user) packed; equal to what flaskops.production.flask_source
      gives the same files on the controller.
  returned: always
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
src:
  description: O(src) on the host, its links resolved.
  returned: always
  type: str
user:
  description: Who packed it (O(user), or the directory's owner).
  returned: always
  type: str
release:
  description: Where the code went (in check mode, would go).
  returned: when O(release) was given
  type: str
stripped:
  description: Files of the code directory that lost a setuid or setgid bit the host's copy had.
  returned: when the code was unpacked
  type: list
  elements: str
"""

import hashlib
import inspect
import os
import pwd
import stat
import subprocess

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.flaskops.production.plugins.module_utils import app_sandbox, source_pack
from ansible_collections.flaskops.production.plugins.module_utils.release_tree import unpack_release

# The packer's unit: it reads the source (under /home too) and writes nothing; no network.
PACKER_PROPERTIES = ["ProtectHome=read-only", "PrivateNetwork=yes", "CapabilityBoundingSet=",
                     "RestrictSUIDSGID=yes", "UMask=0077"]


def packer_script():
    """The packer, as python3 -c runs it: source_pack's own code, standard library only."""
    return inspect.getsource(source_pack)


def pack_as(user, top, timeout):
    """(returncode, archive bytes, stderr text) of source_pack run as user on top."""
    entry = pwd.getpwnam(user)
    argv = app_sandbox.unit_argv(["/usr/bin/python3", "-I", "-c", packer_script(), top], user, entry.pw_gid,
                                 PACKER_PROPERTIES, timeout, "/", unit=app_sandbox.unit_name("flask-host-source"))
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    return done.returncode, done.stdout, done.stderr.decode("utf-8", "replace")


def packer_user(module, top, found):
    """The user that packs top: the one given, else the owner; never root."""
    user = module.params["user"]
    if not user:
        try:
            user = pwd.getpwuid(found.st_uid).pw_name
        except KeyError:
            module.fail_json(msg="%s belongs to uid %d, which has no account: name the user who runs the app from it "
                             "in user" % (top, found.st_uid))
    try:
        uid = pwd.getpwnam(user).pw_uid
    except KeyError:
        module.fail_json(msg="user %s has no account on this host" % user)
    if uid == 0:
        module.fail_json(msg="%s would be read by root: name the (unprivileged) user who runs the app from it in user, "
                         "or give the directory to that user first" % top)
    return user


def main():
    module = AnsibleModule(
        argument_spec={
            "src": {"type": "path", "required": True},
            "user": {"type": "str"},
            "digest": {"type": "str"},
            "release": {"type": "path"},
            "timeout": {"type": "int", "default": 300},
        },
        supports_check_mode=True,
    )
    params = module.params
    top = os.path.realpath(params["src"])
    try:
        found = os.lstat(top)
    except OSError as exc:
        module.fail_json(msg="%s cannot be read: %s" % (params["src"], exc.strerror))
    if not stat.S_ISDIR(found.st_mode):
        module.fail_json(msg="%s is not a directory on the host" % params["src"])
    user = packer_user(module, top, found)
    rc, data, err = pack_as(user, top, params["timeout"])
    if rc != 0:
        lines = err.strip().splitlines()
        module.fail_json(msg="The source %s is refused: %s" % (params["src"], lines[-1] if lines else "the packer failed"),
                         rc=rc)
    digest = hashlib.sha256(data).hexdigest()
    result = dict(changed=False, digest=digest, src=top, user=user)
    release = params["release"]
    if not release:
        module.exit_json(**result)
    if params["digest"] and params["digest"] != digest:
        module.fail_json(msg="%s changed while it was deployed: deploy again" % params["src"], **result)
    result.update(changed=True, release=release)
    if module.check_mode:
        module.exit_json(**result)
    result["stripped"] = unpack_release(module, data, release)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

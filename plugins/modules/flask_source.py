#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: flask_source
short_description: Name a release after a source directory on the controller, and unpack it into the release
description:
  - On the controller (the action plugin of the same name), packs O(src) into a reproducible
    archive and returns its SHA-256 digest. Version control directories and files (as GNU
    tar's C(--exclude-vcs)), C(__pycache__), C(*.pyc), C(venv) and C(.venv) are left out at
    any depth; every entry is root's, dated 0, mode 0755 or 0644 (0755 for a directory or a
    file with an execute bit), without setuid, setgid or sticky bits; a link is packed as a
    link, never followed; a device, FIFO or socket refuses the source. The same files always
    give the same digest.
  - With O(release), the archive is checked against O(digest) (a source that changed since
    its digest named the release is refused) and sent inside the module's arguments, so
    that it never reaches a command line nor a file another user can read. On the host the
    release directory is cleared, its C(app) directory made (root's, 0755), the archive
    unpacked into it, and the unpacked tree sealed as the flask_release_tree module's
    O(ignore:state=sealed) seals it (a link that leaves the code directory refuses the release,
    naming the path).
  - Check mode packs and digests the source on the controller, reports the release it would
    build as the change, and sends and writes nothing.
version_added: 1.1.0
options:
  src:
    description: The source directory, on the controller.
    type: path
    required: true
  digest:
    description: The digest the release was named from; the archive must still have it.
    type: str
  release:
    description: The release directory on the host to unpack into. Without it, only the digest is returned.
    type: path
  archive:
    description:
      - The gzip-compressed archive, base64-encoded. Set by the action plugin; not given in a task.
    type: str
attributes:
  action:
    description: Packs the source on the controller.
    support: full
  check_mode:
    description: Reports the release it would build; sends and writes nothing.
    support: full
  diff_mode:
    description: Not supported; the release directory is new, never a changed file.
    support: none
author: flaskops maintainers (@flaskops)
"""

EXAMPLES = r"""
- name: Digest the source directory
  flaskops.production.flask_source:
    src: /home/me/myapp
  register: myapp_source

- name: Unpack the source into its release
  flaskops.production.flask_source:
    src: /home/me/myapp
    digest: "{{ myapp_source.digest }}"
    release: "/srv/myapp/releases/{{ myapp_source.digest[:12] }}"
"""

RETURN = r"""
digest:
  description: The SHA-256 digest of the source's reproducible archive.
  returned: always
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
src:
  description: The source directory, its links resolved.
  returned: always
  type: str
release:
  description: The release directory the source was unpacked into (or would be, in check mode).
  returned: when release was given
  type: str
stripped:
  description: Paths (relative to the code directory) whose setuid or setgid bit was removed; none from an archive the action packed.
  returned: when the source was unpacked
  type: list
  elements: str
"""

import base64

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.flaskops.production.plugins.module_utils.release_tree import unpack_release


def main():
    module = AnsibleModule(
        argument_spec={
            "src": {"type": "path", "required": True},
            "digest": {"type": "str"},
            "release": {"type": "path"},
            "archive": {"type": "str", "no_log": True},
        },
        supports_check_mode=True,
    )
    release = module.params["release"]
    if not release:
        module.fail_json(msg="release is required on the host")
    if module.check_mode:
        module.exit_json(changed=True, release=release, digest=module.params["digest"] or "",
                         src=module.params["src"])
    if not module.params["archive"]:
        module.fail_json(msg="archive is missing: the task runs through the flask_source action plugin")
    try:
        data = base64.b64decode(module.params["archive"])
    except (TypeError, ValueError) as exc:
        module.fail_json(msg="archive is not base64: %s" % exc)
    stripped = unpack_release(module, data, release)
    module.exit_json(changed=True, release=release, digest=module.params["digest"] or "",
                     src=module.params["src"], stripped=stripped)


if __name__ == "__main__":
    main()

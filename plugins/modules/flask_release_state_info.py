#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: flask_release_state_info
short_description: What the host has of an app's release, in one read-only call
description:
  - Tells whether release O(release) of the app under O(root) is complete (it has its
    C(release.json)), which release is live (the C(current) link), whether the release has a
    static folder, the stamp its last passed import check left, whether the live release's
    virtualenv holds the WSGI server's distribution (false after a change of server), and
    which shared files are kept under O(files_dir).
  - Reads only; on a host where O(root) does not exist yet it returns the empty state.
version_added: 1.1.0
options:
  root:
    description: The app's root directory (C(releases/) and C(current) are below it).
    type: path
    required: true
  release:
    description: The release's id (its directory's name under C(releases/)).
    type: str
    required: true
  static_dir:
    description: The static folder's path relative to the release's code directory.
    type: str
    default: static
  server_dist:
    description: The WSGI server's distribution name (C(gunicorn), C(waitress)); empty to skip that test.
    type: str
    default: ""
  files_dir:
    description: The shared files' directory; empty when the app has none.
    type: path
attributes:
  check_mode:
    description: Reads only, in check mode as in a real run.
    support: full
  diff_mode:
    description: Changes nothing, so has nothing to show.
    support: none
author: flaskops maintainers (@flaskops)
"""

EXAMPLES = r"""
- name: Look for the release on the host
  flaskops.production.flask_release_state_info:
    root: /srv/myapp
    release: 0123456789ab
    static_dir: static
    server_dist: gunicorn
    files_dir: /etc/flask/myapp.files
  register: myapp_state
"""

RETURN = r"""
complete:
  description: Whether the release is built and passed its health check (it has its release.json).
  returned: always
  type: bool
current_exists:
  description: Whether a live release exists (C(current) resolves).
  returned: always
  type: bool
current:
  description: The live release's id (the name C(current) points at), or null.
  returned: always
  type: str
current_has_server:
  description: Whether the live release's virtualenv holds O(server_dist) (true when O(server_dist) is empty).
  returned: always
  type: bool
static:
  description: Whether the release has the static folder.
  returned: always
  type: bool
checked:
  description: The stamp the release's last passed import check left, or an empty string.
  returned: always
  type: str
stored_files:
  description: The shared files kept under O(files_dir), relative to it, sorted.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.flaskops.production.plugins.module_utils.release_tree import release_state


def main():
    module = AnsibleModule(
        argument_spec={
            "root": {"type": "path", "required": True},
            "release": {"type": "str", "required": True},
            "static_dir": {"type": "str", "default": "static"},
            "server_dist": {"type": "str", "default": ""},
            "files_dir": {"type": "path"},
        },
        supports_check_mode=True,
    )
    params = module.params
    if "/" in params["release"] or params["release"] in ("", ".", ".."):
        module.fail_json(msg="release must be a release id, not a path (got %r)" % params["release"])
    module.exit_json(changed=False, **release_state(params["root"], params["release"], params["static_dir"],
                                                    params["server_dist"], params["files_dir"] or ""))


if __name__ == "__main__":
    main()

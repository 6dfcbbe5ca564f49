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
  - Tells whether release O(release.id) of the app under O(release.root) is complete (it has its
    C(release.json)), which release is live (the C(current) link), whether the release has a
    static folder, the stamp its last passed import check left, whether the live release's
    virtualenv holds the WSGI server's distribution (false after a change of server), and
    which shared files are kept under O(release.files_dir).
  - Reads only; on a host where O(release.root) does not exist yet it returns the empty state.
  - M(flaskops.production.flask_app_layout) answers the same in its own call, where the
    release is named before it runs.
version_added: 1.1.0
extends_documentation_fragment: [flaskops.production.release_lookup]
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
    release:
      root: /srv/myapp
      id: 0123456789ab
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
  description: Whether the live release's virtualenv holds O(release.server_dist) (true when it is empty).
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
  description: The shared files kept under O(release.files_dir), relative to it, sorted.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.flaskops.production.plugins.module_utils.release_tree import RELEASE_LOOKUP, look_up_release


def main():
    module = AnsibleModule(argument_spec={"release": RELEASE_LOOKUP}, supports_check_mode=True)
    if not module.params["release"]:
        module.fail_json(msg="release: the release to look up (root and id) is required")
    module.exit_json(changed=False, **look_up_release(module, module.params["release"]))


if __name__ == "__main__":
    main()

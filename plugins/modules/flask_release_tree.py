#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: flask_release_tree
short_description: Clear a release's directory before its source is unpacked, and seal the unpacked source
description:
  - With O(state=fresh), removes what a failed build of the release may have left and makes
    its empty code directory (root's, 0755).
  - With O(state=sealed), walks the unpacked code directory without following links and
    refuses the release when a link leaves the directory (an absolute target, or one that
    resolves outside it) or an entry is neither a file, a directory nor a link, naming the
    path; strips every setuid and setgid bit, so that nothing in a release runs with its
    owner's rights.
  - Check mode reports what would change and changes nothing.
version_added: 1.1.0
options:
  release:
    description: The release's directory; its code is in C(app) below it.
    type: path
    required: true
  state:
    description: C(fresh) before the unpack, C(sealed) after it.
    type: str
    choices: [fresh, sealed]
    required: true
author: flaskops maintainers (@flaskops)
"""

EXAMPLES = r"""
- name: Clear the release directory
  flaskops.production.flask_release_tree:
    release: /srv/myapp/releases/0123456789ab
    state: fresh

- name: Refuse outward links and strip setuid bits from the unpacked source
  flaskops.production.flask_release_tree:
    release: /srv/myapp/releases/0123456789ab
    state: sealed
"""

RETURN = r"""
cleared:
  description: With O(state=fresh), whether something was there before.
  returned: always
  type: bool
stripped:
  description: With O(state=sealed), the paths (relative to the code directory) whose setuid or setgid bit was removed.
  returned: always
  type: list
  elements: str
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.flaskops.production.plugins.module_utils.release_tree import TreeRefused, fresh, seal


def main():
    module = AnsibleModule(
        argument_spec={"release": {"type": "path", "required": True},
                       "state": {"type": "str", "choices": ["fresh", "sealed"], "required": True}},
        supports_check_mode=True,
    )
    release = module.params["release"]
    if module.params["state"] == "fresh":
        cleared = fresh(release, module.check_mode)
        module.exit_json(changed=True, cleared=cleared, stripped=[])
    code = os.path.join(release, "app")
    if not os.path.isdir(code):
        if module.check_mode:
            module.exit_json(changed=False, cleared=False, stripped=[])
        module.fail_json(msg="%s holds no unpacked source" % release)
    try:
        stripped = seal(code, check_mode=module.check_mode)
    except TreeRefused as refused:
        module.fail_json(msg="The source is refused: %s. Remove it from the source and deploy again." % refused)
    module.exit_json(changed=bool(stripped), cleared=False, stripped=stripped)


if __name__ == "__main__":
    main()

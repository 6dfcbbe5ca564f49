#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: flask_command
short_description: Install one of the collection's operator commands on a host
description:
  - Writes the operator's command O(name) as O(path), root's, mode 0755, from the same
    code the collection's modules use, when it is missing or differs (content, mode or
    owner). The file is written beside its place and moved in.
  - C(flask-release) (C(flask-release status|history ROOT)) is this collection's
    C(module_utils/release_tool.py); C(flask-lock) (C(flask-lock status NAME)) is its
    C(module_utils/deploy_lock.py), which the flask_lock module also installs.
version_added: 1.1.0
author: flaskops maintainers (@flaskops)
options:
  name:
    description: The command to install.
    type: str
    required: true
    choices: [flask-release, flask-lock]
  path:
    description: Where to install it; by default C(/usr/local/sbin/NAME).
    type: path
attributes:
  check_mode:
    description: Reports whether the command would be installed, writing nothing.
    support: full
  diff_mode:
    description: Shows the command's content before and after.
    support: full
"""

EXAMPLES = r"""
- name: Install the release tool
  flaskops.production.flask_command:
    name: flask-release
"""

RETURN = r"""
path:
  description: Where the command is.
  returned: always
  type: str
  sample: /usr/local/sbin/flask-release
"""

import inspect

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.flaskops.production.plugins.module_utils import deploy_lock, operator_command, release_tool

SOURCES = {"flask-release": release_tool, "flask-lock": deploy_lock}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True, choices=sorted(SOURCES)),
            path=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    name = module.params["name"]
    path = module.params["path"] or "/usr/local/sbin/" + name
    try:
        changed, before, after = operator_command.install(path, inspect.getsource(SOURCES[name]), module.check_mode)
    except (IOError, OSError) as exc:
        module.fail_json(msg="installing %s as %s: %s" % (name, path, exc))
    result = dict(changed=changed, path=path)
    if changed and module._diff:
        result["diff"] = dict(before=before, after=after, before_header=path, after_header=path)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: flask_app_accounts_info
short_description: Tell which of the apps' user and group names belong to another owner's account
description:
  - Reads the host's account databases and returns, for each app of O(apps), the user or
    group of its name that exists and was not made by this collection for that app.
    A deploy rewrites such a user's group, home and shell, and state absent deletes it.
  - A user is the collection's when its comment (GECOS) starts with C(flaskops app) (the
    comment M(flaskops.production.flask_app_layout) writes), or, for users made by earlier
    versions, which wrote no comment, when its comment is empty, its home is the app's root
    and its shell is nologin. A group is the collection's when it is the primary group of the
    app's own user.
  - Changes nothing.
version_added: 1.2.0
author: flaskops maintainers (@flaskops)
options:
  apps:
    description: The apps whose accounts to look at.
    type: list
    elements: dict
    required: true
    suboptions:
      app:
        description: The app's name.
        type: str
        required: true
      user:
        description: The app's user (default the app's name).
        type: str
      group:
        description: The app's group (default the app's name).
        type: str
      root:
        description: The app's root, the home of its user (default C(/srv/APP)).
        type: path
attributes:
  check_mode:
    description: Reads only; runs the same in check mode.
    support: full
  diff_mode:
    description: No diff (it changes nothing).
    support: none
"""

EXAMPLES = r"""
- name: Look for accounts of other owners under the apps' user and group names
  flaskops.production.flask_app_accounts_info:
    apps:
      - {app: shop, user: shop, group: shop, root: /srv/shop}
  register: accounts
"""

RETURN = r"""
foreign:
  description: One entry per user or group that exists and is not the collection's for that app.
  returned: always
  type: list
  elements: dict
  contains:
    app:
      description: The app's name.
      type: str
    account:
      description: C(user NAME) or C(group NAME).
      type: str
    why:
      description: What the account is (home, shell and comment, or gid).
      type: str
  sample: [{app: shop, account: user shop, why: "home /home/shop, shell /bin/bash, comment 'Shop'"}]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.flaskops.production.plugins.module_utils.app_accounts import foreign, read_accounts


def main():
    module = AnsibleModule(
        argument_spec=dict(
            apps=dict(type="list", elements="dict", required=True, options=dict(
                app=dict(type="str", required=True),
                user=dict(type="str"),
                group=dict(type="str"),
                root=dict(type="path"),
            )),
        ),
        supports_check_mode=True,
    )
    apps = module.params["apps"]
    accounts = read_accounts(set(name for app in apps for name in (app["user"] or app["app"], app["group"] or app["app"])))
    module.exit_json(changed=False, foreign=[problem for app in apps for problem in foreign(app, accounts)])


if __name__ == "__main__":
    main()

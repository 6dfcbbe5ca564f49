# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The seed of the modules that start the system packages' install in the background."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  seed:
    description:
      - The virtualenv to build while apt runs (first deploy of a source directory only).
      - C(python3-venv) is installed first and the release's virtualenv is built at
        O(seed.dir) while apt installs the rest, as the app's user in a transient unit under
        O(seed.sandbox). M(flaskops.production.flask_venv) moves it into the release when the
        release's inputs are the same; a seed that fails is removed.
    type: dict
    suboptions:
      dir:
        description: Where the seed virtualenv is built, in the app's root (beside C(current)).
        type: path
        required: true
      requirements:
        description: The text of the release's requirements file.
        type: str
        default: ""
      inputs:
        description: The extra packages pip installs after the requirements.
        type: list
        elements: str
        default: []
      user:
        description: The app's user, whom pip runs as (waited for where the same call or the play makes it).
        type: str
        required: true
      group:
        description: The app's group.
        type: str
        required: true
      sandbox:
        description: systemd properties of the transient unit pip runs in.
        type: list
        elements: str
        default: []
      timeout:
        description: The most seconds pip may take.
        type: int
        default: 900
"""

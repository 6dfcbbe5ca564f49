# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of the modules that run the app's code in a transient systemd unit."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  user:
    description: The app's user, who runs the app's code.
    type: str
    required: true
  group:
    description: The app's group.
    type: str
    required: true
  sandbox:
    description:
      - The unit properties (systemd.exec(5)) the app's code runs under, on top of
        NoNewPrivileges, ProtectSystem=strict, ProtectHome and PrivateTmp, which always apply.
    type: list
    elements: str
    default: []
"""

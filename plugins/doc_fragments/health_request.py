# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of the request that asks an app for its health URL."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  path:
    description: The health URL's path.
    type: str
    default: /
  status:
    description: Status codes that count as healthy.
    type: list
    elements: int
    default: [200]
"""

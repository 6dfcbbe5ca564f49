# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options naming the release and the app that the checks start."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  release:
    description: The release's directory (C(app) and C(venv) below it).
    type: path
    required: true
  module:
    description: The app, as C(module:callable) or C(module:factory()).
    type: str
    required: true
  env_file:
    description: The environment file the app runs with.
    type: path
    required: true
"""

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The release lookup of the modules that say what the host has of an app's release."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  release:
    description:
      - The release to look up, read only. The answer's keys are C(complete), C(current),
        C(current_exists), C(current_has_server), C(static), C(checked) and C(stored_files);
        on a host where O(release.root) does not exist yet it is the empty state.
    type: dict
    suboptions:
      root:
        description: The app's root directory (C(releases/) and C(current) are below it).
        type: path
        required: true
      id:
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
"""

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The site's health check, as the flask_health module and the flask_release module ask it:
one argument spec (the flask_health module's options, the flask_release module's
O(health)), one client (release_tool.probe, the operator's `flask-release probe`)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.flaskops.production.plugins.module_utils.release_tool import probe

HEALTH_OPTIONS = {
    "via": {"type": "str", "choices": ["https", "http", "unix"], "default": "https"},
    "address": {"type": "str", "required": True},
    "host": {"type": "str", "default": "localhost"},
    "path": {"type": "str", "default": "/"},
    "status": {"type": "list", "elements": "int", "default": [200]},
    "tries": {"type": "int", "default": 3},
    "timeout": {"type": "int", "default": 15},
}


def ask(params):
    """The site's answer to the health URL: ok, status, error, attempts."""
    return probe(params["via"], params["address"], params["host"], params["path"], params["status"],
                 max(params["tries"], 1), params["timeout"])


def where(params):
    """The URL asked and the address it was asked through, for messages."""
    return "%s://%s%s (through %s)" % (params["via"], params["host"], params["path"], params["address"])


def failure(params, answer):
    """Why the site failed its health check, in a sentence's middle."""
    if answer["status"] is None:
        return "GET %s was not answered after %d attempt(s): %s" % (where(params), answer["attempts"], answer["error"])
    return "GET %s answered %d, expected %s, after %d attempt(s)" % (
        where(params), answer["status"], " or ".join(map(str, params["status"])), answer["attempts"])

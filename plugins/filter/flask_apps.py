# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The one definition of an app's keys in flask_apps, and the filters that fill an item in
# (documented in flask_apps_item.yml, flask_apps_item_keys.yml, flask_apps_settings.yml),
# and the check of the apps' accounts against preflight's read (flask_apps_foreign.yml).

import copy

from ansible.errors import AnsibleFilterError
from ansible_collections.flaskops.production.plugins.module_utils.app_accounts import foreign

# What an item may set, and what it gets when it leaves a setting out (the flask_app role's
# own defaults for the flask_app_* variable of that name; make lint compares them).
APP_SETTINGS = {
    "source": "dir",
    "source_dir": "",
    "source_host_dir": "",
    "source_user": "",
    "git_repo": "",
    "git_version": "HEAD",
    "package": "",
    "module": "app:app",
    "requirements": "requirements.txt",
    "pip_packages": [],
    "wsgi_server": "gunicorn",
    "env": {},
    "secret_env": {},
    "static_dir": "static",
    "health_path": "/",
    "health_status": [200],
    "shared_paths": [],
    "shared_files": [],
    "release_commands": [],
    "release_commands_once": False,
    "processes": [],
    "timers": [],
}
# The certificate settings an item may set for its own site; the rest of tls_* stays the host's.
TLS_SETTINGS = ("tls_mode", "tls_provided_certificate", "tls_provided_private_key",
                "tls_provided_certificate_file", "tls_provided_private_key_file")
# What an item is, beside its settings; port only on a fleet's app server.
ITEM_KEYS = ("name", "server_names", "state", "purge_data")
FLEET_KEYS = ("port",)


def flask_apps_settings(defaults):
    """The item defaults, each overridden by flask_apps_defaults (keys of APP_SETTINGS only)."""
    if not isinstance(defaults, dict):
        raise AnsibleFilterError("flask_apps_defaults must be a mapping of item settings (%s), got %s"
                                 % (", ".join(APP_SETTINGS), type(defaults).__name__))
    unknown = sorted(set(defaults) - set(APP_SETTINGS))
    if unknown:
        raise AnsibleFilterError("flask_apps_defaults takes the item settings %s, not %s"
                                 % (", ".join(APP_SETTINGS), ", ".join(unknown)))
    settings = copy.deepcopy(APP_SETTINGS)
    settings.update(defaults)
    return settings


def flask_apps_item_keys(fleet=False):
    """Every key an item of flask_apps may carry."""
    return list(APP_SETTINGS) + list(ITEM_KEYS) + list(TLS_SETTINGS) + (list(FLEET_KEYS) if fleet else [])


def flask_apps_item(item, settings, host_tls):
    """The item's settings and certificate settings, each one it leaves out filled in."""
    if not isinstance(item, dict):
        raise AnsibleFilterError("a flask_apps item must be a mapping, got %s" % type(item).__name__)
    filled = dict((key, item[key] if key in item else settings[key]) for key in APP_SETTINGS)
    filled.update((key, item[key] if key in item else host_tls[key]) for key in TLS_SETTINGS)
    return filled


def flask_apps_foreign(apps, accounts):
    """The apps' user and group names that are another owner's account, judged from the
    accounts preflight read (the same verdict as the flask_app_accounts_info module)."""
    if not isinstance(accounts, dict) or not {"users", "groups"} <= set(accounts):
        raise AnsibleFilterError("flask_apps_foreign needs preflight's accounts (users and groups), got %r" % (accounts,))
    for app in apps:
        for name in (app.get("user") or app["app"], app.get("group") or app["app"]):
            if name not in accounts["users"] or name not in accounts["groups"]:
                raise AnsibleFilterError("flask_apps_foreign: preflight did not read the account %s" % name)
    return [problem for app in apps for problem in foreign(app, accounts)]


class FilterModule(object):
    def filters(self):
        return {
            "flask_apps_foreign": flask_apps_foreign,
            "flask_apps_item": flask_apps_item,
            "flask_apps_item_keys": flask_apps_item_keys,
            "flask_apps_settings": flask_apps_settings,
        }

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# From the adoption's plan (flaskops.production.flask_devserver_info) to flask_apps items,
# and from those to the inventory adopt.yml writes (documented in flask_adopt_*.yml).

from ansible.errors import AnsibleFilterError


def flask_adopt_items(servers, valued):
    """Each server's flask_apps item, with the values of its carried variables (from the
    same module's run with values: true, matched by port) as its secret_env."""
    values = dict((server.get("port"), server.get("env_values") or {}) for server in valued or [])
    items = []
    for server in servers or []:
        if server.get("port") not in values:
            raise AnsibleFilterError("the development server on port %s stopped between the plan and the adoption: "
                                     "nothing was changed; run the adoption again" % server.get("port"))
        item = dict(server["item"])
        item["secret_env"] = dict(values[server["port"]])
        items.append(item)
    return items


def flask_adopt_inventory(items, secrets_var="adopt_secret_env"):
    """The items as the inventory keeps them: each secret_env read from secrets_var[name]
    (the vault file's variable) instead of holding the values."""
    out = []
    for item in items or []:
        kept = dict((key, value) for key, value in item.items() if key != "secret_env")
        kept["secret_env"] = "{{ %s[%r] }}" % (secrets_var, item["name"])
        out.append(kept)
    return out


def flask_adopt_secrets(items):
    """{app name: its secret_env}, for the vault file."""
    return dict((item["name"], dict(item.get("secret_env") or {})) for item in items or [])


class FilterModule(object):
    def filters(self):
        return {
            "flask_adopt_items": flask_adopt_items,
            "flask_adopt_inventory": flask_adopt_inventory,
            "flask_adopt_secrets": flask_adopt_secrets,
        }

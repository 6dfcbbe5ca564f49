# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which of an app's user and group names belong to another owner's account. The host's
accounts are read as plain data (read_accounts), so that the same verdict is reached on
the host (flask_app_accounts_info) and on the controller from preflight's fact read
(the flask_apps_foreign filter)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import grp
import pwd

# The comment flask_app_layout writes on an app's user.
MARKER = "flaskops app"
NOLOGIN = ("/usr/sbin/nologin", "/sbin/nologin")


def read_accounts(names):
    """{"users": {name: {gid, home, shell, comment} or None}, "groups": {name: gid or None}}
    for each name, as the host's account databases (NSS) answer."""
    users, groups = {}, {}
    for name in names:
        try:
            found = pwd.getpwnam(name)
            users[name] = {"gid": found.pw_gid, "home": found.pw_dir, "shell": found.pw_shell,
                           "comment": found.pw_gecos}
        except KeyError:
            users[name] = None
        try:
            groups[name] = grp.getgrnam(name).gr_gid
        except KeyError:
            groups[name] = None
    return {"users": users, "groups": groups}


def user_is_ours(user, root):
    """A user is the collection's when its comment carries the marker, or (made by earlier
    versions, which wrote no comment) its comment is empty, its home the app's root and
    its shell nologin."""
    if user["comment"].startswith(MARKER):
        return True
    return user["comment"] == "" and user["home"].rstrip("/") == root.rstrip("/") and user["shell"] in NOLOGIN


def foreign(app, accounts):
    """The problems of one app (keys app, user, group, root) given read_accounts' answer."""
    name = app["app"]
    user_name, group_name = app.get("user") or name, app.get("group") or name
    root = app.get("root") or "/srv/" + name
    found = []
    user = accounts["users"].get(user_name)
    ours = user is not None and user_is_ours(user, root)
    if user is not None and not ours:
        found.append({"app": name, "account": "user " + user_name,
                      "why": "home %s, shell %s, comment '%s'" % (user["home"], user["shell"], user["comment"])})
    gid = accounts["groups"].get(group_name)
    if gid is not None and (not ours or user["gid"] != gid):
        found.append({"app": name, "account": "group " + group_name,
                      "why": "gid %d, not the primary group of the app's own user" % gid})
    return found

"""flask_app_accounts_info: an existing account is the collection's only when its comment
says so (or it looks like one made by an earlier version); it changes nothing."""
import grp
import os
import pwd

from ansible_collections.flaskops.production.plugins.module_utils import app_accounts
from ansible_collections.flaskops.production.plugins.modules import flask_app_accounts_info

from modulelib import run_module

ME = pwd.getpwuid(os.getuid())
GROUP = grp.getgrgid(ME.pw_gid).gr_name


def user(gecos, home="/srv/shop", shell="/usr/sbin/nologin", gid=ME.pw_gid):
    return {"gid": gid, "home": home, "shell": shell, "comment": gecos}


def test_unknown_names_are_free():
    result = run_module(flask_app_accounts_info, dict(apps=[dict(app="flaskops-no-such-app")]), check_mode=True)
    assert result == dict(result, changed=False, foreign=[]), result


def test_an_existing_account_of_another_owner_is_named():
    result = run_module(flask_app_accounts_info, dict(apps=[dict(app="x", user=ME.pw_name, group=GROUP, root="/srv/x")]))
    assert [p["account"] for p in result["foreign"]] == ["user " + ME.pw_name, "group " + GROUP], result


def test_marked_and_old_style_users_are_ours():
    assert app_accounts.user_is_ours(user("flaskops app shop"), "/srv/shop")
    assert app_accounts.user_is_ours(user("", home="/srv/shop/"), "/srv/shop")
    assert not app_accounts.user_is_ours(user("", shell="/bin/bash"), "/srv/shop")
    assert not app_accounts.user_is_ours(user("Shop Owner"), "/srv/shop")


def test_a_group_of_ours_is_the_primary_group_of_our_user():
    ours = {"users": {"shop": user("flaskops app shop")}, "groups": {"shop": ME.pw_gid}}
    assert app_accounts.foreign(dict(app="shop"), ours) == []
    other_gid = dict(ours, groups={"shop": ME.pw_gid + 1})
    assert [p["account"] for p in app_accounts.foreign(dict(app="shop"), other_gid)] == ["group shop"]

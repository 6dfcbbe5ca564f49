"""Which of the apps' accounts on this host belong to someone else (run by the flask_apps role).

argv[1]: JSON list of {"app", "user", "group", "root"}. Prints a JSON list of
{"app", "account", "why"}, one per user or group that exists on the host and was not
made by this project for that app. Reads the account databases only; changes nothing.

An account is the project's when its comment (GECOS) starts with MARKER (the flask_app
role writes it), or, for users made by earlier versions, which wrote no comment, when
its comment is empty, its home is the app's root and its shell is nologin. A group is
the project's when it is the primary group of the app's own user.
"""
import grp
import json
import pwd
import sys

MARKER = "flaskops app"
NOLOGIN = ("/usr/sbin/nologin", "/sbin/nologin")


def user_is_ours(user, root):
    if user.pw_gecos.startswith(MARKER):
        return True
    return user.pw_gecos == "" and user.pw_dir.rstrip("/") == root.rstrip("/") and user.pw_shell in NOLOGIN


def foreign(app):
    app = {"user": app["app"], "group": app["app"], "root": "/srv/" + app["app"], **app}
    found = []
    try:
        user = pwd.getpwnam(app["user"])
    except KeyError:
        user = None
    if user is not None and not user_is_ours(user, app["root"]):
        found.append({"app": app["app"], "account": "user " + app["user"],
                      "why": "home %s, shell %s, comment '%s'" % (user.pw_dir, user.pw_shell, user.pw_gecos)})
    try:
        group = grp.getgrnam(app["group"])
    except KeyError:
        group = None
    if group is not None and (user is None or not user_is_ours(user, app["root"]) or user.pw_gid != group.gr_gid):
        found.append({"app": app["app"], "account": "group " + app["group"],
                      "why": "gid %d, not the primary group of the app's own user" % group.gr_gid})
    return found


print(json.dumps([problem for app in json.loads(sys.argv[1]) for problem in foreign(app)]))

"""flask_apps filters: one definition of an app's keys. An item gets every setting it
leaves out from flask_apps_defaults or the flask_app role's defaults, its certificate
settings from the host's, and the play that makes it current names every key."""
import os

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.flaskops.production.plugins.filter import flask_apps

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..")
HOST_TLS = {key: "host-" + key for key in flask_apps.TLS_SETTINGS}


def test_an_item_gets_what_it_leaves_out_from_the_defaults_and_the_host():
    settings = flask_apps.flask_apps_settings({"wsgi_server": "waitress"})
    filled = flask_apps.flask_apps_item({"name": "api", "module": "api:app", "tls_mode": "provided"}, settings, HOST_TLS)
    assert filled["module"] == "api:app" and filled["wsgi_server"] == "waitress" and filled["source"] == "dir"
    assert filled["tls_mode"] == "provided" and filled["tls_provided_certificate"] == "host-tls_provided_certificate"
    assert set(filled) == set(flask_apps.APP_SETTINGS) | set(flask_apps.TLS_SETTINGS)


def test_an_item_never_shares_a_default_list_with_another():
    settings = flask_apps.flask_apps_settings({})
    settings["env"]["X"] = "1"
    assert flask_apps.flask_apps_settings({})["env"] == {}


def test_an_unknown_default_is_refused_by_name():
    with pytest.raises(AnsibleFilterError, match="not colour"):
        flask_apps.flask_apps_settings({"colour": "blue"})
    with pytest.raises(AnsibleFilterError, match="mapping"):
        flask_apps.flask_apps_settings(["module"])


def test_port_is_a_key_on_a_fleet_only():
    assert "port" in flask_apps.flask_apps_item_keys(True)
    assert "port" not in flask_apps.flask_apps_item_keys(False)
    assert {"name", "server_names", "state", "purge_data", "tls_mode", "module"} <= set(flask_apps.flask_apps_item_keys())


def test_item_defaults_are_the_flask_app_roles_own():
    """What an item leaves out defaults as for a single app (the demo app's source_dir and module aside)."""
    with open(os.path.join(ROOT, "roles", "flask_app", "defaults", "main.yml"), encoding="utf-8") as handle:
        role = yaml.safe_load(handle)
    differ = [key for key, value in flask_apps.APP_SETTINGS.items()
              if role.get("flask_app_" + key, value) != value and key not in ("source_dir", "module")]
    assert not differ, "item defaults differ from the flask_app role's: %s" % differ
    assert all("flask_app_" + key in role for key in flask_apps.APP_SETTINGS)


def test_the_play_makes_every_setting_of_an_item_current():
    with open(os.path.join(ROOT, "playbooks", "tasks", "app-vars.yml"), encoding="utf-8") as handle:
        task = yaml.safe_load(handle)[0]
    assert task["vars"]["flask_apps_filled"].startswith("{{ flask_apps_app | flaskops.production.flask_apps_item(")
    made = set(task["ansible.builtin.set_fact"])
    wanted = {"flask_app_" + key for key in flask_apps.APP_SETTINGS} | set(flask_apps.TLS_SETTINGS)
    assert wanted <= made, "app-vars.yml does not set %s" % sorted(wanted - made)
    for key in flask_apps.APP_SETTINGS:
        assert task["ansible.builtin.set_fact"]["flask_app_" + key] == "{{ flask_apps_filled.%s }}" % key


def test_foreign_accounts_judged_from_preflight_read_as_the_module_judges_them():
    """preflight's raw read (roles/preflight/files/facts.py) answers as read_accounts does, and
    the filter's verdict on that answer is the module's on the same host."""
    import grp
    import json
    import pwd
    import subprocess
    import sys

    from ansible_collections.flaskops.production.plugins.module_utils import app_accounts

    me = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid()).gr_name
    names = [me, group, "flaskops-no-such-app"]
    script = os.path.join(os.path.dirname(__file__), "../../../../roles/preflight/files/facts.py")
    out = subprocess.run([sys.executable, script, json.dumps(names)], check=True, stdout=subprocess.PIPE)
    read = json.loads(out.stdout.decode().splitlines()[-1])["accounts"]
    assert read == app_accounts.read_accounts(names)
    apps = [dict(app="x", user=me, group=group, root="/srv/x"), dict(app="flaskops-no-such-app")]
    found = flask_apps.flask_apps_foreign(apps, read)
    assert [p["account"] for p in found] == ["user " + me, "group " + group]
    assert found == [p for app in apps for p in app_accounts.foreign(app, app_accounts.read_accounts(names))]


def test_foreign_accounts_need_every_name_read():
    with pytest.raises(AnsibleFilterError, match="did not read the account shop"):
        flask_apps.flask_apps_foreign([dict(app="shop")], {"users": {}, "groups": {}})

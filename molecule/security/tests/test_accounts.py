"""An app named after a system account or a service, or whose user is an account the
collection did not make, is refused before any change, naming it; the accounts stay as
they were. The app's own account carries the collection's mark, and an account made by an
earlier version (no mark) is still the app's."""
import json
import os

import pytest
from conftest import APP, PROJECT, run_playbook

DEPLOY = os.path.join(PROJECT, "playbooks", "deploy.yml")
WEBSERVERS = os.path.join(PROJECT, "playbooks", "webservers.yml")
# A person's account on the host, with a name no list of reserved names holds.
PERSON = "alice"


def accounts(host, *names):
    return host.run("getent passwd " + " ".join(names) + "; getent group " + " ".join(names)).stdout


def absent_item(name):
    return ("-e", json.dumps({"flask_apps": [{"name": name, "server_names": ["localhost"], "state": "absent"}]}))


@pytest.fixture(scope="module")
def person(host):
    host.run(f"id {PERSON} || useradd --create-home --shell /bin/bash --comment 'Alice Example' {PERSON}")
    assert host.user(PERSON).shell == "/bin/bash"
    return PERSON


def assert_refused_naming(result, message, changed_nothing=True):
    assert result.returncode != 0, f"the deploy was not refused:\n{result.output[-3000:]}"
    assert not changed_nothing or result.changed == 0, f"the refused run changed something:\n{result.output[-3000:]}"
    assert message in " ".join(result.output.split()), result.output[-3000:]


@pytest.mark.parametrize("playbook,args,name,message", [
    (DEPLOY, ("-e", "flask_app_name=root"), "root", "flask_app_name 'root' is a system account's or a service's name"),
    (DEPLOY, ("-e", "flask_app_name=sshd"), "sshd", "flask_app_name 'sshd' is a system account's"),
    (DEPLOY, ("-e", "flask_app_name=systemd-network"), "systemd-network", "flask_app_name 'systemd-network' is a system"),
    (WEBSERVERS, absent_item("www-data"), "www-data",
     "flask_apps item 0 (name 'www-data'): 'www-data' is a system account's or a service's name"),
    (WEBSERVERS, absent_item("nobody"), "nobody", "flask_apps item 0 (name 'nobody'): 'nobody' is a system account's"),
])
def test_a_system_account_name_is_refused_and_the_account_untouched(host, playbook, args, name, message):
    before = accounts(host, name)
    assert name in before, f"{name} is not an account of the test host: nothing to protect"
    assert_refused_naming(run_playbook(playbook, *args), message)
    assert accounts(host, name) == before, f"the refused run changed the account {name}"


@pytest.mark.parametrize("playbook,args,message", [
    (DEPLOY, ("-e", f"flask_app_name={PERSON}"),
     f"flask_app_name '{PERSON}': the user {PERSON} already exists on molecule-security and was not made by this collection"),
    (WEBSERVERS, absent_item(PERSON),
     f"flask_apps item '{PERSON}': the user {PERSON} already exists on molecule-security and was not made"),
])
def test_an_existing_account_the_collection_did_not_make_is_refused_and_untouched(host, person, playbook, args, message):
    before = accounts(host, person)
    result = run_playbook(playbook, *args)
    assert_refused_naming(result, message)
    assert f"the group {person} already exists" in " ".join(result.output.split()), result.output[-3000:]
    assert accounts(host, person) == before, f"the refused run changed the account {person}"
    assert host.file(f"/home/{person}").is_directory, "the refused run removed the person's home"


def test_the_apps_own_account_is_marked_and_one_of_an_earlier_version_still_deploys(host):
    assert host.user(APP).gecos == f"flaskops app {APP}", "the app's user lacks the collection's mark"
    # An earlier version made the user without a comment.
    host.check_output(f"usermod --comment '' {APP}")
    result = run_playbook(DEPLOY)
    assert result.returncode == 0, f"the app's own unmarked user was refused:\n{result.output[-3000:]}"
    assert host.user(APP).gecos == f"flaskops app {APP}", "the deploy did not mark the app's user"
    assert host.user(APP).shell == "/usr/sbin/nologin" and host.user(APP).home == f"/srv/{APP}"

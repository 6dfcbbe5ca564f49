#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: flask_app_layout
short_description: Make an app's group, user, directories and root's files, and say which system packages are missing
description:
  - Makes the app's system group and its system user (no login, home the app's root, a
    comment that marks the account as this collection's), or sets the user's group, home,
    shell and comment where they differ.
  - Then puts O(dirs) and O(files) in place with their owner, group and mode, as
    M(flaskops.production.flask_config) does (atomic writes; a link where a file belongs is
    replaced, never followed; one where a directory belongs is refused).
  - Compares O(compare) with the host without writing it, for a later task that writes
    the same file (the live environment file, written once the release's checks pass).
  - Reports which of O(packages) dpkg does not list as installed. With O(status), starts
    their install in the background first (as M(flaskops.production.flask_packages) does with
    O(flaskops.production.flask_packages#module:state=started), the seed included), so that
    apt runs while this call and the play go on; M(flaskops.production.flask_packages) with
    O(flaskops.production.flask_packages#module:state=finished) waits for it.
  - With O(checksum_key), returns the keyed digest of each file marked O(files[].keyed),
    under the host's random key (read, or drawn where there is none); the key itself never
    leaves the host.
  - With O(release), returns what the host has of that release (as
    M(flaskops.production.flask_release_state_info) does), in the same call.
  - The action plugin of the same name sends a large file's SHA-1 instead of its content,
    and the content only where the host's file differs, so that a run that changes nothing
    does not carry it.
  - In check mode nothing is changed, and the module returns what a real run would change.
version_added: 1.2.0
author: flaskops maintainers (@flaskops)
extends_documentation_fragment: [flaskops.production.release_lookup, flaskops.production.packages_seed]
options:
  group:
    description: The app's system group.
    type: str
    required: true
  user:
    description: The app's system user, whose primary group is O(group).
    type: str
    required: true
  home:
    description: The user's home, the app's root (not created by the user's creation).
    type: path
    required: true
  shell:
    description: The user's shell.
    type: path
    default: /usr/sbin/nologin
  comment:
    description: The user's comment (GECOS).
    type: str
    default: ""
  dirs:
    description: The app's directories, made in order after the user.
    type: list
    elements: dict
    default: []
    suboptions:
      path: &path
        description: The absolute path.
        type: path
        required: true
      owner: &owner
        description: The owner's name.
        type: str
        default: root
      group: &group
        description: The group's name.
        type: str
        default: root
      mode:
        description: The mode, as an octal string.
        type: str
        default: "0755"
  files:
    description: Files to keep with this content, owner, group and mode.
    type: list
    elements: dict
    default: []
    suboptions: &file_suboptions
      path: *path
      content:
        description: The file's content (or O(files[].sha1) alone, which the action plugin sends first).
        type: str
      sha1:
        description:
          - The SHA-1 of the file's content in UTF-8, given instead of O(files[].content).
          - Where the host's file has another content, the module changes nothing and
            returns the path in RV(need_content); the action plugin of the same name then
            calls it again with the content.
        type: str
      owner: *owner
      group: *group
      mode:
        description: The mode, as an octal string.
        type: str
        default: "0644"
      diff:
        description:
          - Whether the diff shows this file's content. Set V(false) for a file that holds
            secrets; its diff then says only that the content changed, and the content is
            kept out of every output of the module.
        type: bool
        default: true
      keyed:
        description:
          - Whether RV(keyed) holds this file's keyed digest (HMAC-SHA256 under the host's
            key of the content's SHA-1). Needs O(checksum_key).
        type: bool
        default: false
  compare:
    description:
      - Files compared with the host as O(files) are, never written; those that differ are
        in RV(differs). Each item takes the options of an item of O(files).
    type: list
    elements: dict
    default: []
    suboptions: *file_suboptions
  packages:
    description: Debian packages to look up with dpkg; those not installed are in RV(packages_missing).
    type: list
    elements: str
    default: []
  status:
    description:
      - The status file of the background install of RV(packages_missing) (one per app). Without
        it nothing is installed. In check mode nothing is started.
    type: path
  checksum_key:
    description:
      - The host's key for the keyed digests of O(files[].keyed).
      - A file that is not a non-empty regular file of the owner's with mode 0600 counts as
        none. A new key is then drawn from the system's random source and written atomically
        in its place (a link there is replaced, never followed), and the module reports a
        change whose diff never shows the key.
      - In check mode a key that would be drawn lives for the run only.
    type: dict
    suboptions:
      path:
        description: The key file.
        type: path
        default: /etc/flask-checksum.key
      owner:
        description: The key file's owner.
        type: str
        default: root
attributes:
  check_mode:
    description: Reads the host, changes nothing, and returns what a real run would change.
    support: full
  diff_mode:
    description: A diff for the accounts and for each path that differs (content, or type, mode, owner and group).
    support: full
"""

EXAMPLES = r"""
- name: Make the app's user, group, directories and the release tool
  flaskops.production.flask_app_layout:
    group: shop
    user: shop
    home: /srv/shop
    comment: flaskops app shop
    dirs:
      - {path: /srv/shop, mode: "0755"}
      - {path: /srv/shop/data, owner: shop, group: shop, mode: "0750"}
    files:
      - path: /etc/flask/shop.env.next
        content: "{{ lookup('ansible.builtin.template', 'app.env.j2') }}"
        group: shop
        mode: "0640"
        diff: false
    compare:
      - {path: /etc/flask/shop.env, content: "...", group: shop, mode: "0640", diff: false}
    packages: [python3-venv, git]
  register: layout
"""

RETURN = r"""
accounts:
  description: The accounts made or set (or that would be, in check mode), as C(group NAME) and C(user NAME).
  returned: always
  type: list
  elements: str
  sample: [group shop, user shop]
changed_paths:
  description: The paths of O(dirs) and O(files) that differed, in order.
  returned: always
  type: list
  elements: str
  sample: [/srv/shop, /etc/flask/shop.env.next]
differs:
  description: The paths of O(compare) that differ from the host.
  returned: always
  type: list
  elements: str
  sample: [/etc/flask/shop.env]
packages_missing:
  description: The packages of O(packages) that dpkg does not list as installed (all of them when dpkg cannot tell).
  returned: always
  type: list
  elements: str
  sample: [python3-venv]
packages_started:
  description: Whether this call started the install of RV(packages_missing) (O(status) given, not in check mode).
  returned: always
  type: bool
keyed:
  description: The keyed digest of each file marked O(files[].keyed), by path.
  returned: when O(checksum_key) is given
  type: dict
  sample: {/etc/flask/shop.env.next: 5d41402abc4b2a76b9719d911017c592...}
release:
  description: What the host has of O(release), as M(flaskops.production.flask_release_state_info) returns it.
  returned: when O(release) is given
  type: dict
need_content:
  description:
    - The paths of O(files) given by O(files[].sha1) alone whose host file differs; when
      there are any, nothing else was done and the other return values are empty.
  returned: always
  type: list
  elements: str
diff:
  description: One entry per difference, each with before, after and their headers.
  returned: in diff mode, when something differs
  type: list
  elements: dict
"""

import grp
import hashlib
import pwd

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.flaskops.production.plugins.module_utils.background_apt import SEED_SPEC, missing_packages, start
from ansible_collections.flaskops.production.plugins.module_utils.checksum_key import host_key, keyed_digest
from ansible_collections.flaskops.production.plugins.module_utils.config_set import ConfigError, apply, look, plan
from ansible_collections.flaskops.production.plugins.module_utils.release_tree import RELEASE_LOOKUP, look_up_release

DIR_OPTIONS = dict(
    path=dict(type="path", required=True),
    owner=dict(type="str", default="root"),
    group=dict(type="str", default="root"),
    mode=dict(type="str", default="0755"),
)
FILE_OPTIONS = dict(
    path=dict(type="path", required=True),
    content=dict(type="str"),
    sha1=dict(type="str"),
    owner=dict(type="str", default="root"),
    group=dict(type="str", default="root"),
    mode=dict(type="str", default="0644"),
    diff=dict(type="bool", default=True),
    keyed=dict(type="bool", default=False),
)


def account_text(user):
    if user is None:
        return ""
    return "user %s: group %s, home %s, shell %s, comment '%s'\n" % user


def plan_accounts(params):
    """The useradd/groupadd/usermod steps, as (account, argv, before, after) for the diff."""
    steps = []
    try:
        grp.getgrnam(params["group"])
    except KeyError:
        steps.append(("group " + params["group"], ["groupadd", "--system", params["group"]],
                      "", "group %s (system)\n" % params["group"]))
    want = (params["user"], params["group"], params["home"], params["shell"], params["comment"])
    try:
        found = pwd.getpwnam(params["user"])
    except KeyError:
        found = None
    if found is None:
        steps.append(("user " + params["user"],
                      ["useradd", "--system", "--gid", params["group"], "--home-dir", params["home"],
                       "--no-create-home", "--shell", params["shell"], "--comment", params["comment"], params["user"]],
                      "", account_text(want)))
        return steps
    try:
        group = grp.getgrgid(found.pw_gid).gr_name
    except KeyError:
        group = str(found.pw_gid)
    have = (found.pw_name, group, found.pw_dir, found.pw_shell, found.pw_gecos)
    if have != want:
        steps.append(("user " + params["user"],
                      ["usermod", "--gid", params["group"], "--home", params["home"], "--shell", params["shell"],
                       "--comment", params["comment"], params["user"]],
                      account_text(have), account_text(want)))
    return steps


def host_sha1(path):
    """The SHA-1 of a regular file's content and the content as text, read without
    following a link; (None, None) for anything else."""
    try:
        found = look(path)
    except OSError:
        return None, None
    if found["kind"] != "file":
        return None, None
    return hashlib.sha1(found["content"]).hexdigest(), found["content"].decode("utf-8", "replace")


def items(module, key, state):
    """The items of one option, each with its content: an item given by its SHA-1 alone
    takes the host's content where that has the same digest, else it is listed in
    the second value (and has no content)."""
    found, differ = [], []
    for item in module.params[key]:
        item = dict(item, state=state)
        if state == "directory":
            item["diff"] = True
        elif item["content"] is None:
            if item["sha1"] is None:
                module.fail_json(msg="%s: a file needs its content or its sha1" % item["path"])
            digest, text = host_sha1(item["path"])
            if digest != item["sha1"]:
                differ.append(item["path"])
                continue
            item["content"] = text
        if state == "file" and not item["diff"]:
            module.no_log_values.add(item["content"])
        found.append(item)
    return found, differ


def keyed_digests(module, listed):
    """(drawn, digests): whether the host's key was drawn now, and the keyed digest of
    each listed item marked keyed, by path."""
    where = module.params["checksum_key"]
    try:
        key, drawn = host_key(where["path"], where["owner"], module.check_mode)
    except KeyError:
        module.fail_json(msg="checksum_key: the key's owner %s does not exist" % where["owner"])
    except OSError as exc:
        module.fail_json(msg="checksum_key: %s could not be written: %s" % (where["path"], exc))
    module.no_log_values.add(key)
    digests = {}
    for item in listed:
        if item["keyed"]:
            sha1 = item["sha1"] or hashlib.sha1(item["content"].encode("utf-8")).hexdigest()
            digests[item["path"]] = keyed_digest(key, sha1)
    return drawn, digests


def main():
    module = AnsibleModule(
        argument_spec=dict(
            group=dict(type="str", required=True),
            user=dict(type="str", required=True),
            home=dict(type="path", required=True),
            shell=dict(type="path", default="/usr/sbin/nologin"),
            comment=dict(type="str", default=""),
            dirs=dict(type="list", elements="dict", default=[], options=DIR_OPTIONS),
            files=dict(type="list", elements="dict", default=[], options=FILE_OPTIONS),
            compare=dict(type="list", elements="dict", default=[], options=FILE_OPTIONS),
            packages=dict(type="list", elements="str", default=[]),
            # Where the key is and whose it is, not the key: no_log=False says so to the sanity test.
            checksum_key=dict(type="dict", no_log=False, options=dict(
                path=dict(type="path", default="/etc/flask-checksum.key"),
                owner=dict(type="str", default="root"),
            )),
            release=RELEASE_LOOKUP,
            status=dict(type="path"),
            seed=SEED_SPEC,
        ),
        supports_check_mode=True,
    )
    release = module.params["release"]
    state = look_up_release(module, release) if release else None
    for item in module.params["files"] + module.params["compare"]:
        if not item["diff"] and item["sha1"]:
            module.no_log_values.add(item["sha1"])
    dirs, dummy = items(module, "dirs", "directory")
    files, need_content = items(module, "files", "file")
    if need_content:
        module.exit_json(changed=False, need_content=need_content, accounts=[], changed_paths=[], differs=[],
                         packages_missing=[], packages_started=False)
    # First, so that apt runs while the rest of this call and the play go on (a seed waits
    # for the app's user, made below).
    missing = missing_packages(module.params["packages"])
    started = bool(missing and module.params["status"] and not module.check_mode)
    if started:
        start(module.params["status"], module.params["packages"], module.params["seed"])
    wanted = dirs + files
    compared, differs = items(module, "compare", "file")
    accounts = plan_accounts(module.params)
    result = dict(changed=False, accounts=[name for name, dummy, dummy, dummy in accounts], changed_paths=[],
                  differs=[], need_content=[], packages_missing=missing, packages_started=started)
    diffs = [{"before_header": name, "after_header": name, "before": before, "after": after}
             for name, dummy, before, after in accounts]
    if not module.check_mode:
        for name, argv, dummy, dummy in accounts:
            rc, out, err = module.run_command(argv)
            if rc != 0:
                module.fail_json(msg="%s failed: %s" % (" ".join(argv[:2] + argv[-1:]), (err or out).strip()), **result)
    try:
        # In check mode an account that is still to be made counts as different (config_set.ids).
        changes = plan(wanted, module.check_mode)
        found = differs + [item["path"] for item, dummy, dummy, dummy in plan(compared, True)]
        result["differs"] = [item["path"] for item in module.params["compare"] if item["path"] in found]
    except (ConfigError, OSError) as exc:
        module.fail_json(msg=str(exc), **result)
    result["changed_paths"] = [item["path"] for item, dummy, dummy, dummy in changes]
    diffs += [entry for dummy, dummy, dummy, entries in changes for entry in entries]
    if not module.check_mode and changes:
        try:
            apply(changes)
        except (ConfigError, OSError) as exc:
            module.fail_json(msg=str(exc), **result)
    drawn = False
    if module.params["checksum_key"]:
        drawn, result["keyed"] = keyed_digests(module, files + compared)
        if drawn:
            path = module.params["checksum_key"]["path"]
            result["changed_paths"].append(path)
            diffs.append({"before_header": path, "after_header": path, "before": "",
                          "after": "(a new key, content hidden)\n"})
    if release:
        result["release"] = state
    result["changed"] = bool(accounts or changes or drawn or (missing and module.params["status"]))
    if module._diff and diffs:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()

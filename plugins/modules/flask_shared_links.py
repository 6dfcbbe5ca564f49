#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: flask_shared_links
short_description: Link an app's shared paths and files into a release, following no link
description:
  - Links each shared path (a directory under the app's data directory, created empty
    when missing) and each shared file (kept once under O(files_dir)) into a release's
    code directory.
  - A release's own copy of a shared path is removed in favour of the link; nothing is
    ever copied into the data directory. A regular file that the app wrote where a shared
    file's link belongs in the data directory is kept, and the module fails.
  - Links to a kept shared file that O(files) no longer names are removed from every
    release and from the data directory; the file itself stays.
  - Root follows no link that the app or its source controls. Each path is walked one
    component at a time without following links, and a component that is a link where a
    directory belongs (say a committed C(instance -> /etc), or a link the running app
    planted in its data directory) fails the task, naming the path. Owners and modes are
    set on the opened directory, never by path.
version_added: 1.1.0
author: flaskops maintainers (@flaskops)
options:
  code:
    description: The release's code directory (root's), where the links go.
    type: path
    required: true
  data:
    description: The app's data directory, where shared paths live.
    type: path
    required: true
  files_dir:
    description: The directory that holds the shared files.
    type: path
    required: true
  releases:
    description: The directory of every release, searched for links of a dropped shared file.
    type: path
    required: true
  user:
    description: The app's user, owner of the directories made under O(data).
    type: str
    required: true
  group:
    description: The app's group, group of the directories made under O(data).
    type: str
    required: true
  paths:
    description: Shared paths, relative to the code and data directories.
    type: list
    elements: str
    default: []
  files:
    description: Shared files, relative to the code directory and O(files_dir).
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    description: Reports the actions a real run would take and changes nothing.
    support: full
  diff_mode:
    description: Returns the actions, one a line, as the diff.
    support: full
"""

EXAMPLES = r"""
- name: Link the shared paths and files into the new release
  flaskops.production.flask_shared_links:
    code: /srv/shop/releases/20261207-1200-ab12cd/app
    data: /srv/shop/data
    files_dir: /srv/shop/shared-files
    releases: /srv/shop/releases
    user: shop
    group: shop
    paths: [instance, uploads]
    files: [instance/config.py]
"""

RETURN = r"""
actions:
  description: What was done (or, in check mode, would be done), one entry an action.
  returned: always
  type: list
  elements: str
  sample: ["mkdir /srv/shop/data/uploads", "link /srv/shop/releases/1/app/uploads"]
"""

import grp
import os
import pwd
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.flaskops.production.plugins.module_utils.nofollow import (
    LinkRefused, Tree, entry, read_link, remove, split_relative)
from ansible_collections.flaskops.production.plugins.module_utils.release_tree import stored_files


def place_link(tree, parts, target, dry_run, actions, keep_files=False):
    """Make tree/parts a link to target. A link elsewhere is replaced, a directory in the
    way removed, a file in the way removed unless keep_files (live data: refuse)."""
    where = tree.path(parts)
    parent = tree.open_dir(parts[:-1])
    if parent is None:  # only in a dry run: its directories would be made first
        actions.append("link %s" % where)
        return
    try:
        name = parts[-1]
        found = entry(parent, name)
        if found is None:
            actions.append("link %s" % where)
        elif stat.S_ISLNK(found.st_mode):
            if read_link(parent, name) == target:
                return
            actions.append("relink %s" % where)
        elif stat.S_ISREG(found.st_mode) and keep_files:
            raise RuntimeError("%s is a file the app wrote where a shared file's link belongs; move it away" % where)
        else:
            actions.append("replace the release's own %s with a link" % where)
        if not dry_run:
            remove(parent, name)
            os.symlink(target, name, dir_fd=parent)
    finally:
        if parent != tree.fd:
            os.close(parent)


def unlink_stale(path, params, dry_run, actions):
    """Remove the links to a shared file the list no longer names, from every release and
    from the data directory. Only a link to that very file goes; a path whose directories
    are links or missing holds no link of ours."""
    target = os.path.join(params["files_dir"], path)
    tops = [params["data"]]
    if os.path.isdir(params["releases"]):
        tops += [os.path.join(params["releases"], name, "app") for name in sorted(os.listdir(params["releases"]))]
    parts = split_relative(path)
    for top in tops:
        try:
            tree = Tree(top)
        except (OSError, LinkRefused):
            continue
        with tree:
            try:
                parent = tree.open_dir(parts[:-1])
            except LinkRefused:
                continue
            if parent is None:
                continue
            try:
                if read_link(parent, parts[-1]) == target:
                    actions.append("unlink %s (no longer a shared file)" % tree.path(parts))
                    if not dry_run:
                        os.unlink(parts[-1], dir_fd=parent)
            finally:
                if parent != tree.fd:
                    os.close(parent)


def share(params, dry_run):
    try:
        app_dirs = (pwd.getpwnam(params["user"]).pw_uid, grp.getgrnam(params["group"]).gr_gid, 0o750)
    except KeyError:
        if not dry_run:
            raise RuntimeError("the app's user %s or group %s does not exist" % (params["user"], params["group"]))
        app_dirs = (-1, -1, 0o750)  # check mode before the layout made them: nothing is made
    code_dirs = (0, 0, 0o755)
    actions = []

    def made(paths):
        # A dry run meets a directory it would make once per path below it.
        actions.extend("mkdir %s" % path for path in paths if "mkdir %s" % path not in actions)

    with Tree(params["code"]) as code, Tree(params["data"]) as data:
        for path in params["paths"]:
            parts = split_relative(path)
            new = []
            fd = data.open_dir(parts, create=app_dirs, made=new, dry_run=dry_run)
            if fd is not None and fd != data.fd:
                os.close(fd)
            fd = code.open_dir(parts[:-1], create=code_dirs, made=new, dry_run=dry_run)
            if fd is not None and fd != code.fd:
                os.close(fd)
            made(new)
            place_link(code, parts, os.path.join(params["data"], path), dry_run, actions)
        for path in params["files"]:
            parts = split_relative(path)
            target = os.path.join(params["files_dir"], path)
            inside = [p for p in params["paths"] if path.startswith(p.rstrip("/") + "/")]
            tree, dirs = (data, app_dirs) if inside else (code, code_dirs)
            new = []
            fd = tree.open_dir(parts[:-1], create=dirs, made=new, dry_run=dry_run)
            if fd is not None and fd != tree.fd:
                os.close(fd)
            made(new)
            # Inside a shared directory: linked once, in the data directory.
            place_link(tree, parts, target, dry_run, actions, keep_files=bool(inside))
    for path in stored_files(params["files_dir"]):
        if path not in params["files"]:
            unlink_stale(path, params, dry_run, actions)
    return actions


def main():
    module = AnsibleModule(
        argument_spec=dict(
            code=dict(type="path", required=True),
            data=dict(type="path", required=True),
            files_dir=dict(type="path", required=True),
            releases=dict(type="path", required=True),
            user=dict(type="str", required=True),
            group=dict(type="str", required=True),
            paths=dict(type="list", elements="str", default=[]),
            files=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if module.check_mode and not (os.path.isdir(params["code"]) and os.path.isdir(params["data"])):
        # A release not unpacked yet, or an app not laid out yet: all of it would be linked.
        actions = ["link %s" % path for path in params["paths"] + params["files"]]
        module.exit_json(changed=bool(actions), actions=actions)
    try:
        actions = share(module.params, module.check_mode)
    except (LinkRefused, ValueError, RuntimeError) as exc:
        module.fail_json(msg=str(exc))
    result = dict(changed=bool(actions), actions=actions)
    if module._diff and actions:
        result["diff"] = dict(prepared="\n".join(actions) + "\n")
    module.exit_json(**result)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: flask_config
short_description: Put a role's configuration files in place, check them together and start, restart or reload its units
description:
  - Compares each item of O(files) (a file's content, a path's type, mode, owner and group,
    a path that must be absent) with the host, and writes only what differs.
  - Each file is written atomically (a temporary file beside it, fsync, rename). A symbolic
    link where a file belongs is replaced, never followed; one where a directory belongs is refused.
  - A file's O(files[].validate) command runs on its new content before anything is written.
    Once every changed path is in place, each of O(checks) whose paths changed runs; if one
    fails, every path is put back as it was (new files removed) and the module fails with the
    check's output, leaving the units alone.
  - Then C(systemctl daemon-reload) where a path under C(/etc/systemd/) changed, and for each
    of O(units), a unit that is not active is started (and enabled), with no restart on top;
    a running unit is restarted when one of its O(units[].restart_when) paths changed, else
    reloaded when one of its O(units[].reload_when) paths changed. Units that restart are
    stopped last to first and started first to last.
  - The action plugin of the same name renders each O(files[].template) on the controller, with
    the task's variables, as M(ansible.builtin.template) does, into O(files[].content); the whole
    set then takes one remote call.
  - In check mode nothing is written or run but the units' state is read, and the module
    returns the paths, actions and diff that a real run would.
version_added: 1.2.0
author: flaskops maintainers (@flaskops)
options:
  files:
    description: The directories, files and absent paths, in the order they are put in place.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The absolute path.
        type: path
        required: true
      state:
        description:
          - V(file) a regular file holding O(files[].content), V(directory), or V(absent)
            (a file or link that must not exist).
          - Defaults to V(file) where O(files[].content) is given, else V(directory).
        type: str
        choices: [file, directory, absent]
      content:
        description: The file's content (the action plugin fills it from O(files[].template)).
        type: str
      template:
        description: A template of the role's C(templates/) directory, rendered on the controller into O(files[].content).
        type: str
      mode:
        description: The mode, as an octal string.
        type: str
        default: "0644"
      owner:
        description: The owner's name.
        type: str
        default: root
      group:
        description: The group's name.
        type: str
        default: root
      validate:
        description:
          - A command that checks the new content before it is written; C(%s) stands for a copy of it.
          - The file is not written, and nothing else of the set, if the command fails.
        type: str
      diff:
        description:
          - Whether the diff shows this file's content. Set V(false) for a file that holds
            secrets; its diff then says only that the content changed, and its content is kept
            out of every output of the module.
        type: bool
        default: true
  checks:
    description: Commands that check the set once it is in place; a failure puts every path back.
    type: list
    elements: dict
    default: []
    suboptions:
      argv:
        description: The command and its arguments.
        type: list
        elements: str
        required: true
      paths:
        description: The check runs when one of these paths changed; when empty, when any path changed.
        type: list
        elements: path
        default: []
      msg:
        description: The start of the failure message, before the command's output.
        type: str
  units:
    description: systemd units to keep enabled and started, restarted or reloaded when their files change.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The unit's full name, for example V(nginx.service).
        type: str
        required: true
      enabled:
        description: Whether the unit is enabled (only V(true) is acted on).
        type: bool
        default: true
      restart_when:
        description: A running unit restarts when one of these paths changed.
        type: list
        elements: path
        default: []
      reload_when:
        description: A running unit that does not restart reloads when one of these paths changed.
        type: list
        elements: path
        default: []
attributes:
  check_mode:
    description: Reads the host and the units' state, changes nothing, and returns what a real run would.
    support: full
  diff_mode:
    description: A diff for each path that differs (content, or type, mode, owner and group).
    support: full
"""

EXAMPLES = r"""
- name: Write nginx's configuration, check it and reload nginx
  flaskops.production.flask_config:
    files:
      - {path: /etc/nginx/nginx.conf, template: nginx.conf.j2}
      - {path: /etc/nginx/sites-enabled/default, state: absent}
      - {path: /etc/systemd/system/nginx.service.d, mode: "0755"}
      - {path: /etc/systemd/system/nginx.service.d/hardening.conf, template: nginx-hardening.conf.j2}
    checks:
      - {argv: [nginx, -t], msg: nginx rejected the new configuration}
    units:
      - name: nginx.service
        restart_when: [/etc/systemd/system/nginx.service.d/hardening.conf]
        reload_when: [/etc/nginx/nginx.conf, /etc/nginx/sites-enabled/default]

- name: A Python config file, compiled before it is written
  flaskops.production.flask_config:
    files:
      - path: /etc/gunicorn/shop.conf.py
        template: gunicorn.conf.py.j2
        group: shop
        mode: "0640"
        validate: /usr/bin/python3 -I -m py_compile %s
"""

RETURN = r"""
changed_paths:
  description: The paths that differed (and, outside check mode, were put in place), in the order of O(files).
  returned: always
  type: list
  elements: str
  sample: [/etc/nginx/conf.d/shop.conf]
actions:
  description: What was done to the units (or would be, in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [daemon-reload, restart gunicorn-shop.service, reload nginx.service]
diff:
  description: One entry per difference, each with before, after and their headers.
  returned: in diff mode, when something differs
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.flaskops.production.plugins.module_utils.config_set import (
    ConfigError, apply, plan, restore, run_validate)

FILE_OPTIONS = dict(
    path=dict(type="path", required=True),
    state=dict(type="str", choices=["file", "directory", "absent"]),
    content=dict(type="str"),
    template=dict(type="str"),
    mode=dict(type="str", default="0644"),
    owner=dict(type="str", default="root"),
    group=dict(type="str", default="root"),
    validate=dict(type="str"),
    diff=dict(type="bool", default=True),
)
CHECK_OPTIONS = dict(
    argv=dict(type="list", elements="str", required=True),
    paths=dict(type="list", elements="path", default=[]),
    msg=dict(type="str"),
)
UNIT_OPTIONS = dict(
    name=dict(type="str", required=True),
    enabled=dict(type="bool", default=True),
    restart_when=dict(type="list", elements="path", default=[]),
    reload_when=dict(type="list", elements="path", default=[]),
)


def normalise(module):
    items = []
    for item in module.params["files"]:
        item = dict(item)
        if item["template"] is not None:
            module.fail_json(msg="%s: template is rendered by the action plugin; call the module through it" % item["path"])
        if item["state"] is None:
            item["state"] = "file" if item["content"] is not None else "directory"
        if item["state"] == "file" and item["content"] is None:
            module.fail_json(msg="%s: a file needs its content" % item["path"])
        if item["content"] is not None and not item["diff"]:
            module.no_log_values.add(item["content"])
        items.append(item)
    return items


def unit_state(module, name):
    """(active, enabled) of a unit, read with systemctl."""
    dummy, active, dummy = module.run_command(["systemctl", "is-active", name])
    dummy, enabled, dummy = module.run_command(["systemctl", "is-enabled", name])
    return active.strip() in ("active", "reloading", "activating"), enabled.strip() == "enabled"


def plan_units(module, units, changed):
    """The systemctl steps, as (action text, argv), for the changed paths."""
    steps = []
    if any(path.startswith("/etc/systemd/") for path in changed):
        steps.append(("daemon-reload", ["systemctl", "daemon-reload"]))
    states = [(unit, unit_state(module, unit["name"])) for unit in units]
    restart = [unit["name"] for unit, (active, dummy) in states
               if active and any(path in changed for path in unit["restart_when"])]
    steps += [("enable %s" % unit["name"], ["systemctl", "enable", "--quiet", unit["name"]])
              for unit, (dummy, enabled) in states if unit["enabled"] and not enabled]
    steps += [(None, ["systemctl", "stop", name]) for name in reversed(restart)]
    for unit, (active, dummy) in states:
        if unit["name"] in restart:
            steps.append(("restart %s" % unit["name"], ["systemctl", "start", unit["name"]]))
        elif not active:
            steps.append(("start %s" % unit["name"], ["systemctl", "start", unit["name"]]))
    steps += [("reload %s" % unit["name"], ["systemctl", "reload", unit["name"]])
              for unit, (active, dummy) in states
              if active and unit["name"] not in restart and any(path in changed for path in unit["reload_when"])]
    return steps


def run_checks(module, checks, changed):
    for check in checks:
        if check["paths"] and not any(path in changed for path in check["paths"]):
            continue
        rc, out, err = module.run_command(check["argv"])
        if rc != 0:
            raise ConfigError("%s, so it was not loaded and the previous files were put back. %s said: %s"
                              % (check["msg"] or "%s failed" % check["argv"][0], " ".join(check["argv"]),
                                 (err + out).strip()))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            files=dict(type="list", elements="dict", default=[], options=FILE_OPTIONS),
            checks=dict(type="list", elements="dict", default=[], options=CHECK_OPTIONS),
            units=dict(type="list", elements="dict", default=[], options=UNIT_OPTIONS),
        ),
        supports_check_mode=True,
    )
    items = normalise(module)
    try:
        changes = plan(items, module.check_mode)
    except (ConfigError, OSError) as exc:
        module.fail_json(msg=str(exc))
    changed = [item["path"] for item, dummy, dummy, dummy in changes]
    result = dict(changed=bool(changes), changed_paths=changed, actions=[])
    if module._diff and changes:
        result["diff"] = [entry for dummy, dummy, dummy, diffs in changes for entry in diffs]
    if not module.check_mode and changes:
        try:
            for item, dummy, reasons, dummy in changes:
                if item["state"] == "file" and item["validate"] and reasons != ["metadata"]:
                    run_validate(module, item)
            done = apply(changes)
        except (ConfigError, OSError) as exc:
            module.fail_json(msg=str(exc), **result)
        try:
            run_checks(module, module.params["checks"], changed)
        except ConfigError as exc:
            restore(done)
            result.update(changed=False, changed_paths=[])
            result.pop("diff", None)
            module.fail_json(msg=str(exc), **result)
    steps = plan_units(module, module.params["units"], changed)
    result["actions"] = [text for text, dummy in steps if text]
    result["changed"] = result["changed"] or bool(result["actions"])
    if not module.check_mode:
        for text, argv in steps:
            rc, out, err = module.run_command(argv)
            if rc != 0:
                unit = argv[-1]
                module.fail_json(msg="systemctl %s failed: %s (see journalctl -u %s)"
                                 % (" ".join(argv[1:]), (err or out).strip(), unit), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

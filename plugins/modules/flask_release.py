#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: flask_release
short_description: Read, switch, record and prune the releases of a Flask app
description:
  - Works on the layout of the flask_app role - O(root)C(/releases/ID), the C(current) link,
    the C(history) of switches and the deploy history C(deploy-history.jsonl) - with the
    same code as the operator's C(flask-release) command (the collection's
    C(module_utils/release_tool.py)).
  - O(state=status) reads what is live (RV(current)), what was live before it
    (RV(previous)), the releases on disk, the last release recorded live, and whether the
    main process of O(unit) and of each of O(processes) started after C(current) last
    changed (so runs the live release).
  - O(state=active) points C(current) at O(release) with one rename of a fresh link
    (readers see the old link or the new one, never none), appends the switch to the
    C(history), and then reports what O(state=status) reports, plus what must restart to
    serve it (RV(restart), RV(restart_processes)). When nothing is to switch or restart and
    O(health) is given, it asks the site for its health URL itself and fails when the site
    does not answer as it should. A release that is not complete (no C(release.json)) is
    refused.
  - With O(state=active) and O(restart=true), the module goes on by itself where something is
    to restart. It restarts O(unit), asks the site (O(health)), and only then restarts
    RV(restart_processes). Then it records the deploy (O(record)) and prunes (O(keep)). If
    the restart or the health check fails it stops there and fails with RV(switched) and
    RV(live_before), so that the play can switch back; nothing is recorded or pruned.
  - With O(state=status) and O(state=active), the operator's command O(command) is
    installed (root's, 0755) when it is missing or differs, from the same code.
  - O(state=recorded) appends one record to the deploy history (URL credentials cut from
    O(source) and O(detail)). A successful run in which nothing went live
    (O(went_live=false)) is recorded only when O(release) is not the last release recorded
    live. The history is a log, not configuration, so the record reports no change.
  - O(state=pruned) removes every release directory but the live release and the O(keep)
    most recently live ones (a release built but never live counts as the newest).
version_added: 1.1.0
author: flaskops maintainers (@flaskops)
options:
  root:
    description: The app's root, holding C(releases/), C(current) and C(history).
    type: path
    required: true
  state:
    description: What to do; see the description.
    type: str
    choices: [status, active, recorded, pruned]
    default: status
  release:
    description:
      - With O(state=active), the release to make live (required); with O(state=recorded),
        the release recorded.
    type: str
  unit:
    description: The app server's service unit, whose main process is compared with C(current).
    type: str
  processes:
    description:
      - Service units of the app's long-running processes, compared with C(current) too;
        with O(state=active) all of them are to restart after a switch.
    type: list
    elements: str
    default: []
  timers:
    description: Timer units of the app, reported with when they last and next fire.
    type: list
    elements: str
    default: []
  health:
    description:
      - With O(state=active), the site's health check, asked by the module when nothing is to
        switch or restart (after a switch the check is the flask_health module's, once the app
        server restarted).
      - The options of the flaskops.production.flask_health module, as a dictionary
        (C(address) required).
    type: dict
  keep:
    description:
      - With O(state=pruned), how many releases to keep (1 or more; the live one is always kept).
      - With O(state=active), the same prune once the release is live and healthy; none when not given.
    type: int
  restart:
    description:
      - With O(state=active), restart O(unit), check O(health) and restart RV(restart_processes)
        in this call where they are to restart; see the description.
      - V(false) leaves the restarts to the play (RV(restart), RV(restart_processes)).
    type: bool
    default: false
  record:
    description:
      - With O(state=active), the deploy history's record of the success, appended once the
        release is live and healthy as O(state=recorded) appends it (C(went_live) is whether
        this call switched or restarted).
      - The keys C(action), C(source), C(who), as the options of the same names.
    type: dict
  action:
    description: With O(state=recorded), what the record is about.
    type: str
    choices: [deploy, rollback]
    default: deploy
  result:
    description: With O(state=recorded), how it ended.
    type: str
    choices: [ok, failed, refused]
    default: ok
  went_live:
    description: With O(state=recorded), whether the release went live or restarted in this run.
    type: bool
    default: false
  source:
    description: With O(state=recorded), where the release came from; empty reads it from its C(release.json).
    type: str
    default: ""
  who:
    description: With O(state=recorded), who ran the deploy.
    type: str
    default: ""
  detail:
    description: With O(state=recorded), why it failed or was refused, in a line (500 characters are kept).
    type: str
    default: ""
  command:
    description: Where O(state=status) and O(state=active) install the operator's command; empty for none.
    type: path
    default: /usr/local/sbin/flask-release
attributes:
  check_mode:
    description:
      - Reads the releases and answers what a real run would; switches, records, removes and
        installs nothing, and asks the site nothing.
      - With O(state=active), RV(current) and RV(previous) are those the switch would leave.
    support: full
  diff_mode:
    description:
      - Shows the C(current) link's target before and after a switch, the release
        directories before and after a prune, and the operator's command when it is
        installed.
    support: full
"""

EXAMPLES = r"""
- name: Make release 0123456789ab live, restart onto it, check, record and prune, in one call
  flaskops.production.flask_release:
    root: /srv/shop
    state: active
    release: 0123456789ab
    unit: gunicorn-shop.service
    processes: [flask-shop-worker.service]
    health:
      address: 127.0.0.1:443
      host: shop.example.org
      path: /health
    restart: true
    record:
      action: deploy
      who: ana@laptop
    keep: 5

- name: Or only switch, and leave the restart to the play
  flaskops.production.flask_release:
    root: /srv/shop
    state: active
    release: 0123456789ab
    unit: gunicorn-shop.service
  register: shop_release

- name: Restart the app server onto it
  ansible.builtin.systemd_service:
    name: gunicorn-shop.service
    state: restarted
  when: shop_release.restart

- name: Record the deploy
  flaskops.production.flask_release:
    root: /srv/shop
    state: recorded
    release: 0123456789ab
    who: ana@laptop
    went_live: "{{ shop_release.switched }}"

- name: Keep the five most recently live releases
  flaskops.production.flask_release:
    root: /srv/shop
    state: pruned
    keep: 5
"""

RETURN = r"""
current:
  description: The live release (with O(state=active) in check mode, the one that would be).
  returned: when state is status or active
  type: str
  sample: 0123456789ab
previous:
  description: The release live before RV(current) that is still on disk, or null.
  returned: when state is status or active
  type: str
releases:
  description: The complete releases on disk, most recently live first (never-live ones first of all).
  returned: when state is status or active
  type: list
  elements: str
history:
  description: The last 20 releases made live, oldest first.
  returned: when state is status or active
  type: list
  elements: str
release_dirs:
  description: Every directory under C(releases/), complete or not, sorted.
  returned: when state is status or active
  type: list
  elements: str
last_recorded_live:
  description: The release of the deploy history's last successful record, or null.
  returned: when state is status or active
  type: str
main_pid:
  description: The main PID of O(unit), 0 when it does not run.
  returned: when state is status or active
  type: int
running_current:
  description: Whether O(unit)'s main process runs RV(current); null when it does not run.
  returned: when state is status or active
  type: bool
processes:
  description: For each of O(processes), C(active), C(main_pid) and C(running_current).
  returned: when state is status or active
  type: dict
timers:
  description: For each of O(timers), C(active), C(last) and C(next).
  returned: when state is status or active
  type: dict
command_installed:
  description: Whether the operator's command was (or would be) installed or put back.
  returned: when state is status or active
  type: bool
switched:
  description: Whether C(current) moved to O(release) (in check mode, would move).
  returned: when state is active
  type: bool
live_before:
  description: The release C(current) pointed at before this call, or null; what a rollback switches back to.
  returned: when state is active
  type: str
restart:
  description: Whether O(unit) is to restart to serve O(release) (a switch, or its main process started before C(current) last changed).
  returned: when state is active
  type: bool
restart_processes:
  description: The units of O(processes) to restart (all after a switch, else those running an older release).
  returned: when state is active
  type: list
  elements: str
health:
  description:
    - The site's answer (C(ok), C(status), C(error), C(attempts)) when the module asked it;
      null when it did not (no O(health), check mode, or something is to restart and
      O(restart=false)).
  returned: when state is active
  type: dict
restarted:
  description: The units this call restarted (with O(restart=true); in check mode, would restart).
  returned: when state is active
  type: list
  elements: str
recorded:
  description: Whether a record was appended (in check mode, would be).
  returned: when state is recorded, or active with O(record)
  type: bool
record:
  description: The record appended.
  returned: when a record was appended
  type: dict
removed:
  description: The release directories removed (in check mode, that would be).
  returned: when state is pruned, or active with O(keep)
  type: list
  elements: str
kept:
  description: The releases kept.
  returned: when state is pruned, or active with O(keep)
  type: list
  elements: str
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible_collections.flaskops.production.plugins.module_utils import health_check, operator_command, release_tool


def link_text(release):
    """The `current` link's target as a diff shows it."""
    return "releases/%s\n" % release if release else ""


def health_params(module):
    """O(health), checked against the flask_health module's options."""
    checked = ArgumentSpecValidator(health_check.HEALTH_OPTIONS).validate(module.params["health"])
    if checked.error_messages:
        module.fail_json(msg="health: %s" % "; ".join(checked.error_messages))
    return checked.validated_parameters


def restart_unit(module, unit):
    """systemctl restart UNIT; the error in a sentence, or None."""
    rc, out, err = module.run_command(["systemctl", "restart", unit])
    return None if rc == 0 else "systemctl restart %s failed: %s" % (unit, (err or out).strip())


def go_live(module, result, health):
    """O(restart=true): restart the unit, ask the site, restart the processes; fail with the
    result so far (switched, live_before) at the first step that fails."""
    params = module.params
    unit, release = params["unit"], params["release"]
    if result["restart"]:
        error = restart_unit(module, unit) if unit else None
        if error:
            module.fail_json(msg=error, **result)
        if unit:
            result["restarted"].append(unit)
        if health:
            answer = health_check.ask(health)
            result["health"] = answer
            if not answer["ok"]:
                module.fail_json(msg="The site failed its health check: %s." % health_check.failure(health, answer), **result)
    for name in result["restart_processes"]:
        error = restart_unit(module, name)
        if error:
            module.fail_json(msg=error, **result)
        result["restarted"].append(name)
    result["changed"] = result["changed"] or bool(result["restarted"])
    if params["record"] is not None:
        record = params["record"]
        result.update(release_tool.record(
            params["root"], record.get("action") or "deploy", "ok", release, record.get("source") or "",
            record.get("who") or "", "", result["switched"] or bool(result["restarted"])))


def make_active(module, result, diffs):
    params, root, release = module.params, module.params["root"], module.params["release"]
    health = health_params(module) if params["health"] else None
    record = params["record"]
    if record is not None and (record.get("action") or "deploy") not in ("deploy", "rollback"):
        module.fail_json(msg="record.action must be deploy or rollback (got %s)" % record.get("action"))
    try:
        switch = release_tool.activate(root, release, module.check_mode)
    except release_tool.ReleaseError as exc:
        module.fail_json(msg="Cannot make release %s live: %s." % (release, exc))
    switched = switch["changed"]
    result.update(release_tool.status(root, params["unit"], params["processes"], params["timers"]))
    if switched and module.check_mode:
        result.update(current=release, previous=switch["previous"])
    if switched:
        diffs.append(dict(before=link_text(switch["previous"]), after=link_text(release),
                          before_header=os.path.join(root, "current"), after_header=os.path.join(root, "current")))
    result.update(
        changed=switched,
        switched=switched,
        live_before=switch["previous"],
        # A main process that started before the link last changed serves an older release
        # (a run that ended between the switch and the restart); none running starts on the
        # live one when its socket is first used.
        restart=switched or result["running_current"] is False,
        restart_processes=[name for name in params["processes"]
                           if switched or not result["processes"][name]["running_current"]],
        health=None,
        restarted=[],
    )
    if params["restart"] and module.check_mode:
        result["restarted"] = ([params["unit"]] if result["restart"] and params["unit"] else []) + result["restart_processes"]
        result["changed"] = switched or bool(result["restarted"])
        if record is not None:
            past = release_tool.deploy_history(root)
            result["recorded"] = bool(result["changed"]) or release_tool.last_live(past) != release
    elif params["restart"]:
        if result["restart"] or result["restart_processes"]:
            go_live(module, result, health)
        elif health:
            ask_unchanged(module, result, health)
        if record is not None and "recorded" not in result:
            result.update(release_tool.record(root, record.get("action") or "deploy", "ok", release,
                                              record.get("source") or "", record.get("who") or "", "", False))
    elif health and not result["restart"] and not module.check_mode:
        ask_unchanged(module, result, health)
    if params["keep"] is not None:
        changed = result["changed"]
        make_pruned(module, result, diffs)
        result["changed"] = changed or bool(result["removed"])


def ask_unchanged(module, result, health):
    """Nothing was to restart: the site must answer its health check as it is."""
    params = module.params
    answer = health_check.ask(health)
    result["health"] = answer
    if not answer["ok"]:
        module.fail_json(msg="Release %s is live and nothing was to restart, but the site failed its health check: "
                         "%s. Nothing was changed; look at `journalctl -u %s`." % (
                             params["release"], health_check.failure(health, answer), params["unit"] or "the app server"),
                         **result)


def make_pruned(module, result, diffs):
    root, keep = module.params["root"], module.params["keep"]
    if keep < 1:
        module.fail_json(msg="keep must be 1 or more (got %d)" % keep)
    before = release_tool.release_dirs(root)
    pruned = release_tool.prune(root, keep, module.check_mode)
    result.update(pruned)
    if pruned["changed"]:
        after = [name for name in before if name not in pruned["removed"]]
        diffs.append(dict(before="".join(n + "\n" for n in before), after="".join(n + "\n" for n in after),
                          before_header=release_tool.releases_dir(root), after_header=release_tool.releases_dir(root)))


def make_recorded(module, result):
    params = module.params
    args = (params["root"], params["action"], params["result"], params["release"] or "", params["source"],
            params["who"], params["detail"], params["went_live"])
    if module.check_mode:
        past = release_tool.deploy_history(params["root"])
        result["recorded"] = (params["result"] != "ok" or params["went_live"]
                              or release_tool.last_live(past) != (params["release"] or ""))
    else:
        result.update(release_tool.record(*args))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            root=dict(type="path", required=True),
            state=dict(type="str", default="status", choices=["status", "active", "recorded", "pruned"]),
            release=dict(type="str"),
            unit=dict(type="str"),
            processes=dict(type="list", elements="str", default=[]),
            timers=dict(type="list", elements="str", default=[]),
            health=dict(type="dict"),
            keep=dict(type="int"),
            restart=dict(type="bool", default=False),
            record=dict(type="dict"),
            action=dict(type="str", default="deploy", choices=["deploy", "rollback"]),
            result=dict(type="str", default="ok", choices=["ok", "failed", "refused"]),
            went_live=dict(type="bool", default=False),
            source=dict(type="str", default=""),
            who=dict(type="str", default=""),
            detail=dict(type="str", default=""),
            command=dict(type="path", default="/usr/local/sbin/flask-release"),
        ),
        required_if=[("state", "active", ["release"]), ("state", "pruned", ["keep"])],
        supports_check_mode=True,
    )
    params = module.params
    state = params["state"]
    result = dict(changed=False)
    diffs = []
    try:
        if state == "status":
            result.update(release_tool.status(params["root"], params["unit"], params["processes"], params["timers"]))
        elif state == "active":
            make_active(module, result, diffs)
        elif state == "pruned":
            make_pruned(module, result, diffs)
        else:
            make_recorded(module, result)
        if state in ("status", "active"):
            diff = operator_command.install_for(module, release_tool, result)
            if diff:
                diffs.append(diff)
    except (IOError, OSError) as exc:
        module.fail_json(msg="the releases of %s (%s): %s" % (params["root"], state, exc))
    if diffs and module._diff:
        result["diff"] = diffs if len(diffs) > 1 else diffs[0]
    module.exit_json(**result)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: flask_lock
short_description: Take, release, read or clear the deploy lock of a Flask app on a host
description:
  - At most one run changes an app on a host at a time. The lock is the file
    O(dir)/O(name).lock, created atomically (a hard link of a complete record), so two
    runs can never both take it and it never exists without its holder's record.
  - O(state=acquired) takes the lock for O(holder), waiting up to O(wait) seconds while
    another run holds it; the run that already holds it renews it. It also installs the
    operator's command C(/usr/local/sbin/flask-lock) (C(flask-lock status NAME)) from the
    same code, and puts it back when it drifted.
  - O(state=released) removes the lock only when the run O(run_id) holds it.
    O(state=query) reads it. O(state=absent) removes it whoever holds it.
  - Taking and releasing a lock is bookkeeping, not configuration, so it reports no change.
version_added: 1.1.0
author: flaskops maintainers (@flaskops)
options:
  name:
    description: The app the lock guards.
    type: str
    required: true
  state:
    description: What to do with the lock.
    type: str
    choices: [acquired, released, query, absent]
    default: acquired
  holder:
    description:
      - Who takes the lock, as recorded in it (with O(state=acquired)); must have a C(run_id).
    type: dict
  run_id:
    description: The run whose lock O(state=released) removes.
    type: str
  wait:
    description: Seconds to wait for a held lock before answering that it is taken.
    type: int
    default: 0
  dir:
    description: Where the locks live, one file per app.
    type: path
    default: /var/lib/flask-lock
  command:
    description: Where O(state=acquired) installs the operator's command; empty for none.
    type: path
    default: /usr/local/sbin/flask-lock
attributes:
  check_mode:
    description: Reads the lock and answers what a real run would, taking, releasing and installing nothing.
    support: full
  diff_mode:
    description: Shows the operator's command's content when it would be installed or put back.
    support: full
"""

EXAMPLES = r"""
- name: Take the deploy lock of shop
  flaskops.production.flask_lock:
    name: shop
    holder: {run_id: "4f1c", who: "ana@laptop", purpose: "Deploy shop"}
    wait: 60
  register: lock

- name: Release it at the end of the play
  flaskops.production.flask_lock:
    name: shop
    state: released
    run_id: "4f1c"
"""

RETURN = r"""
acquired:
  description: Whether the run holds the lock now (with O(state=acquired)).
  returned: when state is acquired
  type: bool
renewed:
  description: Whether the run already held the lock and renewed it.
  returned: when state is acquired
  type: bool
waited:
  description: Seconds spent waiting for the lock.
  returned: when state is acquired
  type: float
released:
  description: Whether the lock was removed (with O(state=released)).
  returned: when state is released
  type: bool
cleared:
  description: Whether a lock was removed (with O(state=absent)).
  returned: when state is absent
  type: bool
held:
  description: Whether the lock is held (by another run, with O(state=released)).
  returned: when state is query or released
  type: bool
holder:
  description: The lock's record, or null when it is free.
  returned: always
  type: dict
command_installed:
  description: Whether the operator's command was installed or put back.
  returned: when state is acquired
  type: bool
"""


from ansible.module_utils.basic import AnsibleModule
from ansible_collections.flaskops.production.plugins.module_utils import deploy_lock, operator_command


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="acquired", choices=["acquired", "released", "query", "absent"]),
            holder=dict(type="dict"),
            run_id=dict(type="str"),
            wait=dict(type="int", default=0),
            dir=dict(type="path", default=deploy_lock.DEFAULT_DIR),
            command=dict(type="path", default="/usr/local/sbin/flask-lock"),
        ),
        required_if=[("state", "acquired", ["holder"]), ("state", "released", ["run_id"])],
        supports_check_mode=True,
    )
    params, dry_run = module.params, module.check_mode
    name, directory = params["name"], params["dir"]
    result = dict(changed=False)
    try:
        if params["state"] == "acquired":
            if not params["holder"].get("run_id"):
                module.fail_json(msg="holder must have a run_id (got %s)" % sorted(params["holder"]))
            if dry_run:
                result.update(deploy_lock.peek(directory, name, params["holder"]))
            else:
                result.update(deploy_lock.acquire(directory, name, params["holder"], params["wait"]))
            diff = operator_command.install_for(module, deploy_lock, result)
            if diff and module._diff:
                result["diff"] = diff
        elif params["state"] == "released":
            result.update(deploy_lock.release(directory, name, params["run_id"], dry_run))
        elif params["state"] == "query":
            result.update(deploy_lock.status(directory, name))
        else:
            result.update(deploy_lock.clear(directory, name, dry_run))
            result["changed"] = result["cleared"]
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    except (IOError, OSError) as exc:
        module.fail_json(msg="the deploy lock of %s in %s: %s" % (name, directory, exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: flask_packages
short_description: Install an app's system packages in the background, and wait for them
description:
  - With O(state=started), looks the packages up with dpkg and, when one is missing, starts
    a process that leaves the task's session and runs C(apt-get update) (unless the lists
    are less than an hour old) and C(apt-get install) of O(packages), writing its result to
    O(status). The task returns at once, so that the play makes the app's layout and reads
    its source while apt runs.
  - With a O(seed) (a first deploy of a source directory, where no release is live yet),
    C(python3-venv) is installed first and the release's virtualenv is built at O(seed.dir)
    while apt installs the rest, as the app's user in a transient unit under O(seed.sandbox).
    M(flaskops.production.flask_venv) moves it into the release when the release's inputs are
    the same; a seed that fails is removed.
  - With O(state=finished), waits for the install that O(status) names, removes its status
    file, and fails with apt-get's own message if the install failed. Without a status
    file, it fails only if a package of O(packages) is still missing.
  - apt-get, not M(ansible.builtin.apt), which on a host without C(python3-apt) installs that
    first and reads the lists a second time; C(python3-apt) belongs in O(packages) for the
    apt tasks that come later.
  - In check mode nothing is installed; O(state=started) reports the missing packages as
    the change, and O(state=finished) has nothing to wait for.
version_added: 1.2.0
author: flaskops maintainers (@flaskops)
extends_documentation_fragment: [flaskops.production.packages_seed]
options:
  state:
    description: V(started) starts the install of what is missing, V(finished) waits for it.
    type: str
    choices: [started, finished]
    default: started
  packages:
    description: The Debian packages to install.
    type: list
    elements: str
    default: []
  status:
    description: The status file of the install (one per app, so that apps whose runs overlap do not meet).
    type: path
    required: true
  timeout:
    description: How long O(state=finished) waits for the install, in seconds.
    type: int
    default: 900
attributes:
  check_mode:
    description: Installs nothing; O(state=started) returns the missing packages as the change.
    support: full
  diff_mode:
    description: No diff (no file is changed by the task itself).
    support: none
"""

EXAMPLES = r"""
- name: Start installing the system packages
  flaskops.production.flask_packages:
    packages: [python3-venv, python3-apt, git]
    status: /run/flask-app-packages-shop.json

- name: Wait for the system packages before the build
  flaskops.production.flask_packages:
    state: finished
    packages: [python3-venv, python3-apt, git]
    status: /run/flask-app-packages-shop.json
"""

RETURN = r"""
packages:
  description: The packages that were missing (and, outside check mode, are being installed).
  returned: when O(state=started)
  type: list
  elements: str
  sample: [python3-venv, git]
took:
  description: Seconds from the install's start to the end of each of its steps.
  returned: when O(state=finished) and an install ran
  type: dict
  sample: {update: 2.1, install: 9.8}
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.flaskops.production.plugins.module_utils.background_apt import (
    SEED_SPEC, missing_packages, start, wait)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", choices=["started", "finished"], default="started"),
            packages=dict(type="list", elements="str", default=[]),
            status=dict(type="path", required=True),
            timeout=dict(type="int", default=900),
            seed=SEED_SPEC,
        ),
        supports_check_mode=True,
    )
    params = module.params
    if params["state"] == "started":
        missing = missing_packages(params["packages"])
        if missing and not module.check_mode:
            start(params["status"], params["packages"], params["seed"])
        module.exit_json(changed=bool(missing), packages=missing)
    if not os.path.exists(params["status"]):
        missing = [] if module.check_mode else missing_packages(params["packages"])
        if missing:
            module.fail_json(msg="no install of the system packages was started (%s has no status file), "
                             "and these are missing: %s" % (params["status"], ", ".join(missing)))
        module.exit_json(changed=False)
    job, error = wait(params["status"], params["timeout"])
    if error:
        module.fail_json(msg=error)
    if job["rc"]:
        module.fail_json(msg="apt could not install the system packages (flask_app_system_packages: the virtualenv's, "
                         "a git source's and flask_app_host_packages): %s" % job["error"], took=job.get("took", {}))
    module.exit_json(changed=False, took=job.get("took", {}))


if __name__ == "__main__":
    main()

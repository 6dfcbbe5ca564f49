#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: flask_import_check
short_description: Import a release's app as its user, in its sandbox, and report how it is configured
description:
  - Runs the role's check (the release tool's C(check)) under the release's own python, as
    O(user), with only the environment file's variables, from the release's code directory,
    in a transient systemd unit under O(sandbox) (the WSGI server's, plus NoNewPrivileges,
    ProtectSystem=strict, ProtectHome and PrivateTmp), stopped after O(timeout) seconds.
    Every process the import starts ends with the unit.
  - Reports the check's exit status and output; the caller decides what refuses the release.
  - Check mode runs none of the app's code; it reports the check it would run and skips.
version_added: 1.1.0
options:
  tool:
    description: The release tool whose C(check) runs.
    type: path
    required: true
  public_keys:
    description: The list of digests of publicly known secret keys.
    type: path
  timeout:
    description: Seconds after which the check's unit is stopped and the check fails.
    type: int
    default: 120
extends_documentation_fragment:
  - flaskops.production.app_unit
  - flaskops.production.release_app
author: flaskops maintainers (@flaskops)
"""

EXAMPLES = r"""
- name: Import the app as its user under the production environment
  flaskops.production.flask_import_check:
    release: /srv/myapp/releases/0123456789ab
    module: "myapp:create_app()"
    env_file: /etc/flask/myapp.env.next
    tool: /usr/local/lib/flask-app-tool.py
    user: myapp
    group: myapp
    sandbox: "{{ gunicorn_sandbox }}"
  register: myapp_import
"""

RETURN = r"""
rc:
  description: The check's exit status (non-zero when the app does not import, or the time ran out).
  returned: always
  type: int
stdout_lines:
  description: What the check printed; the last line is its JSON report when rc is 0.
  returned: always
  type: list
  elements: str
stderr_lines:
  description: The check's error output (the traceback of a failed import).
  returned: always
  type: list
  elements: str
"""

import os

from ansible_collections.flaskops.production.plugins.module_utils.app_sandbox import RELEASE_APP_OPTIONS, redact, run_unit, unit_module


def main():
    module = unit_module(RELEASE_APP_OPTIONS, {
        "tool": {"type": "path", "required": True},
        "public_keys": {"type": "path"},
        "timeout": {"type": "int", "default": 120},
    })
    params = module.params
    release = params["release"]
    if module.check_mode:
        module.exit_json(changed=False, rc=0, stdout_lines=[], stderr_lines=[], skipped=True,
                         msg="would import %s from %s as %s" % (params["module"], release, params["user"]))
    if not os.path.isfile(os.path.join(release, "venv", "bin", "python")):
        module.fail_json(msg="%s has no virtualenv" % release)
    command = [os.path.join(release, "venv", "bin", "python"), params["tool"], "check",
               "--env-file", params["env_file"]]
    command += ["--public-keys", params["public_keys"]] if params["public_keys"] else []
    rc, out, err = run_unit(command + [params["module"]], params["user"], params["group"], params["sandbox"],
                            params["timeout"], os.path.join(release, "app"),
                            env={"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"},
                            env_file=params["env_file"])
    module.exit_json(changed=False, failed=False, rc=rc, stdout_lines=redact(out).splitlines(),
                     stderr_lines=redact(err).splitlines()[-40:])


if __name__ == "__main__":
    main()

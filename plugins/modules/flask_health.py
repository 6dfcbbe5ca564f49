#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: flask_health
short_description: Ask a live site for its health URL
description:
  - Sends C(GET O(path)) to the site on the host, with O(host) in C(Host) (and in SNI over
    https), up to O(tries) times one second apart, until it answers one of O(status).
    Fails, with the status or the error, when it never does.
  - Over https the certificate is not verified (it may come from a private CA), since the check is
    the app's health through the proxy, not the certificate.
  - Read-only. Check mode asks nothing, since the release it would check has not gone live in
    a check run, and reports RV(ok) as null.
  - The same client as the operator's C(flask-release probe) (the collection's
    C(module_utils/release_tool.py)); the flask_release module asks with it too.
version_added: 1.1.0
author: flaskops maintainers (@flaskops)
options:
  via:
    description: How the site is reached.
    type: str
    choices: [https, http, unix]
    default: https
  address:
    description: C(HOST:PORT) with O(via=https) or O(via=http), the socket's path with O(via=unix).
    type: str
    required: true
  host:
    description: The C(Host) header, and the TLS server name with O(via=https).
    type: str
    default: localhost
  tries:
    description: Attempts, one second apart, before the site counts as unhealthy.
    type: int
    default: 3
  timeout:
    description: Seconds each attempt may take.
    type: int
    default: 15
extends_documentation_fragment:
  - flaskops.production.health_request
attributes:
  check_mode:
    description: Asks nothing and reports RV(ok) as null.
    support: full
  diff_mode:
    description: Changes nothing, so shows no diff.
    support: none
"""

EXAMPLES = r"""
- name: Ask the site for its health URL through nginx
  flaskops.production.flask_health:
    address: 127.0.0.1:443
    host: shop.example.org
    path: /health
"""

RETURN = r"""
ok:
  description: Whether the site answered with one of O(status); null in check mode.
  returned: always
  type: bool
status:
  description: The status of the last answer, null when there was none.
  returned: always
  type: int
error:
  description: Why the last attempt got no answer.
  returned: always
  type: str
attempts:
  description: The attempts made.
  returned: always
  type: int
url:
  description: What was asked, and through which address.
  returned: always
  type: str
  sample: https://shop.example.org/health (through 127.0.0.1:443)
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.flaskops.production.plugins.module_utils.health_check import HEALTH_OPTIONS, ask, failure, where


def main():
    module = AnsibleModule(argument_spec=HEALTH_OPTIONS, supports_check_mode=True)
    params = module.params
    if module.check_mode:
        module.exit_json(changed=False, ok=None, status=None, error=None, attempts=0, url=where(params))
    answer = ask(params)
    if not answer["ok"]:
        module.fail_json(msg="The site failed its health check: %s." % failure(params, answer), url=where(params), **answer)
    module.exit_json(changed=False, url=where(params), **answer)


if __name__ == "__main__":
    main()

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""flask_app_layout's controller side: a large file whose diff may be shown (the list of
public secret keys, the release tool) goes to the host as its SHA-1 first; only where the
host's file differs does a second call carry its content. A run that changes nothing
takes one remote call without the files' text."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes
from ansible.plugins.action import ActionBase

MODULE = "flaskops.production.flask_app_layout"
# Below this size the content goes with the first call: a second call would cost more.
LARGE = 8192


def digest_first(items):
    """The items with each large, diffable content replaced by its SHA-1."""
    sent = []
    for item in items or []:
        if not isinstance(item, dict) or "path" not in item:
            raise AnsibleActionFail("each file needs a path (got %r)" % (item,))
        item = dict(item)
        content = item.get("content")
        if content is not None and item.get("diff", True) and len(content) > LARGE:
            item["sha1"] = hashlib.sha1(to_bytes(content, errors="surrogate_or_strict")).hexdigest()
            del item["content"]
        sent.append(item)
    return sent


def holds_secrets(args):
    """Whether a file's content must stay out of the host's journal (diff: false)."""
    return any(isinstance(item, dict) and item.get("diff") is False and item.get("content") is not None
               for key in ("files", "compare") for item in args.get(key) or [])


class ActionModule(ActionBase):

    TRANSFERS_FILES = False

    def _update_module_args(self, module_name, module_args, task_vars, *args, **kwargs):
        # AnsibleModule logs its arguments to the host's journal before the module can
        # mark a content as secret; a set that holds one is not logged at all.
        super(ActionModule, self)._update_module_args(module_name, module_args, task_vars, *args, **kwargs)
        if holds_secrets(module_args):
            module_args["_ansible_no_log"] = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        full = list(args.get("files") or [])
        args["files"] = digest_first(full)
        args["compare"] = digest_first(args.get("compare"))
        answer = self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars)
        need = answer.get("need_content") or []
        if need and not answer.get("failed"):
            args["files"] = [item if item["path"] in need else sent for item, sent in zip(full, args["files"])]
            answer = self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars)
        result.update(answer)
        return result

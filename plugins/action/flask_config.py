# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""flask_config's controller side: each file's template is rendered here, from the role's
templates/ directory and with the task's variables (as ansible.builtin.template renders
it), and the whole set goes to the module in one remote call."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

MODULE = "flaskops.production.flask_config"


class ActionModule(ActionBase):

    TRANSFERS_FILES = False

    def _update_module_args(self, module_name, module_args, task_vars, *args, **kwargs):
        # AnsibleModule logs its arguments to the host's journal before the module can
        # mark a content as secret (diff: false); a set that holds one is not logged at all.
        super(ActionModule, self)._update_module_args(module_name, module_args, task_vars, *args, **kwargs)
        if any(isinstance(item, dict) and item.get("diff") is False for item in module_args.get("files") or []):
            module_args["_ansible_no_log"] = True

    def render(self, name, task_vars):
        """The template's text, found and rendered as ansible.builtin.template would."""
        try:
            source = self._find_needle("templates", name)
        except AnsibleError as exc:
            raise AnsibleActionFail(to_text(exc))
        lookup = self._shared_loader_obj.lookup_loader.get(
            "ansible.builtin.template", loader=self._loader, templar=self._templar)
        return to_text(lookup.run([source], task_vars)[0])

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        files = []
        for item in args.get("files") or []:
            if not isinstance(item, dict) or "path" not in item:
                raise AnsibleActionFail("each entry of files needs a path (got %r)" % (item,))
            item = dict(item)
            if item.get("template") is not None:
                item["content"] = self.render(item.pop("template"), task_vars)
            files.append(item)
        args["files"] = files
        result.update(self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars))
        return result

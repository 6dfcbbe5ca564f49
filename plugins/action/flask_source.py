# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""flask_source's controller side: the source directory is packed here into a reproducible
archive (the same files give the same bytes, hence the same digest and the same release
id); with a release, the archive travels inside the module's own arguments (one remote
call, through Ansible's private channel: never a command line, never a file another user
reads) and the module unpacks it on the host."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import gzip
import os

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible_collections.flaskops.production.plugins.module_utils.source_pack import SourceRefused, pack

MODULE = "flaskops.production.flask_source"


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("src", "digest", "release"))

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = self._task.args
        src, release, expected = args.get("src"), args.get("release"), args.get("digest")
        if not src:
            raise AnsibleActionFail("src (the source directory on the controller) is required")
        top = os.path.realpath(os.path.expanduser(to_text(src)))
        if not os.path.isdir(top):
            raise AnsibleActionFail("%s is not a directory on the controller" % src)
        try:
            digest, data = pack(top)
        except (SourceRefused, OSError) as exc:
            raise AnsibleActionFail("The source %s is refused: %s" % (src, to_text(exc)))
        result.update(changed=False, digest=digest, src=top)
        if not release:
            return result
        if expected and expected != digest:
            raise AnsibleActionFail("%s changed while it was deployed: deploy again" % src)
        if self._task.check_mode:
            result.update(changed=True, release=release,
                          msg="Would build release %s from %s." % (os.path.basename(release.rstrip("/")), src))
            return result
        archive = base64.b64encode(gzip.compress(data, compresslevel=1, mtime=0)).decode("ascii")
        done = self._execute_module(module_name=MODULE, module_args={"src": top, "digest": digest, "release": release, "archive": archive},
                                    task_vars=task_vars)
        done.pop("invocation", None)
        result.update(done)
        result["digest"] = digest
        return result

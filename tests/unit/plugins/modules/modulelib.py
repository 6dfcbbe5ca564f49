"""Runs a module's main() in-process with given arguments, as Ansible would on a host,
and returns the JSON result it printed."""
import io
import json
from contextlib import redirect_stdout

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes


def run_module(module, args, check_mode=False, diff=False):
    """The module's result dict; result['failed'] is true when it called fail_json."""
    args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff,
                _ansible_remote_tmp="/tmp", _ansible_keep_remote_files=False)
    basic._ANSIBLE_ARGS = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    basic._ANSIBLE_PROFILE = "legacy"
    out = io.StringIO()
    try:
        with redirect_stdout(out):
            module.main()
    except SystemExit:
        pass
    finally:
        basic._ANSIBLE_ARGS = None
    return json.loads(out.getvalue())

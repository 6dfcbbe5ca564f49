"""app_sandbox.unit_module: every module that runs the app's code takes the unit's options, and its own."""
import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.flaskops.production.plugins.module_utils import app_sandbox


def test_the_unit_options_and_the_callers_own_are_parsed():
    args = {"user": "a", "group": "a", "release": "/srv/a/r", "module": "app:app", "env_file": "/e", "timeout": 5}
    with patch_module_args(args):
        module = app_sandbox.unit_module(app_sandbox.RELEASE_APP_OPTIONS, {"timeout": {"type": "int", "default": 1}})
    assert module.params["sandbox"] == []
    assert module.params["timeout"] == 5
    assert module.params["release"] == "/srv/a/r"
    assert module.supports_check_mode


def test_a_missing_unit_option_is_refused(capsys):
    with patch_module_args({"group": "a"}), pytest.raises(SystemExit):
        app_sandbox.unit_module()
    assert "user" in capsys.readouterr().out


def test_an_option_of_no_set_is_refused(capsys):
    with patch_module_args({"user": "a", "group": "a", "tool": "/t"}), pytest.raises(SystemExit):
        app_sandbox.unit_module()
    assert "tool" in capsys.readouterr().out

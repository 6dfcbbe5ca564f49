"""flask_checksum_key: a good key is read as it is; a missing, empty, linked or readable
key is drawn again (not in check mode)."""
import os
import pwd
import stat

from ansible_collections.flaskops.production.plugins.modules import flask_checksum_key

from modulelib import run_module

USER = pwd.getpwuid(os.getuid()).pw_name


def test_a_missing_key_is_drawn_once(tmp_path):
    path = tmp_path / "flask-checksum.key"
    first = run_module(flask_checksum_key, dict(path=str(path), owner=USER))
    assert first["changed"] and len(first["key"]) == 43 and first["key"].isalnum(), first
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path.read_text() == first["key"] + "\n"
    again = run_module(flask_checksum_key, dict(path=str(path), owner=USER))
    assert not again["changed"] and again["key"] == first["key"]


def test_check_mode_draws_a_key_for_the_run_and_writes_nothing(tmp_path):
    path = tmp_path / "flask-checksum.key"
    result = run_module(flask_checksum_key, dict(path=str(path), owner=USER), check_mode=True, diff=True)
    assert result["changed"] and result["key"] and not path.exists()
    assert result["key"] not in str(result["diff"])


def test_a_readable_key_is_replaced(tmp_path):
    path = tmp_path / "flask-checksum.key"
    path.write_text("guessable\n")
    os.chmod(path, 0o644)
    result = run_module(flask_checksum_key, dict(path=str(path), owner=USER))
    assert result["changed"] and result["key"] != "guessable"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_a_link_is_replaced_not_followed(tmp_path):
    target = tmp_path / "elsewhere"
    target.write_text("theirs\n")
    os.chmod(target, 0o600)
    path = tmp_path / "flask-checksum.key"
    os.symlink(target, path)
    result = run_module(flask_checksum_key, dict(path=str(path), owner=USER))
    assert result["changed"] and result["key"] != "theirs"
    assert target.read_text() == "theirs\n", "the link was followed"
    assert not os.path.islink(path)

"""flask_devserver: after an adoption, the development server's @reboot lines are commented
out (owner and mode kept, diff shown, check mode writing nothing), its unit is disabled and
masked, its processes end (a pid reused by another program is left alone) and its port
closes; a second run has nothing to do."""
import os
import socket
import subprocess
import sys

import pytest

from ansible_collections.flaskops.production.plugins.modules import flask_devserver

from modulelib import run_module

REBOOT = "@reboot cd /home/ana/blog && nohup venv/bin/flask --app blog run --debug &"


def call(_check=False, _diff=False, **args):
    return run_module(flask_devserver, args, check_mode=_check, diff=_diff)


@pytest.fixture(name="crontab")
def user_crontab(tmp_path):
    path = tmp_path / "ana"
    path.write_text("MAILTO=ana\n" + REBOOT + "\n*/5 * * * * /home/ana/backup.sh\n")
    os.chmod(path, 0o600)
    return path


@pytest.fixture(name="server")
def dev_server():
    """A stand-in development server: a python process listening on a free loopback port."""
    script = ("import socket, time; s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); "
              "print(s.getsockname()[1], flush=True); time.sleep(120)")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    port = int(proc.stdout.readline())
    yield proc, port
    proc.kill()
    proc.wait()


@pytest.fixture(name="systemctl")
def fake_systemctl(monkeypatch, tmp_path):
    """systemctl's calls, in order; is-enabled answers from `states`."""
    calls, states = [], {}

    def run_command(module, argv, check_rc=False, **kwargs):
        calls.append(argv[1:])
        if argv[1] == "is-enabled":
            return 0, states.get(argv[2], "enabled") + "\n", ""
        return 0, "", ""

    monkeypatch.setattr(flask_devserver.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(flask_devserver, "UNIT_DIR", str(tmp_path / "units"))
    (tmp_path / "units").mkdir()
    return calls, states


def test_the_reboot_line_is_commented_out_with_a_note_and_the_rest_kept(crontab, systemctl):
    keepers = [{"kind": "crontab", "file": str(crontab), "line": REBOOT}, {"kind": "nohup"}]
    before = crontab.read_text()
    preview = call(_check=True, _diff=True, pids=[], command=["x"], keepers=keepers)
    assert preview["changed"] and preview["crontabs"] == [str(crontab)] and crontab.read_text() == before
    assert preview["diff"][0]["after"].count("# disabled by flaskops adopt") == 1, preview
    done = call(_diff=True, pids=[], command=["x"], keepers=keepers)
    text = crontab.read_text()
    assert done["changed"] and done["diff"] == preview["diff"], done
    assert "# disabled by flaskops adopt: the app is served by the stack now: " + REBOOT in text
    assert text.startswith("MAILTO=ana\n") and "*/5 * * * * /home/ana/backup.sh" in text
    assert os.stat(crontab).st_mode & 0o777 == 0o600
    again = call(pids=[], command=["x"], keepers=keepers)
    assert not again["changed"] and crontab.read_text() == text, again


def test_a_unit_is_disabled_masked_and_its_own_file_kept_aside(systemctl, tmp_path):
    calls, states = systemctl
    unit_file = tmp_path / "units" / "shop-dev.service"
    unit_file.write_text("[Service]\nExecStart=/home/ana/venv/bin/python app.py\n")
    keepers = [{"kind": "systemd", "unit": "shop-dev.service"}]
    preview = call(_check=True, pids=[], command=["x"], keepers=keepers)
    assert preview["changed"] and preview["units"] == ["shop-dev.service"] and unit_file.exists()
    assert calls == [["is-enabled", "shop-dev.service"]]
    del calls[:]
    done = call(pids=[], command=["x"], keepers=keepers)
    assert done["changed"], done
    assert calls == [["is-enabled", "shop-dev.service"], ["disable", "--now", "shop-dev.service"],
                     ["mask", "shop-dev.service"], ["daemon-reload"]]
    assert not unit_file.exists() and (tmp_path / "units" / "shop-dev.service.adopted").exists()
    states["shop-dev.service"] = "masked"
    assert not call(pids=[], command=["x"], keepers=keepers)["changed"]


def test_the_processes_end_and_the_port_closes(server, systemctl):
    proc, port = server
    command = [sys.executable, "-c", proc.args[2]]
    preview = call(_check=True, pids=[proc.pid], command=command, port=port)
    assert preview["changed"] and preview["signalled"] == [proc.pid] and proc.poll() is None
    done = call(pids=[proc.pid], command=command, port=port, timeout=5)
    assert done["signalled"] == [proc.pid] and not done.get("failed"), done
    proc.wait(timeout=5)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1)
    assert not call(pids=[proc.pid], command=command, port=port)["changed"]


def test_a_pid_that_is_now_another_program_is_left_alone(server, systemctl):
    proc, port = server
    done = call(pids=[proc.pid], command=["/usr/bin/perl", "app.pl"], timeout=1)
    assert done["signalled"] == [] and not done["changed"] and proc.poll() is None, done


def test_a_port_still_held_fails_the_task(server, systemctl):
    proc, port = server
    result = call(pids=[], command=["x"], port=port, timeout=1)
    assert result["failed"] and "port %d still listens" % port in result["msg"], result

# Writes what differs of the app server's config directory, gunicorn.conf.py and units,
# then enables and starts them: the first start of an app's units (neither was running),
# in one remote call instead of a module call per file (tasks/main.yml says when).
# The controller passes one JSON argument:
#   unit     the units' name (UNIT.socket, UNIT.service under /etc/systemd/system)
#   paths    in order, each {path, mode, group} and, for a file, its content; owner root
# Each *.py file written must compile, as the template task's validate asks, under the
# system's python (isolated mode): the virtualenv's python is never run as root, since a
# package's .pth file would run with it.
# Nothing is moved in place before every file has been written and checked. Units are
# checked with systemd-analyze verify before the start. Prints nothing on success.
import grp
import json
import os
import subprocess
import sys


def run(failure, *argv):
    """Run a command, its output passed through; on failure say what failed and stop."""
    if subprocess.run(argv, check=False).returncode != 0:
        sys.exit("first start: " + failure)


def main():
    want = json.loads(sys.argv[1])
    staged = []
    try:
        for item in want["paths"]:
            gid = grp.getgrnam(item["group"]).gr_gid
            mode = int(item["mode"], 8)
            if "content" not in item:
                os.makedirs(item["path"], exist_ok=True)
                os.chown(item["path"], 0, gid)
                os.chmod(item["path"], mode)
                continue
            # Beside its destination, so that the move is atomic.
            part = "%s.first-start.%d" % (item["path"], os.getpid())
            staged.append((part, item["path"]))
            handle = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(handle, item["content"].encode())
                os.fchown(handle, 0, gid)
                os.fchmod(handle, mode)
            finally:
                os.close(handle)
            if item["path"].endswith(".py"):
                run("%s does not compile" % item["path"], sys.executable, "-I", "-c",
                    "import sys; compile(open(sys.argv[1], 'rb').read(), sys.argv[2], 'exec')", part, item["path"])
        for part, path in staged:
            os.rename(part, path)
        staged = []
    finally:
        for part, dummy in staged:
            os.unlink(part)
    units = ["/etc/systemd/system/%s.%s" % (want["unit"], kind) for kind in ("socket", "service")]
    if any(item["path"] in units for item in want["paths"]):
        run("systemd-analyze verify refused the units", "systemd-analyze", "verify", *units)
        run("systemctl daemon-reload failed", "systemctl", "daemon-reload")
    # The service's Also= enables the socket with it, and its Requires= starts the socket first.
    run("%s.service did not start (journalctl -u %s)" % (want["unit"], want["unit"]),
        "systemctl", "enable", "--now", "--quiet", want["unit"] + ".service")


main()

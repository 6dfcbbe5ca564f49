# Writes what differs of nginx's configuration, tests it, then writes the sandbox's
# drop-in and restarts nginx in it: where the drop-in differs (a fresh host, a changed
# sandbox) nginx restarts anyway, and this does the role's writes, test and restart in one
# remote call instead of a module call per file (tasks/config.yml says when).
# The controller passes one JSON argument:
#   paths   in nginx_files' order, each what differs of it: {path, mode} a directory,
#           {path, mode, content} a file, {path} a path that must not exist; owner root
#   dropin  the drop-in's path; it is written last, once nginx -t accepted the rest
# As in tasks/write.yml, the configuration files replace the old ones only until nginx -t
# has answered: if it rejects them, the old files come back, new ones go, and the running
# nginx is neither reloaded nor restarted. Prints nothing on success.
import json
import os
import shutil
import subprocess
import sys
import tempfile

TAG = ".sandbox-start.%d" % os.getpid()


def stage(path, content, mode):
    """The new file beside its destination, with its owner and mode from the start."""
    part = path + TAG
    handle = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(handle, content.encode())
        os.fchown(handle, 0, 0)
        os.fchmod(handle, int(mode, 8))
    finally:
        os.close(handle)
    return part


def run(failure, *argv):
    if subprocess.run(argv, check=False).returncode != 0:
        sys.exit("sandbox start: " + failure)


def main():
    want = json.loads(sys.argv[1])
    dropin = None
    # path -> its backup, or None where there was nothing to put back. The backups wait in
    # a directory of their own, where no include of nginx's reads them (a backup beside
    # sites-enabled/default would be read as a site).
    replaced = {}
    backups = tempfile.mkdtemp(prefix=".sandbox-start-", dir="/etc/nginx")
    try:
        for item in want["paths"]:
            path = item["path"]
            if "mode" in item and "content" not in item:
                os.makedirs(path, exist_ok=True)
                os.chown(path, 0, 0)
                os.chmod(path, int(item["mode"], 8))
            elif path == want["dropin"]:
                dropin = item
            else:
                part = stage(path, item["content"], item["mode"]) if "content" in item else None
                backup = os.path.join(backups, str(len(replaced))) if os.path.lexists(path) else None
                if backup:
                    os.rename(path, backup)
                replaced[path] = backup
                if part:
                    os.rename(part, path)
        test = subprocess.run(["nginx", "-t"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False,
                              universal_newlines=True)
        if test.returncode != 0:
            sys.exit("nginx rejected the new configuration, so it was not loaded and the previous files "
                     "were put back. nginx -t said: %s. Check the nginx_* variables behind the directive "
                     "it names." % test.stdout.strip())
    except BaseException:
        for path, backup in replaced.items():
            if backup:
                os.replace(backup, path)
            elif os.path.lexists(path):
                os.unlink(path)
        for item in want["paths"]:
            if os.path.lexists(item["path"] + TAG):
                os.unlink(item["path"] + TAG)
        raise
    finally:
        shutil.rmtree(backups)
    if dropin:
        os.replace(stage(dropin["path"], dropin["content"], dropin["mode"]), dropin["path"])
        run("systemctl daemon-reload failed", "systemctl", "daemon-reload")
    run("nginx could not be enabled", "systemctl", "enable", "--quiet", "nginx.service")
    run("nginx did not restart (journalctl -u nginx)", "systemctl", "restart", "nginx.service")


main()

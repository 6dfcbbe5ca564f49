#!/usr/bin/python3
"""Start a release under gunicorn on a private socket and ask it for a health URL.

Usage: smoke_release.py --release DIR --module M --env-file F --user U --group G
                        [--path /] [--host NAME] [--status 200 ...] [--timeout 30]
Runs as root; gunicorn runs as the app user with only the env file's variables,
so no secret ever appears on a command line. Prints one JSON object.
"""
import argparse
import grp
import http.client
import importlib.util
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time



def read_env_file(path):
    """The import check's parser (installed beside this file), so both read the env file alike."""
    spec = importlib.util.spec_from_file_location(
        "flask_app_check", os.path.join(os.path.dirname(os.path.abspath(__file__)), "flask-app-check.py"))
    check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check)
    return check.read_env_file(path)


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--release", required=True)
    parser.add_argument("--module", required=True)
    parser.add_argument("--env-file", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--path", default="/")
    parser.add_argument("--host", default="localhost")
    parser.add_argument("--status", type=int, action="append")
    parser.add_argument("--timeout", type=float, default=30)
    args = parser.parse_args()
    wanted = args.status or [200]

    user, group = pwd.getpwnam(args.user), grp.getgrnam(args.group)
    workdir = tempfile.mkdtemp(prefix="flask-smoke-")
    os.chown(workdir, user.pw_uid, group.gr_gid)
    sock_path = os.path.join(workdir, "gunicorn.sock")
    config = os.path.join(workdir, "gunicorn.conf.py")
    with open(config, "w", encoding="utf-8") as handle:
        handle.write(
            f"bind = [{('unix:' + sock_path)!r}]\n"
            "workers = 1\n"
            f"chdir = {os.path.join(args.release, 'app')!r}\n"
            "worker_tmp_dir = '/dev/shm'\n"
            "control_socket_disable = True\n"
            "errorlog = '-'\n"
            "loglevel = 'warning'\n"
        )
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
    env.update(read_env_file(args.env_file))
    log = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(
        [os.path.join(args.release, "venv", "bin", "gunicorn"), "--config", config, args.module],
        cwd=os.path.join(args.release, "app"), env=env, user=user.pw_uid, group=group.gr_gid,
        extra_groups=[], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    result = {"ok": False, "status": None, "error": None, "log": []}
    deadline = time.monotonic() + args.timeout
    try:
        while not os.path.exists(sock_path):
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with status {proc.returncode} before listening")
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not listen within {args.timeout:.0f} s")
            time.sleep(0.1)
        conn = UnixHTTPConnection(sock_path, max(deadline - time.monotonic(), 1))
        try:
            conn.request("GET", args.path, headers={"Host": args.host, "User-Agent": "flask-release-smoke"})
            response = conn.getresponse()
            response.read(65536)
            result["status"] = response.status
            result["ok"] = response.status in wanted
            if not result["ok"]:
                result["error"] = f"GET {args.path} answered {response.status}, expected {' or '.join(map(str, wanted))}"
        finally:
            conn.close()
    except (OSError, RuntimeError, http.client.HTTPException) as exc:
        result["error"] = f"{type(exc).__name__}: {exc}" if not isinstance(exc, RuntimeError) else str(exc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)
        log.seek(0)
        result["log"] = [line.rstrip() for line in log.readlines()[-8:]]
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

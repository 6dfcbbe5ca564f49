#!/usr/bin/python3
"""The deploy lock of a Flask app on this host: at most one run changes an app at a time.

    flask-lock acquire NAME --holder JSON [--wait SECONDS] [--dir DIR]
    flask-lock release NAME --run-id RUN [--dir DIR]
    flask-lock status NAME [--dir DIR]
    flask-lock clear NAME [--dir DIR]

The lock is the file DIR/NAME.lock. It is taken atomically: the holder's record is
written to a private temporary file, which is then hard-linked to the lock's name;
link(2) fails when the name exists, so two runs can never both succeed, and the lock
never exists without its record. The record (JSON) says who holds it, since when, for
what, and which controller process runs the holder (host, boot id, PID and the PID's
start time), so that a later run can tell a live holder from a gone one.

acquire by the run that already holds the lock renews it (a later play of the same
run). release removes the lock only when RUN holds it. clear removes it whoever holds
it (playbooks/unlock.yml). Every command prints one JSON object.

acquire --tool-sha1 SHA1 first compares this file with the copy the role would install
(content, mode 0755, owner root): when they differ it prints {"outdated": true} and
takes nothing, so that the role installs the tool and asks again.
"""
import argparse
import hashlib
import json
import os
import sys
import tempfile
import time

DEFAULT_DIR = "/var/lib/flask-lock"


def lock_path(args):
    return os.path.join(args.dir, f"{args.name}.lock")


def read(path):
    """The lock's record, or None when the lock is free."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:  # a lock is never written in place, but say so if it is bad
        return {"who": "unknown (unreadable lock record)", "error": str(exc)}


def write_temp(directory, record):
    fd, temp = tempfile.mkstemp(dir=directory, prefix=".lock-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(record, handle, indent=1, sort_keys=True)
        handle.write("\n")
    os.chmod(temp, 0o644)
    return temp


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), int(time.time())


def cmd_acquire(args):
    os.makedirs(args.dir, mode=0o755, exist_ok=True)
    path = lock_path(args)
    holder = json.loads(args.holder)
    deadline = time.monotonic() + max(args.wait, 0)
    started = time.monotonic()
    while True:
        stamp, epoch = now()
        record = {**holder, "app": args.name, "since": stamp, "since_epoch": epoch, "renewed_epoch": epoch}
        temp = write_temp(args.dir, record)
        try:
            os.link(temp, path)  # atomic: fails when the lock exists
            return {"acquired": True, "renewed": False, "holder": record,
                    "waited": round(time.monotonic() - started, 1)}
        except FileExistsError:
            current = read(path)
            if current and current.get("run_id") == holder.get("run_id"):
                # The same run, a later play: keep its start, renew its lease.
                renewed = {**current, "renewed_epoch": epoch}
                os.replace(write_temp(args.dir, renewed), path)
                return {"acquired": True, "renewed": True, "holder": renewed, "waited": 0}
        finally:
            os.unlink(temp)
        if current is None:
            continue  # released between our link and our read: try again at once
        if time.monotonic() >= deadline:
            return {"acquired": False, "holder": current, "waited": round(time.monotonic() - started, 1)}
        time.sleep(1)


def cmd_release(args):
    path = lock_path(args)
    current = read(path)
    if current is None:
        return {"released": False, "held": False, "holder": None}
    if current.get("run_id") != args.run_id:
        return {"released": False, "held": True, "holder": current}
    os.unlink(path)
    return {"released": True, "held": False, "holder": current}


def cmd_status(args):
    current = read(lock_path(args))
    return {"held": current is not None, "holder": current}


def cmd_clear(args):
    path = lock_path(args)
    current = read(path)
    if current is not None:
        os.unlink(path)
    return {"cleared": current is not None, "holder": current}


def outdated(sha1):
    """Whether this file differs from the copy the role installs."""
    found = os.stat(__file__)
    with open(__file__, "rb") as handle:
        digest = hashlib.sha1(handle.read()).hexdigest()
    return (digest, found.st_mode & 0o7777, found.st_uid, found.st_gid) != (sha1, 0o755, 0, 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("acquire", "release", "status", "clear"):
        command = sub.add_parser(name)
        command.add_argument("name")
        command.add_argument("--dir", default=DEFAULT_DIR)
        if name == "acquire":
            command.add_argument("--holder", required=True, help="the holder's record, JSON")
            command.add_argument("--wait", type=float, default=0)
            command.add_argument("--tool-sha1", help="the SHA-1 of the tool as the role installs it")
        if name == "release":
            command.add_argument("--run-id", required=True)
    args = parser.parse_args()
    if getattr(args, "tool_sha1", None) and outdated(args.tool_sha1):
        json.dump({"outdated": True}, sys.stdout)
        sys.stdout.write("\n")
        return
    handler = {"acquire": cmd_acquire, "release": cmd_release, "status": cmd_status, "clear": cmd_clear}
    json.dump(handler[args.command](args), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

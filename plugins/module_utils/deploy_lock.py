#!/usr/bin/python3
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The deploy lock of a Flask app on a host: at most one run changes an app at a time.

The lock is the file DIR/NAME.lock. It is taken atomically: the holder's record is
written to a private temporary file, which is then hard-linked to the lock's name;
link(2) fails when the name exists, so two runs can never both succeed, and the lock
never exists without its record. The record (JSON) says who holds it, since when, for
what, and which controller process runs the holder (host, boot id, PID and the PID's
start time), so that a later run can tell a live holder from a gone one.

acquire by the run that already holds the lock renews it (a later play of the same
run). release removes the lock only when the given run holds it. clear removes it
whoever holds it (playbooks/unlock.yml).

The flask_lock module uses these functions, and installs this very file as the
operator's command /usr/local/sbin/flask-lock (standard library only):

    flask-lock status NAME [--dir DIR]      the record, as JSON
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import json
import os
import sys
import tempfile
import time

DEFAULT_DIR = "/var/lib/flask-lock"
NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"


def lock_path(directory, name):
    if not name or name[0] in "._-" or any(char not in NAME_CHARS for char in name):
        raise ValueError("a lock name is an app name (letters, digits, '.', '_', '-'), not %r" % name)
    return os.path.join(directory, name + ".lock")


def read(path):
    """The lock's record, or None when the lock is free."""
    try:
        with open(path) as handle:
            return json.load(handle)
    except (IOError, OSError) as exc:
        if exc.errno == errno.ENOENT:
            return None
        return {"who": "unknown (unreadable lock record)", "error": str(exc)}
    except ValueError as exc:  # a lock is never written in place, but say so if it is bad
        return {"who": "unknown (unreadable lock record)", "error": str(exc)}


def write_temp(directory, record):
    handle, temp = tempfile.mkstemp(dir=directory, prefix=".lock-")
    with os.fdopen(handle, "w") as out:
        json.dump(record, out, indent=1, sort_keys=True)
        out.write("\n")
    os.chmod(temp, 0o644)
    return temp


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), int(time.time())


def acquire(directory, name, holder, wait=0, sleep=time.sleep, clock=time.monotonic):
    """Take the lock for holder (a dict with a run_id), waiting up to wait seconds."""
    path = lock_path(directory, name)
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    started = clock()
    deadline = started + max(wait, 0)
    while True:
        stamp, epoch = now()
        record = dict(holder, app=name, since=stamp, since_epoch=epoch, renewed_epoch=epoch)
        temp = write_temp(directory, record)
        current = None
        try:
            os.link(temp, path)  # atomic: fails when the lock exists
            return {"acquired": True, "renewed": False, "holder": record, "waited": round(clock() - started, 1)}
        except OSError as exc:
            if exc.errno != errno.EEXIST:
                raise
            current = read(path)
            if current and current.get("run_id") == holder.get("run_id"):
                # The same run, a later play: keep its start, renew its lease.
                renewed = dict(current, renewed_epoch=epoch)
                os.rename(write_temp(directory, renewed), path)
                return {"acquired": True, "renewed": True, "holder": renewed, "waited": 0}
        finally:
            os.unlink(temp)
        if current is None:
            continue  # released between our link and our read: try again at once
        if clock() >= deadline:
            return {"acquired": False, "holder": current, "waited": round(clock() - started, 1)}
        sleep(1)


def peek(directory, name, holder):
    """What acquire would answer now, changing nothing (check mode)."""
    current = read(lock_path(directory, name))
    free = current is None or current.get("run_id") == holder.get("run_id")
    return {"acquired": free, "renewed": current is not None and free, "holder": current or holder, "waited": 0}


def release(directory, name, run_id, dry_run=False):
    path = lock_path(directory, name)
    current = read(path)
    if current is None:
        return {"released": False, "held": False, "holder": None}
    if current.get("run_id") != run_id:
        return {"released": False, "held": True, "holder": current}
    if not dry_run:
        os.unlink(path)
    return {"released": True, "held": False, "holder": current}


def status(directory, name):
    current = read(lock_path(directory, name))
    return {"held": current is not None, "holder": current}


def clear(directory, name, dry_run=False):
    path = lock_path(directory, name)
    current = read(path)
    if current is not None and not dry_run:
        os.unlink(path)
    return {"cleared": current is not None, "holder": current}


def main(argv=None):
    """The operator's command: flask-lock status NAME [--dir DIR]."""
    args = list(sys.argv[1:] if argv is None else argv)
    directory = DEFAULT_DIR
    if "--dir" in args:
        at = args.index("--dir")
        directory = args[at + 1]
        del args[at:at + 2]
    if len(args) != 2 or args[0] != "status":
        sys.stderr.write("usage: flask-lock status NAME [--dir DIR]\n"
                         "Take, release and clear locks with the plays (playbooks/unlock.yml).\n")
        return 2
    json.dump(status(directory, args[1]), sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

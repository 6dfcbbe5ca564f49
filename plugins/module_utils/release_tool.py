#!/usr/bin/python3
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inspect and switch the releases of a Flask app laid out by the flask_app role.

    flask-release status ROOT [--unit UNIT] [--process UNIT ...] [--timer UNIT ...]
                                            what is live, what came before, what is kept,
                                            and whether each unit runs the live release
    flask-release activate ROOT ID [--dry-run]  point ROOT/current at releases/ID, atomically
    flask-release prune ROOT KEEP [--dry-run]   remove all but the KEEP most recent releases
    flask-release probe (--https HOST:PORT | --unix PATH | --http HOST:PORT) --host NAME
                        [--path /] [--status 200 ...] [--tries 3] [--timeout 15]
    flask-release record ROOT --action deploy|rollback --result ok|failed|refused --release ID
                        [--source TEXT] [--who TEXT] [--detail TEXT|-] [--changed]
                                            (--detail -: read from stdin, off any command line)
    flask-release history ROOT [--json]         the deploy history, newest last

ROOT holds releases/ID/{app,venv,release.json}, the `current` link, `history`
(one "TIME ID" line per activation) and `deploy-history.jsonl` (one JSON record per
deploy, rollback or refused release: time, app, action, release, source, who,
result; the last HISTORY_KEEP are kept). Every command but history prints one JSON
object.

The flask_release module does the same work with the same functions (status, activate,
prune, record; the flask_health module asks the site with probe) and installs this very
file as the operator's command /usr/local/sbin/flask-release (standard library only); the
flask_smoke module asks the app with its UnixHTTPConnection.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

HISTORY_FILE = "deploy-history.jsonl"
HISTORY_KEEP = 500


def releases_dir(root):
    return os.path.join(root, "releases")


def complete(root, release):
    return os.path.isfile(os.path.join(releases_dir(root), release, "release.json"))


def current_id(root):
    try:
        return os.path.basename(os.readlink(os.path.join(root, "current")).rstrip("/"))
    except OSError:
        return None


def history(root):
    try:
        with open(os.path.join(root, "history"), encoding="utf-8") as handle:
            return [line.split()[1] for line in handle if len(line.split()) == 2]
    except OSError:
        return []


def previous_id(root, current):
    """The release that was live before the current one and is still on disk."""
    for release in reversed(history(root)):
        if release != current and complete(root, release):
            return release
    return None


def kept_order(root):
    """Complete releases, most recently activated first; never-activated ones first of all."""
    on_disk = [r for r in sorted(os.listdir(releases_dir(root))) if complete(root, r)] if os.path.isdir(releases_dir(root)) else []
    seen = []
    for release in reversed(history(root)):
        if release in on_disk and release not in seen:
            seen.append(release)
    fresh = sorted((r for r in on_disk if r not in seen),
                   key=lambda r: os.path.getmtime(os.path.join(releases_dir(root), r, "release.json")), reverse=True)
    return fresh + seen


def main_pid_start(unit):
    """(pid, wall-clock start time) of the unit's main process, or (0, None)."""
    out = subprocess.run(["systemctl", "show", "--property=MainPID,ExecMainStartTimestampMonotonic", unit],
                         capture_output=True, text=True, check=False).stdout
    props = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    pid = int(props.get("MainPID", "0") or 0)
    if not pid:
        return 0, None
    started_mono = int(props.get("ExecMainStartTimestampMonotonic", "0") or 0) / 1e6
    return pid, time.clock_gettime(time.CLOCK_REALTIME) - (time.clock_gettime(time.CLOCK_MONOTONIC) - started_mono)


def unit_state(unit, root, current):
    """A process's unit: active or not, its main PID, whether it runs the live release."""
    out = subprocess.run(["systemctl", "show", "--property=ActiveState", unit],
                         capture_output=True, text=True, check=False).stdout
    pid, started = main_pid_start(unit)
    return {
        "active": out.strip().partition("=")[2],
        "main_pid": pid,
        "running_current": bool(pid and current and started > os.lstat(os.path.join(root, "current")).st_mtime),
    }


def timer_state(unit):
    """A timer: active or not, when it last fired and when it fires next."""
    out = subprocess.run(["systemctl", "show", "--timestamp=utc", "--property=ActiveState,LastTriggerUSec,NextElapseUSecRealtime", unit],
                         capture_output=True, text=True, check=False).stdout
    props = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    return {"active": props.get("ActiveState", ""), "last": props.get("LastTriggerUSec", "") or None,
            "next": props.get("NextElapseUSecRealtime", "") or None}


def status(root, unit=None, processes=(), timers=()):
    """What is live, what came before, what is kept, and whether each unit runs the live release."""
    current = current_id(root)
    state = {
        "current": current,
        "previous": previous_id(root, current),
        "releases": kept_order(root),
        "history": history(root)[-20:],
        # Every release directory, complete or not: prune has work only when there are
        # more than it keeps.
        "release_dirs": release_dirs(root),
        # A run that changes nothing records its release only when it differs from this.
        "last_recorded_live": last_live(deploy_history(root)),
        "main_pid": 0,
        "running_current": None,
    }
    if unit:
        pid, started = main_pid_start(unit)
        state["main_pid"] = pid
        if pid and current:
            # The master resolved `current` when it started; it runs the current
            # release when it started after the link last changed.
            state["running_current"] = started > os.lstat(os.path.join(root, "current")).st_mtime
    state["processes"] = {name: unit_state(name, root, current) for name in processes or []}
    state["timers"] = {name: timer_state(name) for name in timers or []}
    return state


class ReleaseError(Exception):
    """A release cannot be made live (the message says why)."""


def activate(root, release, dry_run=False):
    """Point ROOT/current at releases/RELEASE with one rename(2) and append the switch to
    ROOT/history; with dry_run, only say whether it would change. A release that is not
    complete (no release.json) is refused, except in a dry run (it may not be built yet)."""
    if not complete(root, release) and not dry_run:
        raise ReleaseError(f"release {release} is not in {releases_dir(root)} (or was never completed)")
    before = current_id(root)
    result = {"changed": before != release, "previous": before, "current": release}
    if not result["changed"] or dry_run:
        return result
    link = os.path.join(root, "current")
    staging = f"{link}.{os.getpid()}"
    os.symlink(os.path.join("releases", release), staging)
    os.replace(staging, link)  # rename(2): readers see the old link or the new one, never none
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    past = history(root)
    with open(os.path.join(root, "history"), "a", encoding="utf-8") as handle:
        if before and (not past or past[-1] != before):
            handle.write(f"{stamp} {before}\n")
        handle.write(f"{stamp} {release}\n")
    return result


def release_dirs(root):
    """Names of the directories under releases/ (not links), sorted."""
    if not os.path.isdir(releases_dir(root)):
        return []
    return sorted(name for name in os.listdir(releases_dir(root))
                  if os.path.isdir(os.path.join(releases_dir(root), name))
                  and not os.path.islink(os.path.join(releases_dir(root), name)))


def prune(root, keep, dry_run=False):
    """Remove every release directory but the live release and the KEEP most recently live
    ones (a release built but never live counts as the newest); with dry_run, only list them."""
    current = current_id(root)
    kept = set(kept_order(root)[: max(keep, 1)]) | {current}
    removed = []
    for name in release_dirs(root):
        if name in kept:
            continue
        removed.append(name)
        if not dry_run:
            shutil.rmtree(os.path.join(releases_dir(root), name))
    return {"changed": bool(removed), "removed": removed, "kept": sorted(kept - {None})}


def deploy_history(root):
    """The deploy history's records, oldest first (a damaged line is skipped)."""
    records = []
    try:
        with open(os.path.join(root, HISTORY_FILE), encoding="utf-8") as handle:
            for line in handle:
                try:
                    records.append(json.loads(line))
                except ValueError:
                    continue
    except OSError:
        pass
    return records


def release_origin(root, release):
    """Where a release came from, as its release.json says (older releases say nothing)."""
    try:
        with open(os.path.join(releases_dir(root), release, "release.json"), encoding="utf-8") as handle:
            return json.load(handle).get("origin", "")
    except (OSError, ValueError):
        return ""


def without_credentials(text):
    """text with the user and password of each URL in it cut (up to the last @ before the
    path, so a password holding an @ goes whole)."""
    return re.sub(r"://[^/\s]*@", "://", text)


def last_live(past):
    """The release of the last successful record, or None."""
    live = [r for r in past if r.get("result") == "ok"]
    return live[-1].get("release") if live else None


def record(root, action, result, release="", source="", who="", detail="", went_live=False):
    """Append a record to the deploy history (the last HISTORY_KEEP are kept). A successful
    run in which nothing went live is recorded only when its release differs from the last
    one recorded live (so the first deploy is recorded)."""
    past = deploy_history(root)
    if result == "ok" and not went_live and last_live(past) == release:
        return {"recorded": False}
    entry = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "app": os.path.basename(os.path.normpath(root)),
        "action": action,
        "release": release,
        "source": without_credentials(source or release_origin(root, release)),
        "who": who,
        "result": result,
        "detail": without_credentials(" ".join(detail.split()))[:500],
    }
    kept = [json.dumps(r, sort_keys=True) for r in past[-(HISTORY_KEEP - 1):]] + [json.dumps(entry, sort_keys=True)]
    os.makedirs(root, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=root, prefix=".deploy-history.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(kept) + "\n")
    os.chmod(temp, 0o640)
    os.replace(temp, os.path.join(root, HISTORY_FILE))  # readers see the old file or the new one
    return {"recorded": True, "record": entry}


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a unix socket (the flask_smoke module's and the probe's client)."""

    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


class SNIHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to an address, with the site's name in SNI and Host."""

    def __init__(self, host, port, server_name, timeout):
        # The site's certificate may come from a private CA: the probe checks the
        # app's health through the proxy, not the certificate (the TLS tests do).
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        super().__init__(host, port, timeout=timeout, context=context)
        self.server_name = server_name
        self.tls_context = context

    def connect(self):
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self.tls_context.wrap_socket(sock, server_hostname=self.server_name)


def connection(via, address, host, timeout):
    """A connection to the site: via https (host in SNI), http or unix, at address (HOST:PORT
    or a socket's path)."""
    if via == "unix":
        return UnixHTTPConnection(address, timeout)
    name, dummy, port = address.rpartition(":")
    if via == "http":
        return http.client.HTTPConnection(name.strip("[]"), int(port), timeout=timeout)
    return SNIHTTPSConnection(name.strip("[]"), int(port), host, timeout)


def probe(via, address, host, path="/", wanted=(200,), tries=3, timeout=15):
    """GET path from the site, with host in Host (and SNI), up to `tries` times one second
    apart, until it answers one of the `wanted` status codes."""
    result = {"ok": False, "status": None, "error": None, "attempts": 0}
    for attempt in range(1, tries + 1):
        result["attempts"] = attempt
        conn = connection(via, address, host, timeout)
        try:
            conn.request("GET", path, headers={"Host": host, "User-Agent": "flask-release-probe"})
            response = conn.getresponse()
            response.read(65536)
            result.update(status=response.status, error=None, ok=response.status in wanted)
        except (OSError, http.client.HTTPException) as exc:
            result.update(status=None, error=f"{type(exc).__name__}: {exc}", ok=False)
        finally:
            conn.close()
        if result["ok"]:
            break
        if attempt < tries:
            time.sleep(1)
    return result


def cmd_status(args):
    return status(args.root, args.unit, args.process, args.timer)


def cmd_activate(args):
    try:
        return activate(args.root, args.id, args.dry_run)
    except ReleaseError as exc:
        raise SystemExit(str(exc)) from None


def cmd_prune(args):
    return prune(args.root, args.keep, args.dry_run)


def cmd_record(args):
    detail = sys.stdin.read() if args.detail == "-" else args.detail
    return record(args.root, args.action, args.result, args.release, args.source, args.who, detail, args.changed)


def cmd_probe(args):
    via = "unix" if args.unix else "http" if args.http else "https"
    return probe(via, args.unix or args.http or args.https, args.host, args.path, args.status or [200],
                 args.tries, args.timeout)


def cmd_history(args):
    records = deploy_history(args.root)
    if args.json:
        return records
    for r in records:
        line = (f"{r.get('time', '?')}  {r.get('action', '?'):8}  {r.get('result', '?'):7}  {r.get('release') or '-':12}  "
                f"{r.get('source') or '-'}  by {r.get('who') or '?'}")
        sys.stdout.write(line + (f"  -- {r['detail']}" if r.get("detail") else "") + "\n")
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    status_cmd = sub.add_parser("status")
    status_cmd.add_argument("root")
    status_cmd.add_argument("--unit")
    status_cmd.add_argument("--process", action="append", help="a process's service unit (repeat)")
    status_cmd.add_argument("--timer", action="append", help="a timer unit (repeat)")
    activate_cmd = sub.add_parser("activate")
    activate_cmd.add_argument("root")
    activate_cmd.add_argument("id")
    activate_cmd.add_argument("--dry-run", action="store_true")
    prune_cmd = sub.add_parser("prune")
    prune_cmd.add_argument("root")
    prune_cmd.add_argument("keep", type=int)
    prune_cmd.add_argument("--dry-run", action="store_true")
    probe_cmd = sub.add_parser("probe")
    where = probe_cmd.add_mutually_exclusive_group(required=True)
    where.add_argument("--https")
    where.add_argument("--http")
    where.add_argument("--unix")
    probe_cmd.add_argument("--host", required=True)
    probe_cmd.add_argument("--path", default="/")
    probe_cmd.add_argument("--status", type=int, action="append")
    probe_cmd.add_argument("--tries", type=int, default=3)
    probe_cmd.add_argument("--timeout", type=float, default=15)
    record_cmd = sub.add_parser("record")
    record_cmd.add_argument("root")
    record_cmd.add_argument("--action", choices=["deploy", "rollback"], required=True)
    record_cmd.add_argument("--result", choices=["ok", "failed", "refused"], required=True)
    record_cmd.add_argument("--release", default="")
    record_cmd.add_argument("--source", default="")
    record_cmd.add_argument("--who", default="")
    record_cmd.add_argument("--detail", default="", help="why, in a line; - reads it from stdin")
    record_cmd.add_argument("--changed", action="store_true", help="the release went live or restarted in this run")
    history_cmd = sub.add_parser("history")
    history_cmd.add_argument("root")
    history_cmd.add_argument("--json", action="store_true", help="the records as one JSON list")
    args = parser.parse_args()
    handler = {"status": cmd_status, "activate": cmd_activate, "prune": cmd_prune, "probe": cmd_probe,
               "record": cmd_record, "history": cmd_history}[args.command]
    result = handler(args)
    if result is not None:
        json.dump(result, sys.stdout)
        sys.stdout.write("\n")


if __name__ == "__main__":
    main()

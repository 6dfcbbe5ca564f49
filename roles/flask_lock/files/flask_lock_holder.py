#!/usr/bin/env python3
"""The controller's side of the deploy lock (run by a pipe lookup, on the controller).

    flask_lock_holder.py identity        who is deploying: JSON for the lock's record
    flask_lock_holder.py judge RECORD    is the holder of a lock record still running?

identity names the holder as a person reads it (the CI job and its URL, or
user@controller) and records the run's ansible-playbook process: controller host
name, boot id, PID and the PID's start time. These make the run id: a later play of
the same run renews the lock instead of being refused by it.

judge answers "running", "stale" or "unknown" with a reason:
- on the holder's own controller (same host name and boot id) the PID decides: a
  process with that PID and start time is the holder still running; none means the
  run ended without releasing the lock (Ctrl-C twice, SIGKILL, a lost controller);
- elsewhere the lease decides: a record not renewed for LEASE seconds is stale,
  a younger one is reported as held by a holder this controller cannot see.
"""
import getpass
import json
import os
import socket
import sys
import time


def proc_stat(pid):
    """(parent PID, start time in clock ticks since boot) from /proc, or None."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return int(fields[1]), fields[19]
    except (OSError, IndexError, ValueError):
        return None


def argv(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return [part.decode("utf-8", "replace") for part in handle.read().split(b"\0") if part]
    except OSError:
        return []


def is_playbook(pid):
    return any(os.path.basename(part) == "ansible-playbook" for part in argv(pid)[:2])


def playbook_pid():
    """The outermost ansible-playbook process above this one (its workers are forks of it)."""
    found, pid = None, os.getppid()
    while pid > 1:
        if is_playbook(pid):
            found = pid
        stat = proc_stat(pid)
        if stat is None:
            break
        pid = stat[0]
    return found or os.getppid()


def boot_id():
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def ci_job(env):
    """(who, job id, job URL) when a CI system runs us, else None."""
    # GitLab sets GITLAB_CI=true; gitlab-ci-local sets it false but gives the job's id and URL.
    if env.get("GITLAB_CI") == "true" or (env.get("CI_JOB_ID") and env.get("CI_JOB_URL")):
        job, url = env.get("CI_JOB_ID", ""), env.get("CI_JOB_URL", "")
        by = env.get("GITLAB_USER_LOGIN", "")
        return f"GitLab CI job {job} {url}".strip() + (f" (started by {by})" if by else ""), job, url
    if env.get("GITHUB_ACTIONS") == "true":
        run, attempt = env.get("GITHUB_RUN_ID", ""), env.get("GITHUB_RUN_ATTEMPT", "1")
        url = f"{env.get('GITHUB_SERVER_URL', '')}/{env.get('GITHUB_REPOSITORY', '')}/actions/runs/{run}"
        by = env.get("GITHUB_ACTOR", "")
        return f"GitHub Actions run {run} attempt {attempt} {url}" + (f" (started by {by})" if by else ""), run, url
    return None


def identity():
    user = os.environ.get("SUDO_USER") or getpass.getuser()
    host = socket.gethostname()
    pid = playbook_pid()
    stat = proc_stat(pid)
    start = stat[1] if stat else ""
    job = ci_job(os.environ)
    record = {
        "who": job[0] if job else f"{user}@{host}",
        "user": user,
        "controller": host,
        "boot_id": boot_id(),
        "pid": pid,
        "pid_start": start,
        "ci_job_id": job[1] if job else "",
        "ci_job_url": job[2] if job else "",
    }
    record["run_id"] = f"{host}/{record['boot_id']}/{pid}/{start}"
    return record


def judge(record, lease):
    mine = identity()
    if record.get("controller") == mine["controller"] and record.get("boot_id") == mine["boot_id"] and record.get("boot_id"):
        stat = proc_stat(record.get("pid", 0))
        if stat and stat[1] == record.get("pid_start"):
            return {"state": "running", "reason": f"Its run is still going: PID {record['pid']} on {record['controller']}"}
        return {"state": "stale", "reason": (
            f"Its run (PID {record.get('pid')} on {record.get('controller')}) has ended without releasing "
            "the lock: it was interrupted or killed")}
    age = int(time.time()) - int(record.get("renewed_epoch", record.get("since_epoch", 0)))
    if age > lease:
        return {"state": "stale", "reason": (
            f"Its lease ran out: not renewed for {age} s (flask_lock_lease is {lease} s), and its "
            f"controller {record.get('controller')} is not this one, so its process cannot be checked")}
    return {"state": "unknown", "reason": (
        f"It runs on another controller ({record.get('controller')}), so its process cannot be checked "
        f"from here; its lease has {lease - age} s left")}


def main():
    if sys.argv[1:2] == ["identity"]:
        result = identity()
    elif sys.argv[1:2] == ["judge"] and len(sys.argv) == 4:
        result = judge(json.loads(sys.argv[2]), int(sys.argv[3]))
    else:
        sys.exit("usage: flask_lock_holder.py identity | judge RECORD LEASE_SECONDS")
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()

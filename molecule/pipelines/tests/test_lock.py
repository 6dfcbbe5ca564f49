"""The deploy lock: one run changes the app at a time, a refused run names the holder,
a waiting run gets the lock, a failed run releases it, and a killed run leaves a lock
reported as STALE that unlock.yml clears."""
import json
import os
import shlex
import time

from loadgen import versions_in_turn

from conftest import (APP, DEPLOY, LOCK_FILE, PROJECT, ROLLBACK, UNLOCK, Run, ci_job_env, lock_record, on_host,
                      run_playbook, sampler, site_version, wait_for_lock)

SITE = os.path.join(PROJECT, "site.yml")


def test_two_deploys_at_once_one_is_refused_naming_the_holder(make_release, ca_file):
    release = make_release(31)
    with sampler(ca_file) as load:
        first = Run(DEPLOY, "-e", f"flask_app_source_dir={release}", env=ci_job_env(7001))
        second = Run(DEPLOY, "-e", f"flask_app_source_dir={release}", env=ci_job_env(7002))
        runs = [first.wait(), second.wait()]
    refused = [run for run in runs if run.returncode != 0]
    assert len(refused) == 1, "expected one deploy to pass and one to be refused:\n" + "\n".join(
        r.output[-2000:] for r in runs)
    loser, winner = refused[0], next(run for run in runs if run.returncode == 0)
    holder = "7001" if winner is first else "7002"
    assert f"held by GitLab CI job {holder} https://gitlab.example/team/shop/-/jobs/{holder}" in loser.output, (
        f"the refusal does not name the holding job:\n{loser.output[-3000:]}")
    assert "since 20" in loser.output and "Deploy a release of the Flask app" in loser.output, (
        f"the refusal does not say since when and for what:\n{loser.output[-3000:]}")
    assert "changed=0" in loser.output, f"the refused deploy changed something:\n{loser.output[-3000:]}"
    # It fails as soon as it finds the lock, not when the holder is done. (How long that
    # takes is a speed figure, not a test: 20-40 s here, most of it Ansible's start-up.)
    assert loser.seconds < winner.seconds, (
        f"the refused deploy waited for the holder ({loser.seconds:.0f} s against {winner.seconds:.0f} s)")
    load.assert_no_failure(min_requests=20)
    assert versions_in_turn(load)[-1] == "31", f"the winner's release is not live: {versions_in_turn(load)}"
    assert lock_record() is None, "the lock was left behind"


HOLD = 45  # seconds another run holds the lock while a deploy waits for it


def hold_lock_elsewhere(job):
    """Write the lock's record as a live run of GitLab CI job `job` on another controller
    would (taken now, so its lease runs): this controller cannot check that run, so the
    lock is neither free nor stale. Returns the record."""
    since = int(time.time())
    record = {"who": f"GitLab CI job {job} https://gitlab.example/team/shop/-/jobs/{job}", "user": "gitlab-runner",
              "controller": "runner-elsewhere", "boot_id": "0" * 32, "pid": 4242, "pid_start": "1",
              "run_id": f"runner-elsewhere/0/4242/{job}", "purpose": "Deploy a release of the Flask app", "app": APP,
              "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(since)), "since_epoch": since,
              "renewed_epoch": since}
    held = on_host(f"install -d -m 0755 /var/lib/flask-lock && printf '%s\\n' {shlex.quote(json.dumps(record))} > {LOCK_FILE}")
    assert held.returncode == 0 and lock_record() == record, f"could not hold the lock: {held.stderr}"
    return record


def test_a_waiting_deploy_waits_for_the_holder_then_deploys(make_release, ca_file):
    """Another controller's CI job holds the lock for HOLD s (its record written on the
    host, then removed, as its run would release it); a deploy with flask_lock_wait starts
    meanwhile, takes the lock within seconds of its release, and deploys its release."""
    before = site_version(ca_file)
    release = make_release(36)
    record = hold_lock_elsewhere(7010)
    waiter = Run(DEPLOY, "-e", f"flask_app_source_dir={release}", "-e", "flask_lock_wait=600")
    time.sleep(HOLD)
    assert waiter.returncode is None, f"the waiting deploy ended while the lock was held:\n{waiter.output[-3000:]}"
    assert lock_record() == record, "the holder's lock was taken or touched while it was held"
    assert site_version(ca_file) == before, "a release went live while the lock was held"
    on_host(f"rm -f {LOCK_FILE}")
    released = time.monotonic()
    taken = None
    while time.monotonic() - released < 30 and waiter.returncode is None:
        current = lock_record()
        if current and current["run_id"] != record["run_id"]:
            taken = time.monotonic() - released
            break
        time.sleep(0.5)
    waiter.wait()
    assert waiter.returncode == 0, f"the waiting deploy failed:\n{waiter.output[-3000:]}"
    assert taken is not None and taken < 10, f"the waiter did not take the lock within 10 s of its release ({taken})"
    assert waiter.seconds >= HOLD, f"the waiter took {waiter.seconds:.0f} s, less than the {HOLD} s the lock was held"
    assert site_version(ca_file) == "36", "the waiter's release is not live"
    assert lock_record() is None, "the lock was left behind"


def test_a_killed_deploy_leaves_a_stale_lock_that_unlock_clears(make_release):
    release = make_release(34)
    killed = Run(DEPLOY, "-e", f"flask_app_source_dir={release}", env=ci_job_env(7003))
    record = wait_for_lock()
    killed.kill()  # as a lost controller or a cancelled job would end, without cleaning up
    assert lock_record() == record, "the killed run's lock is gone: nothing was left to prove"

    refused = run_playbook(DEPLOY, "-e", f"flask_app_source_dir={release}")
    assert refused.returncode != 0 and refused.changed == 0, refused.output[-3000:]
    assert "STALE" in refused.output and "GitLab CI job 7003" in refused.output, (
        f"the stale lock is not reported with its holder:\n{refused.output[-3000:]}")

    cleared = run_playbook(UNLOCK)
    assert cleared.returncode == 0, cleared.output[-3000:]
    assert "Cleared the STALE deploy lock" in cleared.output and "GitLab CI job 7003" in cleared.output, (
        f"unlock does not say whose lock it cleared:\n{cleared.output[-3000:]}")
    assert lock_record() is None, "unlock.yml left the lock"

    again = run_playbook(DEPLOY, "-e", f"flask_app_source_dir={make_release(31)}")
    assert again.returncode == 0, f"the deploy after unlock failed:\n{again.output[-3000:]}"


def test_unlock_refuses_a_lock_whose_holder_still_runs(make_release):
    holder = Run(DEPLOY, "-e", f"flask_app_source_dir={make_release(35)}")
    wait_for_lock()
    refused = run_playbook(UNLOCK)
    holder.wait()
    assert refused.returncode != 0 and "Left in place" in refused.output, (
        f"unlock cleared a running holder's lock:\n{refused.output[-3000:]}")
    assert holder.returncode == 0, f"the holder's deploy failed:\n{holder.output[-3000:]}"


def test_rollback_and_site_take_the_lock(ca_file):
    """rollback.yml and site.yml, like deploy.yml, are refused while another run holds the
    lock, naming it, and change nothing."""
    before = site_version(ca_file)
    record = hold_lock_elsewhere(7020)
    try:
        runs = {playbook: run_playbook(playbook) for playbook in (ROLLBACK, SITE)}
        left = lock_record()
    finally:
        on_host(f"rm -f {LOCK_FILE}")
    for playbook, result in runs.items():
        name = os.path.basename(playbook)
        assert result.returncode != 0 and result.changed == 0, f"{name} ran under a held lock:\n{result.output[-3000:]}"
        assert "held by GitLab CI job 7020" in " ".join(result.output.split()), (
            f"{name}'s refusal does not name the holder:\n{result.output[-3000:]}")
    assert left == record, "a refused run touched the holder's lock"
    assert site_version(ca_file) == before, "a refused run changed the live release"


def test_unlock_clears_a_lock_it_cannot_check_only_with_force():
    """A lock held from another controller, within its lease: unlock.yml leaves it alone,
    and clears it with -e flask_lock_force=true."""
    record = hold_lock_elsewhere(7030)
    try:
        refused = run_playbook(UNLOCK)
        left = lock_record()
        forced = run_playbook(UNLOCK, "-e", "flask_lock_force=true")
    finally:
        on_host(f"rm -f {LOCK_FILE}")
    assert refused.returncode != 0 and "Left in place" in refused.output, (
        f"unlock.yml cleared a lock it cannot check, without force:\n{refused.output[-3000:]}")
    assert left == record, "unlock.yml without force touched the lock"
    assert forced.returncode == 0 and "GitLab CI job 7030" in forced.output, (
        f"unlock.yml with flask_lock_force=true did not clear the lock:\n{forced.output[-3000:]}")
    assert "Cleared the" in forced.output, f"unlock.yml does not say it cleared the lock:\n{forced.output[-3000:]}"

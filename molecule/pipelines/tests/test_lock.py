"""The deploy lock: one run changes the app at a time, a refused run names the holder,
a waiting run gets the lock, a failed run releases it, and a killed run leaves a lock
reported as STALE that unlock.yml clears."""
from conftest import DEPLOY, UNLOCK, Run, Sampler, ci_job_env, lock_record, run_playbook, wait_for_lock


def test_two_deploys_at_once_one_is_refused_naming_the_holder(make_release, ca_file):
    release = make_release(31)
    with Sampler(ca_file) as sampler:
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
    assert not sampler.failures and sampler.count > 20, (
        f"the site failed while two deploys ran: {sampler.failures[:5]} ({sampler.count} requests)")
    assert sampler.versions[-1] == "31", f"the winner's release is not live: {sampler.versions}"
    assert lock_record() is None, "the lock was left behind"


def test_a_waiting_deploy_gets_the_lock_when_the_holder_is_done(make_release):
    live = make_release(31)  # already built and live: both runs are quick
    holder = Run(DEPLOY, "-e", f"flask_app_source_dir={live}")
    wait_for_lock()
    waiter = Run(DEPLOY, "-e", f"flask_app_source_dir={live}", "-e", "flask_lock_wait=600")
    holder.wait()
    waiter.wait()
    assert holder.returncode == 0, holder.output[-3000:]
    assert waiter.returncode == 0, f"the waiting deploy did not get the lock:\n{waiter.output[-3000:]}"
    assert waiter.seconds > 0 and lock_record() is None, "the lock was left behind"


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

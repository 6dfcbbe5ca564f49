# Waits for the apt run layout_fix.yml started in the background (async, poll 0) and
# removes its status file, in one remote call: the job's file, as async_status reads it,
# is looked at every 0.1 s, where polling with async_status costs a module call a turn.
# Argument: the job's results file (the start's results_file). Prints nothing; a failed
# install exits non-zero with apt's message.
import json
import os
import sys
import time

path = sys.argv[1]
deadline = time.monotonic() + 900
while True:
    try:
        with open(path) as handle:
            job = json.load(handle)
    except FileNotFoundError:
        sys.exit("the background apt run left no status file at %s" % path)
    except ValueError:
        job = None  # not written yet
    # async_wrapper keeps "started" in the file until the module's own result replaces it.
    if job is not None and "started" not in job:
        break
    if time.monotonic() > deadline:
        sys.exit("the background apt run did not finish within 900 s (its status: %s)" % path)
    time.sleep(0.1)
os.unlink(path)
if job.get("failed") or job.get("rc", 0) != 0:
    sys.exit("apt could not install the system packages (flask_app_system_packages: the virtualenv's, "
             "a git source's and flask_app_host_packages): %s" % (job.get("msg") or job.get("stderr") or job))

"""Root follows no link the app controls: a running app that swaps its shared instance
folder for a link before a deploy gets the deploy refused, naming the link, and the
link's target is never written to."""
from conftest import APP, APP_SOURCE, INSTANCE, deploy

VICTIM = "/etc/flask-links-victim"


def test_a_link_the_app_planted_in_its_data_refuses_the_deploy(host, site):
    host.run_test(f"mkdir -p {VICTIM} && echo untouched > {VICTIM}/keep")
    before = host.check_output(f"ls -la --time-style=full-iso {VICTIM}; sha256sum {VICTIM}/keep")
    # What a compromised app can do as its own user, in its own data directory.
    planted = host.run(f"runuser -u {APP} -- sh -c 'mv {INSTANCE} {INSTANCE}.moved && ln -s {VICTIM} {INSTANCE}'")
    assert planted.rc == 0, planted.stderr
    try:
        result = deploy(APP_SOURCE)
        assert result.returncode != 0, "the deploy followed the app's link instead of refusing it"
        assert f"{INSTANCE} is a symbolic link" in result.output, result.output[-3000:]
        assert host.check_output(f"ls -la --time-style=full-iso {VICTIM}; sha256sum {VICTIM}/keep") == before, (
            f"root wrote into {VICTIM} through the app's link")
        assert site.https("/").status == 200, "the live release stopped serving after the refused deploy"
    finally:
        host.run_test(f"rm {INSTANCE} && mv {INSTANCE}.moved {INSTANCE} && rm -r {VICTIM}")
    assert deploy(APP_SOURCE).returncode == 0, "the deploy failed once the app's own directory was back"

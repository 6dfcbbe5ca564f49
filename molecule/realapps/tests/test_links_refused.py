"""Root follows no link the app controls: a running app that swaps its shared instance
folder for a link before a deploy gets the deploy refused, naming the link, and the
link's target is never written to."""
from conftest import APP, APP_SOURCE, INSTANCE, deploy

VICTIM = "/etc/flask-links-victim"


def test_a_link_the_app_planted_in_its_data_refuses_the_deploy(host, site):
    host.run_test(f"mkdir -p {VICTIM} && echo untouched > {VICTIM}/keep")
    before = host.check_output(f"ls -la --time-style=full-iso {VICTIM}; sha256sum {VICTIM}/keep")
    live = host.file(f"/srv/{APP}/current").linked_to
    # What a compromised app can do as its own user, in its own data directory.
    planted = host.run(f"runuser -u {APP} -- sh -c 'mv {INSTANCE} {INSTANCE}.moved && ln -s {VICTIM} {INSTANCE}'")
    assert planted.rc == 0, planted.stderr
    try:
        result = deploy(APP_SOURCE)
        assert result.returncode != 0, "the deploy followed the app's link instead of refusing it"
        assert f"{INSTANCE} is a symbolic link" in result.output, result.output[-3000:]
        assert host.check_output(f"ls -la --time-style=full-iso {VICTIM}; sha256sum {VICTIM}/keep") == before, (
            f"root wrote into {VICTIM} through the app's link")
        assert host.file(f"/srv/{APP}/current").linked_to == live, "the refused deploy switched the live release"
    finally:
        host.run_test(f"rm {INSTANCE} && mv {INSTANCE}.moved {INSTANCE} && rm -r {VICTIM}")
    # The app broke its own instance folder; once it is back, the untouched release serves
    # (/about reads no database: this test may run before init-db).
    assert site.https("/about").status == 200, "the live release does not serve once its instance folder is back"
    assert deploy(APP_SOURCE).returncode == 0, "the deploy failed once the app's own directory was back"

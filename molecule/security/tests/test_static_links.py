"""The proxy serves static files from inside the release only, never through a link in
it: a link to /etc/passwd or to a file elsewhere in the release, as a source's unpack
leaves it (root's, in the static folder), is refused, while a plain static file is
served through the deploy's own `current` link."""
import pytest
from conftest import APP

STATIC = f"/srv/{APP}/current/app/static"
# Files www-data can read: the host's accounts, and the app's own code beside the static folder.
TARGETS = {"leak-passwd": "/etc/passwd", "leak-code": "../requirements.txt"}


@pytest.fixture(scope="module")
def planted(host):
    """The links, placed in the live release as a source tree that shipped them would."""
    for name, target in TARGETS.items():
        host.check_output(f"ln -sfn {target} {STATIC}/{name}")
    yield TARGETS
    host.check_output("rm -f " + " ".join(f"{STATIC}/{name}" for name in TARGETS))


def test_a_plain_static_file_is_served(host, site):
    files = host.check_output(f"find {STATIC}/ -maxdepth 1 -type f -printf '%f\\n'").split()
    assert files, f"the release has no static file in {STATIC}: nothing to compare with"
    response = site.https(f"/static/{files[0]}")
    assert response.status == 200, f"a plain static file is not served: {response.status}"
    assert response.body == host.file(f"{STATIC}/{files[0]}").content_string


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_a_link_in_the_static_folder_is_not_followed(host, site, planted, name):
    target = host.file(f"{STATIC}/{name}").linked_to
    content = host.file(target).content_string.strip()
    assert content, f"{target} is empty: nothing could leak"
    response = site.https(f"/static/{name}")
    assert response.status in (403, 404), f"/static/{name} -> {target} answered {response.status}"
    assert content.splitlines()[0] not in response.body, f"/static/{name} served the content of {target}"

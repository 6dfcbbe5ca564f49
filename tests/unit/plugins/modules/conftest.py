"""The stubs the modules' tests share."""
import os

import pytest

from ansible_collections.flaskops.production.plugins.module_utils import background_apt


@pytest.fixture
def apt(tmp_path, monkeypatch):
    """dpkg-query lists what tmp/installed holds; apt-get install adds its packages there
    (or fails when tmp/fail exists); every apt-get call is logged."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (tmp_path / "installed").write_text("python3-venv\n")
    (bin_dir / "dpkg-query").write_text(
        "#!/bin/sh\nfor p in $(cat %s/installed); do echo \"$p ii \"; done\n" % tmp_path)
    (bin_dir / "apt-get").write_text(
        "#!/bin/sh\necho \"$*\" >>%(t)s/apt.log\n[ -e %(t)s/fail ] && { echo 'E: Unable to locate package nope' >&2; exit 100; }\n"
        "[ \"$1\" = install ] && for p in \"$@\"; do case $p in -*|install|*=*) ;; *) echo $p >>%(t)s/installed;; esac; done\n"
        "exit 0\n" % {"t": tmp_path})
    for name in ("dpkg-query", "apt-get"):
        (bin_dir / name).chmod(0o755)
    monkeypatch.setenv("PATH", "%s:%s" % (bin_dir, os.environ["PATH"]))
    monkeypatch.setattr(background_apt, "ENV", dict(os.environ))
    return tmp_path

"""Secrets and keys have the tightest modes that work."""
from conftest import APP


def test_env_file_readable_by_root_and_app_group_only(host):
    env = host.file(f"/etc/flask/{APP}.env")
    assert env.user == "root" and env.group == APP and env.mode == 0o640
    assert "FLASK_DEBUG=0" in env.content_string


def test_private_key_readable_by_root_only(host):
    for path in (f"/etc/ssl/flask/{APP}/privkey.pem", "/etc/ssl/flask-ca/ca.key"):
        key = host.file(path)
        assert key.user == "root" and key.mode == 0o600, f"{path} is not root-only"


def test_app_cannot_write_its_code(host):
    for path in (f"/srv/{APP}/current/app", f"/srv/{APP}/current/venv"):
        assert host.file(path).user == "root"
    assert host.run(f"runuser -u {APP} -- touch /srv/{APP}/current/app/x").rc != 0


def test_debian_default_site_removed(host):
    assert not host.file("/etc/nginx/sites-enabled/default").exists

"""A certificate from pebble, the ACME test CA: issued over HTTP-01 in the first run,
served by nginx, renewed by certbot's timer unit without a failed request, and kept
when an order cannot succeed. In file order: the failing runs come last."""
from functools import partial

import pytest
from loadgen import Load

from conftest import APP, EAB_HMAC_KEY, LIVE, NAMES, STRAY_NAME, cert_serial_on_disk, http_get, https_get, run_playbook


def served(root):
    """One request for the load: (status, serial of the certificate served)."""
    status, _, serial = https_get(root)
    return status, serial


@pytest.mark.parametrize("name", NAMES)
def test_site_serves_pebble_certificate_whose_chain_verifies_to_pebble_root(pebble_root, site_host, name):
    status, body, serial = https_get(pebble_root, name)
    assert status == 200 and body == "Hello, World!", f"{name}: {status} {body[:200]}"
    assert serial == cert_serial_on_disk(site_host), "nginx serves another certificate than certbot's live one"
    issuer = site_host.check_output(f"openssl x509 -in {LIVE}/fullchain.pem -noout -issuer")
    assert "Pebble Intermediate" in issuer, issuer


def test_private_key_is_root_only(site_host):
    mode, owner = site_host.check_output(f"stat -L -c '%a %U' {LIVE}/privkey.pem").split()
    assert (mode, owner) == ("600", "root"), f"privkey.pem is {mode} {owner}"


def test_http_serves_the_challenge_and_redirects_the_rest(site_host):
    token = "probe-token-4f1c"
    path = f"/.well-known/acme-challenge/{token}"
    site_host.check_output(f"install -D -m 0644 /dev/null /var/www/acme-challenge{path}")
    site_host.check_output(f"echo {token}.key > /var/www/acme-challenge{path}")
    try:
        response = http_get(path)
        assert response.status == 200 and response.body.strip() == f"{token}.key", response.status
        assert response.getheader("Content-Type", "").startswith("text/plain")
    finally:
        site_host.check_output(f"rm -f /var/www/acme-challenge{path}")
    response = http_get("/")
    assert response.status == 301
    assert response.getheader("Location") == f"https://{NAMES[0]}:21443/"
    assert http_get("/.well-known/acme-challenge/missing").status == 404


def test_renewal_runs_from_certbots_systemd_timer_with_a_reload_hook(site_host):
    timer = site_host.service("certbot.timer")
    assert timer.is_enabled and timer.is_running, "certbot.timer is not enabled and active"
    cron = site_host.file("/etc/cron.d/certbot").content_string
    assert "-d /run/systemd/system" in cron, "Debian's cron entry no longer defers to the timer"
    extra = site_host.run("grep -rl certbot /etc/crontab /var/spool/cron 2>/dev/null")
    assert extra.stdout.strip() == "", f"a second certbot cron job: {extra.stdout}"
    hook = site_host.file("/etc/letsencrypt/renewal-hooks/deploy/reload-proxy")
    assert hook.mode == 0o755 and "systemctl reload nginx" in hook.content_string
    env = site_host.check_output("systemctl show -p Environment --value certbot.service")
    assert "REQUESTS_CA_BUNDLE=/etc/letsencrypt/acme-server-ca.pem" in env, env


def test_check_mode_of_the_acme_steps_changes_nothing_and_prints_no_secret(site_host):
    """Both tls passes with --check --diff -vvv (the idempotence step ran the whole play for real)."""
    result = run_playbook("certificate.yml", "--check", "--diff", "-vvv")
    assert result.returncode == 0, result.output[-3000:]
    assert result.changed == 0, f"--check --diff would change things:\n{result.output[-3000:]}"
    assert EAB_HMAC_KEY not in result.output, "the EAB HMAC key appears in ansible-playbook's output"
    logged = site_host.run(f"grep -rlF -e {EAB_HMAC_KEY} /var/log /etc/letsencrypt/renewal; journalctl -o cat | grep -cF -e {EAB_HMAC_KEY}")
    assert logged.stdout.strip() == "0", f"the EAB HMAC key was logged: {logged.stdout}"
    mode, owner = site_host.check_output(f"stat -c '%a %U' /etc/ssl/flask/{APP}/acme-eab.ini").split()
    assert (mode, owner) == ("600", "root"), f"acme-eab.ini is {mode} {owner}"


def test_timer_renewal_replaces_certificate_without_a_failed_request(pebble_root, site_host):
    """certbot.service (what the timer starts) renews once the renewal window covers the
    certificate's whole life; requests on new TLS connections meanwhile all succeed."""
    conf = f"/etc/letsencrypt/renewal/{APP}.conf"
    before = cert_serial_on_disk(site_host)
    site_host.check_output(f"sed -i 's/^renew_before_expiry = .*/renew_before_expiry = 3650 days/' {conf}")
    with Load(lambda: partial(served, pebble_root), threads=1, pause=0.05, seconds=120,
              label="requests on new TLS connections") as load:  # about 15 a second: under the rate limit
        renewed = site_host.run("systemctl start certbot.service")
    site_host.check_output(f"sed -i 's/^renew_before_expiry = .*/renew_before_expiry = 30 days/' {conf}")
    assert renewed.rc == 0, renewed.stderr
    load.assert_no_failure(min_requests=10, max_gap=2)
    after = cert_serial_on_disk(site_host)
    assert after != before, "certbot.service did not renew the certificate"
    assert after in {sample.details for sample in load.samples}, "no request during the load got the new certificate"
    assert https_get(pebble_root)[2] == after, "nginx still serves the old certificate after the deploy hook"


def test_name_not_pointing_at_the_host_fails_cleanly_and_old_certificate_keeps_serving(pebble_root, site_host):
    before = cert_serial_on_disk(site_host)
    checksum = site_host.file(f"{LIVE}/fullchain.pem").sha256sum
    result = run_playbook("certificate.yml", "-e", f'{{"nginx_server_names": ["{NAMES[0]}", "{NAMES[1]}", "{STRAY_NAME}"]}}')
    assert result.returncode != 0 and result.failed == 1, "an order that cannot succeed passed"
    assert f"Names that failed the HTTP-01 challenge: {STRAY_NAME} (connection" in " ".join(result.output.split()), (
        f"the error does not name {STRAY_NAME} and why:\n{result.output[-3000:]}"
    )
    assert site_host.file(f"{LIVE}/fullchain.pem").sha256sum == checksum, "the failed order touched the certificate"
    status, body, serial = https_get(pebble_root)
    assert status == 200 and body == "Hello, World!" and serial == before, "the site stopped serving the old certificate"


def test_unreachable_ca_fails_cleanly_and_old_certificate_keeps_serving(pebble_root, site_host):
    before = cert_serial_on_disk(site_host)
    result = run_playbook("certificate.yml", "-e", '{"tls_acme_directory_url": "https://molecule-acme-ca:14999/dir"}')
    assert result.returncode != 0 and result.failed == 1, "an unreachable CA did not fail the play"
    text = " ".join(result.output.split())
    assert "did not issue a certificate" in text and "14999" in text and "Connection refused" in text, (
        f"the error does not say the CA was unreachable:\n{result.output[-3000:]}"
    )
    status, _, serial = https_get(pebble_root)
    assert status == 200 and serial == before, "the site stopped serving the old certificate"

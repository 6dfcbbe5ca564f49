"""One private CA per host signs every app's certificate: the CA the play fetched to the
controller verifies each app's site, and a host whose apps each had a CA of their own
(as this role made them before) converges to the host's CA without a site going down."""
import os
import shlex
import ssl
import time

from conftest import FETCHED_CA
from sitelib import PROJECT, Site, run_playbook

WEBSERVERS = os.path.join(PROJECT, "playbooks", "webservers.yml")
NAMES = {"notes": "notes.test", "probe": "probe.test"}
# A path each app answers with 200.
PATHS = {"notes": "/health", "probe": "/"}
HOST_CA = "/etc/ssl/flask-ca/ca.crt"

# A site's own CA as the role made it before (/etc/ssl/flask/NAME/ca), signing the site's
# certificate again for the same key and names: the state of a host from before.
OLD_STYLE_CA = r'''
import datetime, os, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
app, host, names = sys.argv[1], sys.argv[2], sys.argv[3:]
site = "/etc/ssl/flask/" + app
os.makedirs(site + "/ca", mode=0o700, exist_ok=True)
ca_key = ec.generate_private_key(ec.SECP256R1())
ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "%s private CA (%s)" % (app, host))])
now = datetime.datetime.now(datetime.timezone.utc)
def build(subject, issuer, key):
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key)
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=300)))
ca = (build(ca_name, ca_name, ca_key.public_key())
      .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
      .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
      .sign(ca_key, hashes.SHA256()))
with open(site + "/privkey.pem", "rb") as handle:
    key = serialization.load_pem_private_key(handle.read(), password=None)
cert = (build(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]), ca_name, key.public_key())
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        .sign(ca_key, hashes.SHA256()))
with open(site + "/ca/ca.key", "wb") as handle:
    os.fchmod(handle.fileno(), 0o600)
    handle.write(ca_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                      serialization.NoEncryption()))
with open(site + "/ca/ca.crt", "wb") as handle:
    handle.write(ca.public_bytes(serialization.Encoding.PEM))
with open(site + "/fullchain.pem", "wb") as handle:
    handle.write(cert.public_bytes(serialization.Encoding.PEM))
'''


def status_once_verified(site, path, name, timeout=15):
    """The status of GET path under name, once the handshake verifies against the site's CA.
    A reload of nginx returns before every old worker has gone, so a new connection may
    still meet one serving the certificate of before: asked again until timeout."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return site.https(path, host=name, sni=name).status
        except ssl.SSLCertVerificationError:
            assert time.monotonic() < deadline, f"{name} never served a certificate its CA verifies"
            time.sleep(0.5)


def test_the_fetched_ca_verifies_every_apps_site(host, sites):
    with open(FETCHED_CA, encoding="utf-8") as handle:
        assert handle.read() == host.file(HOST_CA).content_string, "the fetched CA is not the host's"
    for app, name in NAMES.items():
        response = sites[app].https(PATHS[app], host=name, sni=name)
        assert response.status == 200, f"{name}: {response.status}"


def test_no_app_keeps_a_ca_of_its_own(host):
    for app in NAMES:
        assert not host.file(f"/etc/ssl/flask/{app}/ca").exists, f"{app} has a CA of its own"


def test_a_host_with_a_ca_per_app_converges_to_one_ca(host, sites, tmp_path):
    """The notes site gets a CA of its own, as before; the next run signs its certificate
    with the host's CA, removes the old CA, and the run after changes nothing."""
    host.check_output(f"python3 -c {shlex.quote(OLD_STYLE_CA)} notes molecule-apps notes.test && systemctl reload nginx")
    old = tmp_path / "old-ca.crt"
    old.write_text(host.file("/etc/ssl/flask/notes/ca/ca.crt").content_string)
    assert status_once_verified(Site(str(old)), "/health", "notes.test") == 200, (
        "the notes site does not answer under the certificate of its own CA: nothing to converge from")

    converged = run_playbook(WEBSERVERS)
    assert converged.returncode == 0, converged.output[-3000:]
    assert "another CA issued it" in converged.output, converged.output[-3000:]
    assert not host.file("/etc/ssl/flask/notes/ca").exists, "the notes site's own CA was left"
    for app, name in NAMES.items():
        assert status_once_verified(sites[app], PATHS[app], name) == 200, f"{name} does not verify with the host's CA"
    again = run_playbook(WEBSERVERS)
    assert again.returncode == 0 and again.changed == 0, f"changed={again.changed}:\n{again.output[-3000:]}"


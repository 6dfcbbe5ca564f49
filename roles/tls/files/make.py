# First make of a site's server key and certificate, and of the host's private CA where
# the host has none yet, in one remote call. The controller runs it only when the site's
# key and certificate do not exist and the CA is wholly missing or complete; any repair goes
# through the community.crypto tasks of self_signed_make.yml, which accept what this
# writes as their own (same key type and format, same names and extensions), so a later
# repair never makes the CA again.
# The controller passes one JSON argument:
#   dir                                 the certificate directory (root's, 0755)
#   ca_dir, ca_key, ca_crt, key, cert   the paths (tls_self_signed_want's); an existing CA
#                                       (key and certificate) signs, a missing one is made
#   ca_name, domains                    the CA's common name, the server's names
#   ca_days, days                       how long each certificate is valid
# and reads back one JSON object: the served certificate's SHA-1. No key material is printed.
import datetime
import hashlib
import json
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def write(path, data, mode):
    """Write a file as root with its mode from the start, then move it in place."""
    partial = "%s.%d.partial" % (path, os.getpid())
    handle = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.write(handle, data)
        os.fchown(handle, 0, 0)
        os.fchmod(handle, mode)
        os.fsync(handle)
    finally:
        os.close(handle)
    os.rename(partial, path)


def new_key(path):
    key = ec.generate_private_key(ec.SECP256R1())
    write(path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                  serialization.NoEncryption()), 0o600)
    return key


def builder(subject, issuer, public_key, days):
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    return (x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=days)))


def new_ca(want):
    """The CA as openssl_csr_pipe and x509_certificate (selfsigned) make it: its common name
    is also its one subject alternative name, as that module does when none is given."""
    ca_key = new_key(want["ca_key"])
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, want["ca_name"])])
    ca_cert = (builder(ca_name, ca_name, ca_key.public_key(), want["ca_days"])
               .add_extension(x509.SubjectAlternativeName([x509.DNSName(want["ca_name"])]), critical=False)
               .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                            crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
               .sign(ca_key, hashes.SHA256()))
    write(want["ca_crt"], ca_cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return ca_key, ca_cert


def existing_ca(want):
    """The host's CA that an earlier site's run made (the controller checked it is complete)."""
    with open(want["ca_key"], "rb") as handle:
        ca_key = serialization.load_pem_private_key(handle.read(), password=None)
    with open(want["ca_crt"], "rb") as handle:
        return ca_key, x509.load_pem_x509_certificate(handle.read())


def main():
    want = json.loads(sys.argv[1])
    for path, mode in ((want["dir"], 0o755), (want["ca_dir"], 0o700)):
        os.makedirs(path, mode=mode, exist_ok=True)
        os.chown(path, 0, 0)
        os.chmod(path, mode)

    have_ca = os.path.exists(want["ca_key"]) and os.path.exists(want["ca_crt"])
    ca_key, ca_cert = existing_ca(want) if have_ca else new_ca(want)

    # The server's certificate as the ownca provider signs it.
    key = new_key(want["key"])
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, want["domains"][0])])
    try:
        ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:
        ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_cert.public_key())
    cert = (builder(subject, ca_cert.subject, key.public_key(), want["days"])
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name) for name in want["domains"]]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM)
    write(want["cert"], pem, 0o644)
    json.dump({"checksum": hashlib.sha1(pem).hexdigest()}, sys.stdout)


main()

# Read-only look at what the tls role keeps on a host, in one remote call.
# The controller passes one JSON argument:
#   dir          the certificate directory
#   served       the certificates that may be served, in order of preference
#   self_signed  {paths, ca, site_ca, cert, key, renew_days} when tls_mode is self_signed
#                (ca: the host's CA certificate; site_ca: where a site's own CA was kept)
# and reads one JSON object back. No key material is printed.
import datetime
import hashlib
import json
import os
import stat
import sys


def look(path):
    """Mode, owner and type of a path, without following a symlink, or None."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return {"mode": "%04o" % stat.S_IMODE(st.st_mode), "uid": st.st_uid, "gid": st.st_gid,
            "isdir": stat.S_ISDIR(st.st_mode)}


def sha1(path):
    """SHA-1 of a file's content (following symlinks), or None when it cannot be read."""
    digest = hashlib.sha1()
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(65536), b""):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def names(name):
    return [[attribute.rfc4514_attribute_name, attribute.value] for attribute in name]


def signed_by(cert, ca_path):
    """Whether the CA certificate at ca_path (ECDSA, as the role makes it) signed cert."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives.asymmetric import ec

        with open(ca_path, "rb") as handle:
            ca_cert = x509.load_pem_x509_certificate(handle.read())
        ca_cert.public_key().verify(cert.signature, cert.tbs_certificate_bytes,
                                    ec.ECDSA(cert.signature_hash_algorithm))
        return cert.issuer == ca_cert.subject
    except Exception:  # pylint: disable=broad-except
        return False


def certificate(cert_path, key_path, renew_days, ca_path):
    """What the fast path compares; None when the library, the certificate or the key fails."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        with open(cert_path, "rb") as handle:
            cert = x509.load_pem_x509_certificate(handle.read())
        with open(key_path, "rb") as handle:
            key = serialization.load_pem_private_key(handle.read(), password=None)
        try:
            alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            alt = []
        utc = datetime.timezone.utc
        not_before = getattr(cert, "not_valid_before_utc", None) or cert.not_valid_before.replace(tzinfo=utc)
        not_after = getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after.replace(tzinfo=utc)
        renewal = datetime.datetime.now(utc) + datetime.timedelta(days=renew_days)
        spki = (serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        return {
            "subject": names(cert.subject),
            "issuer": names(cert.issuer),
            "signed_by_ca": signed_by(cert, ca_path),
            "alt_names": [("DNS:" + entry.value) if isinstance(entry, x509.DNSName) else type(entry).__name__
                          for entry in alt],
            "valid_at_renewal": not_before <= renewal <= not_after,
            "curve": key.curve.name if isinstance(key, ec.EllipticCurvePrivateKey) else "",
            "matches_key": cert.public_key().public_bytes(*spki) == key.public_key().public_bytes(*spki),
        }
    except Exception:  # pylint: disable=broad-except
        return None


def main():
    request = json.loads(sys.argv[1])
    answer = {
        "dir": look(request["dir"]),
        "served": [{"exists": os.path.exists(path), "checksum": sha1(path) or ""} for path in request["served"]],
    }
    wanted = request.get("self_signed")
    if wanted:
        # "path uid gid mode isdir" for each file that exists, as the slow path writes them.
        answer["have"] = ["%s %d %d %s %s" % (path, info["uid"], info["gid"], info["mode"], info["isdir"])
                          for path, info in ((path, look(path)) for path in wanted["paths"]) if info]
        answer["ca_checksum"] = sha1(wanted["ca"]) or ""
        answer["certificate"] = certificate(wanted["cert"], wanted["key"], wanted["renew_days"], wanted["ca"])
        answer["site_ca"] = look(wanted["site_ca"]) is not None
        try:
            import cryptography  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
            answer["crypto_library"] = True
        except ImportError:
            answer["crypto_library"] = False
    json.dump(answer, sys.stdout)


main()

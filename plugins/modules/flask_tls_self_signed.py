#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flaskops maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: flask_tls_self_signed
short_description: Keep a site's self-signed certificate, signed by the host's one private CA
description:
  - Looks at the host's private CA (its directory, key and certificate), a site's server
    key and certificate and the site's certificate directory, and makes or repairs what
    differs from what this module makes, in one call.
  - The host has one private CA, which signs the certificate of every site on the host;
    it is made once and kept. A CA key that cannot be read or is not ECDSA P-256 is made
    again, and so is its certificate when it does not match its key, carries another name
    or has expired (every site's certificate is then signed again on its next run).
  - The server key is ECDSA P-256, root's, mode 0600. It is made when missing and made
    again only when it cannot be read or is of another type; a wrong mode or owner is
    repaired in place.
  - The certificate names O(domains) (the first as its common name), is signed by the
    host's CA and matches the server key. It is signed again when any of these differs,
    when it cannot be read, or when it expires within O(renew_days) days.
  - O(old_ca_dir), a site's own CA from before the host had one, is removed.
  - Every file is written to a new file first and renamed into place, with its owner
    (root) and mode from the start. No link is followed; a link where a directory or a
    file belongs fails the task (a directory) or is replaced (a file).
  - Needs python3-cryptography on the host. With O(need_library=false) and the library
    missing, the module changes nothing and returns RV(library=false), so that a play can
    install it and call the module again.
version_added: 1.2.0
author: flaskops maintainers (@flaskops)
requirements:
  - python3-cryptography
options:
  dir:
    description: The site's certificate directory (root's, mode 0755).
    type: path
    required: true
  certificate:
    description: The site's certificate, as the proxy serves it.
    type: path
    required: true
  private_key:
    description: The site's private key.
    type: path
    required: true
  domains:
    description: The names the certificate is for; the first is its common name.
    type: list
    elements: str
    required: true
  days:
    description: Days a new certificate is valid.
    type: int
    default: 365
  renew_days:
    description: The certificate is signed again when it expires within these days.
    type: int
    default: 30
  ca_dir:
    description: The host's CA directory (root only, mode 0700), with C(ca.key) and C(ca.crt).
    type: path
    default: /etc/ssl/flask-ca
  ca_name:
    description: The common name of the host's CA.
    type: str
    required: true
  ca_days:
    description: Days a new CA certificate is valid.
    type: int
    default: 3650
  old_ca_dir:
    description:
      - A site's own CA of before, removed. Ignored when it is O(ca_dir).
    type: path
  need_library:
    description:
      - When false and python3-cryptography cannot be imported, the module changes nothing
        and returns RV(library=false). When true, a real run fails then, and check mode
        reports a change.
    type: bool
    default: true
attributes:
  check_mode:
    description: Reports the changes and their reasons a real run would make, and writes nothing.
    support: full
  diff_mode:
    description:
      - One diff a path that changes, describing its state (type, owner, mode; for a
        certificate its names, issuer and expiry; for a key its type and whether it is
        made anew). Never any key material.
    support: full
"""

EXAMPLES = r"""
- name: Make or repair the private CA, the server key and the certificate
  flaskops.production.flask_tls_self_signed:
    dir: /etc/ssl/flask/shop
    certificate: /etc/ssl/flask/shop/fullchain.pem
    private_key: /etc/ssl/flask/shop/privkey.pem
    domains: [shop.example.com, www.shop.example.com]
    ca_name: private CA (web1)
    old_ca_dir: /etc/ssl/flask/shop/ca
  register: shop_tls
"""

RETURN = r"""
reasons:
  description: Why something is (or in check mode would be) made or repaired; empty when nothing is.
  returned: always
  type: list
  elements: str
  sample: ["/etc/ssl/flask/shop/privkey.pem is missing or not root:root mode 0600", "it expires within 30 days"]
checksum:
  description:
    - SHA-1 of the certificate once the module has run, as M(ansible.builtin.stat) gives it.
    - In check mode, C(new) when the certificate would be signed again; empty without the library.
  returned: always
  type: str
  sample: 2aae6c35c94fcfb415dbe95f408b9ce91ee846ed
ca_checksum:
  description: SHA-1 of the CA certificate once the module has run (C(new) and empty as for RV(checksum)).
  returned: always
  type: str
ca_certificate:
  description: The path of the host's CA certificate.
  returned: always
  type: str
  sample: /etc/ssl/flask-ca/ca.crt
library:
  description: Whether python3-cryptography could be imported.
  returned: always
  type: bool
"""

import datetime
import grp
import hashlib
import os
import pwd
import shutil
import stat

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    HAS_CRYPTOGRAPHY = True
except ImportError:
    HAS_CRYPTOGRAPHY = False

# The owner of every path this module keeps; unit tests set their own.
OWNER = (0, 0)

KEY_TYPE = "ECDSA P-256"


def look(path):
    """lstat of path, or None when it does not exist."""
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def name_of(uid, gid):
    try:
        user = pwd.getpwuid(uid).pw_name
    except KeyError:
        user = str(uid)
    try:
        group = grp.getgrgid(gid).gr_name
    except KeyError:
        group = str(gid)
    return user, group


def describe(found, kind, mode, extra=""):
    """A path's state as the diff shows it."""
    if found is None:
        return "state: absent\n"
    if stat.S_ISLNK(found.st_mode):
        return "state: link\n"
    user, group = name_of(found.st_uid, found.st_gid)
    if kind is None:  # as found
        kind = "directory" if stat.S_ISDIR(found.st_mode) else "file"
    return "state: %s\nowner: %s\ngroup: %s\nmode: %04o\n%s" % (kind, user, group, mode, extra)


def wanted(kind, mode, extra=""):
    user, group = name_of(*OWNER)
    return "state: %s\nowner: %s\ngroup: %s\nmode: %04o\n%s" % (kind, user, group, mode, extra)


def read_nofollow(path):
    """A regular file's bytes, never through a link; None when it cannot be read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        chunks = []
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    finally:
        os.close(fd)


def write(path, data, mode):
    """Write a file with its owner and mode from the start, then rename it into place (a
    link in its place is replaced, never followed)."""
    partial = "%s.%d.partial" % (path, os.getpid())
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    try:
        os.fchown(fd, *OWNER)
        os.fchmod(fd, mode)
        os.write(fd, data)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        os.unlink(partial)
        raise
    os.close(fd)
    os.rename(partial, path)


def set_meta(path, mode, is_dir):
    """Owner and mode of an existing path, set on the opened path, following no link."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | (os.O_DIRECTORY if is_dir else 0)
    fd = os.open(path, flags)
    try:
        os.fchown(fd, *OWNER)
        os.fchmod(fd, mode)
    finally:
        os.close(fd)


def sha1(data):
    return hashlib.sha1(data).hexdigest()


def utc(cert, name):
    """A certificate's date as an aware datetime (cryptography before 42 has naive ones only)."""
    if hasattr(cert, name + "_utc"):
        return getattr(cert, name + "_utc")
    return getattr(cert, name).replace(tzinfo=datetime.timezone.utc)


def not_after(cert):
    return utc(cert, "not_valid_after")


def not_before(cert):
    return utc(cert, "not_valid_before")


def load_key(data):
    """A private key from PEM, or None."""
    if data is None:
        return None
    try:
        return serialization.load_pem_private_key(data, password=None)
    except Exception:  # pylint: disable=broad-except
        return None


def load_cert(data):
    if data is None:
        return None
    try:
        return x509.load_pem_x509_certificate(data)
    except Exception:  # pylint: disable=broad-except
        return None


def is_p256(key):
    return isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"


def key_kind(key):
    if key is None:
        return "cannot be read"
    if is_p256(key):
        return KEY_TYPE
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return "ECDSA " + key.curve.name
    return type(key).__name__.lstrip("_")


def spki(key):
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def common_name(value):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, value)])


def alt_names(cert):
    try:
        alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [entry.value if isinstance(entry, x509.DNSName) else type(entry).__name__ for entry in alt]


def signed_by(cert, ca_cert):
    """Whether ca_cert (ECDSA, as this module makes it) signed cert."""
    try:
        ca_cert.public_key().verify(cert.signature, cert.tbs_certificate_bytes,
                                    ec.ECDSA(cert.signature_hash_algorithm))
    except Exception:  # pylint: disable=broad-except
        return False
    return cert.issuer == ca_cert.subject


def cert_text(cert):
    if cert is None:
        return "certificate: cannot be read\n"
    return "subject: %s\nnames: %s\nissuer: %s\nnot after: %s\n" % (
        cert.subject.rfc4514_string(), ", ".join(alt_names(cert)), cert.issuer.rfc4514_string(),
        not_after(cert).strftime("%Y-%m-%dT%H:%M:%SZ"))


def new_cert_text(subject, names, issuer, days):
    return "subject: %s\nnames: %s\nissuer: %s\nnot after: %d days after the run (signed anew)\n" % (
        common_name(subject).rfc4514_string(), ", ".join(names), common_name(issuer).rfc4514_string(), days)


def builder(subject, issuer, public_key, days):
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    return (x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=days)))


def make_key():
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())


def make_ca_cert(ca_key, name, days):
    """The CA as community.crypto's openssl_csr_pipe and x509_certificate (selfsigned) made
    it before this module: its common name is also its one subject alternative name."""
    return (builder(common_name(name), common_name(name), ca_key.public_key(), days)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))


def make_server_cert(key, ca_key, ca_cert, domains, days):
    try:
        ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:
        ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_cert.public_key())
    return (builder(common_name(domains[0]), ca_cert.subject, key.public_key(), days)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name) for name in domains]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
            .sign(ca_key, hashes.SHA256()))


class Plan(object):
    """What differs from the wanted state: reasons, diffs and the steps that repair it."""

    def __init__(self):
        self.reasons = []
        self.diffs = []
        self.steps = []

    def reason(self, text):
        if text not in self.reasons:
            self.reasons.append(text)

    def diff(self, path, before, after):
        if before != after:
            self.diffs.append({"before_header": path, "after_header": path, "before": before, "after": after})


def meta_wrong(found, mode):
    return found is None or stat.S_ISLNK(found.st_mode) or (found.st_uid, found.st_gid) != OWNER \
        or stat.S_IMODE(found.st_mode) != mode


def missing_reason(path, mode):
    return "%s is missing or not root:root mode %04o" % (path, mode)


def plan_dir(module, plan, path, mode):
    found = look(path)
    if found is not None and not stat.S_ISDIR(found.st_mode):
        module.fail_json(msg="%s must be a directory; it is a link or a file, which this module does not remove" % path)
    if not meta_wrong(found, mode):
        return
    plan.reason(missing_reason(path, mode))
    plan.diff(path, describe(found, "directory", stat.S_IMODE(found.st_mode) if found else 0), wanted("directory", mode))
    if found is None:
        # Its parents (/etc/ssl/flask on a first run) as root's, 0755.
        plan.steps.append(lambda: os.makedirs(os.path.dirname(path), 0o755, exist_ok=True))
        plan.steps.append(lambda: os.mkdir(path, mode))
    plan.steps.append(lambda: set_meta(path, mode, True))


def file_meta(module, path):
    found = look(path)
    if found is not None and stat.S_ISDIR(found.st_mode):
        module.fail_json(msg="%s must be a file; it is a directory, which this module does not remove" % path)
    return found


def plan_file(plan, path, found, mode, remake, before_extra, after_extra, content):
    """A key or certificate: made (content() gives its bytes) when remake, else its owner
    and mode repaired where they differ."""
    wrong = meta_wrong(found, mode)
    if wrong:
        plan.reason(missing_reason(path, mode))
    if not (remake or wrong):
        return
    before = describe(found, None, stat.S_IMODE(found.st_mode) if found else 0, before_extra if found else "")
    plan.diff(path, before, wanted("file", mode, after_extra))
    if remake or stat.S_ISLNK(found.st_mode):
        plan.steps.append(lambda: write(path, content(), mode))
    else:
        plan.steps.append(lambda: set_meta(path, mode, False))


def run(module):
    params = module.params
    domains = params["domains"]
    ca_dir = os.path.normpath(params["ca_dir"])
    ca_key_path = os.path.join(ca_dir, "ca.key")
    ca_crt_path = os.path.join(ca_dir, "ca.crt")
    key_path, cert_path = params["private_key"], params["certificate"]
    plan = Plan()
    # What the steps make, for the steps after them (filled in as they run).
    made = {}

    plan_dir(module, plan, params["dir"], 0o755)
    plan_dir(module, plan, ca_dir, 0o700)

    # The host's CA: its key, then its certificate.
    ca_key_found = file_meta(module, ca_key_path)
    ca_key = load_key(read_nofollow(ca_key_path)) if ca_key_found else None
    remake_ca_key = not is_p256(ca_key)
    if ca_key_found and remake_ca_key:
        plan.reason("the CA's key %s is not an %s key that can be read" % (ca_key_path, KEY_TYPE))
    made["ca_key"] = ca_key if not remake_ca_key else make_key()

    def ca_key_bytes():
        return key_pem(made["ca_key"])

    plan_file(plan, ca_key_path, ca_key_found, 0o600, remake_ca_key,
              "key: %s\n" % key_kind(ca_key), "key: %s%s\n" % (KEY_TYPE, " (made anew)" if remake_ca_key else ""),
              ca_key_bytes)

    ca_crt_found = file_meta(module, ca_crt_path)
    ca_crt_data = read_nofollow(ca_crt_path) if ca_crt_found else None
    ca_cert = load_cert(ca_crt_data)
    now = datetime.datetime.now(datetime.timezone.utc)
    remake_ca_cert = remake_ca_key or ca_cert is None
    if ca_crt_found and not remake_ca_cert:
        if ca_cert.subject != common_name(params["ca_name"]):
            plan.reason("the CA's certificate names another CA than %s" % params["ca_name"])
            remake_ca_cert = True
        elif spki(ca_cert.public_key()) != spki(ca_key.public_key()):
            plan.reason("the CA's certificate does not match its key")
            remake_ca_cert = True
        elif not_after(ca_cert) <= now:
            plan.reason("the CA's certificate has expired")
            remake_ca_cert = True
    elif ca_crt_found and ca_cert is None:
        plan.reason("the CA's certificate %s cannot be read" % ca_crt_path)
    if remake_ca_cert:
        made["ca_cert"] = make_ca_cert(made["ca_key"], params["ca_name"], params["ca_days"])
    else:
        made["ca_cert"] = ca_cert

    def ca_cert_bytes():
        return made["ca_cert"].public_bytes(serialization.Encoding.PEM)

    plan_file(plan, ca_crt_path, ca_crt_found, 0o644, remake_ca_cert, cert_text(ca_cert) if ca_crt_data else "",
              new_cert_text(params["ca_name"], [params["ca_name"]], params["ca_name"], params["ca_days"])
              if remake_ca_cert else (cert_text(ca_cert) if ca_crt_data else ""), ca_cert_bytes)

    # The server's key.
    key_found = file_meta(module, key_path)
    key = load_key(read_nofollow(key_path)) if key_found else None
    remake_key = not is_p256(key)
    if key_found and key is None:
        plan.reason("the certificate or the key cannot be read")
    elif key_found and remake_key:
        plan.reason("the key is not %s" % KEY_TYPE)
    made["key"] = key if not remake_key else make_key()

    def key_bytes():
        return key_pem(made["key"])

    plan_file(plan, key_path, key_found, 0o600, remake_key,
              "key: %s\n" % key_kind(key), "key: %s%s\n" % (KEY_TYPE, " (made anew)" if remake_key else ""), key_bytes)

    # The server's certificate.
    cert_found = file_meta(module, cert_path)
    cert_data = read_nofollow(cert_path) if cert_found else None
    cert = load_cert(cert_data)
    resign = remake_key or cert is None
    if cert_found and cert is None:
        plan.reason("the certificate or the key cannot be read")
    if cert is not None:
        if cert.subject != common_name(domains[0]) or alt_names(cert) != domains:
            plan.reason("its names differ from tls_domains")
            resign = True
        renewal = now + datetime.timedelta(days=params["renew_days"])
        if not not_before(cert) <= renewal <= not_after(cert):
            plan.reason("it expires within %d days" % params["renew_days"])
            resign = True
        # The host's one CA signs every site's certificate (a site's own CA of old does not).
        if remake_ca_cert or not signed_by(cert, ca_cert):
            plan.reason("another CA issued it")
            resign = True
        if not remake_key and spki(cert.public_key()) != spki(key.public_key()):
            plan.reason("it does not match the key")
            resign = True

    def cert_bytes():
        made["cert_pem"] = make_server_cert(made["key"], made["ca_key"], made["ca_cert"], domains,
                                            params["days"]).public_bytes(serialization.Encoding.PEM)
        return made["cert_pem"]

    plan_file(plan, cert_path, cert_found, 0o644, resign, cert_text(cert) if cert_data else "",
              new_cert_text(domains[0], domains, params["ca_name"], params["days"])
              if resign else (cert_text(cert) if cert_data else ""), cert_bytes)

    old = params["old_ca_dir"]
    if old and os.path.normpath(old) != ca_dir and look(old) is not None:
        plan.reason("the site's own CA %s is replaced by the host's" % old)
        plan.diff(old, describe(look(old), None, stat.S_IMODE(look(old).st_mode)), "state: absent\n")
        plan.steps.append(lambda: os.unlink(old) if os.path.islink(old) or not os.path.isdir(old) else shutil.rmtree(old))

    if not module.check_mode:
        for step in plan.steps:
            step()

    result = {"changed": bool(plan.steps), "reasons": plan.reasons, "library": True, "ca_certificate": ca_crt_path}
    if module.check_mode:
        result["checksum"] = "new" if resign else sha1(cert_data)
        result["ca_checksum"] = "new" if remake_ca_cert else sha1(ca_crt_data)
    else:
        result["checksum"] = sha1(made["cert_pem"] if resign else cert_data)
        result["ca_checksum"] = sha1(ca_cert_bytes() if remake_ca_cert else ca_crt_data)
    if module._diff and plan.diffs:
        result["diff"] = plan.diffs
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dir=dict(type="path", required=True),
            certificate=dict(type="path", required=True),
            private_key=dict(type="path", required=True),
            domains=dict(type="list", elements="str", required=True),
            days=dict(type="int", default=365),
            renew_days=dict(type="int", default=30),
            ca_dir=dict(type="path", default="/etc/ssl/flask-ca"),
            ca_name=dict(type="str", required=True),
            ca_days=dict(type="int", default=3650),
            old_ca_dir=dict(type="path"),
            need_library=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    if not module.params["domains"]:
        module.fail_json(msg="domains must name at least one DNS name")
    if not HAS_CRYPTOGRAPHY:
        empty = {"changed": False, "reasons": [], "library": False, "checksum": "", "ca_checksum": "",
                 "ca_certificate": os.path.join(module.params["ca_dir"], "ca.crt")}
        if not module.params["need_library"]:
            module.exit_json(**empty)
        if module.check_mode:
            empty.update(changed=True, checksum="new", ca_checksum="new",
                         reasons=["python3-cryptography is missing: the CA, the key and the certificate are checked once it is installed"])
            module.exit_json(**empty)
        module.fail_json(msg=missing_required_lib("cryptography (python3-cryptography)"))
    try:
        result = run(module)
    except OSError as error:
        module.fail_json(msg="%s: %s" % (getattr(error, "filename", None) or "", error))
    module.exit_json(**result)


if __name__ == "__main__":
    main()

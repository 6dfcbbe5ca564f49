"""flask_tls_self_signed: one CA per host signs every site's certificate; what drifted is
repaired with the reasons a check-mode run reports first, and no key material is shown."""
import datetime
import hashlib
import os

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ansible_collections.flaskops.production.plugins.modules import flask_tls_self_signed as module

from modulelib import run_module


@pytest.fixture(autouse=True)
def own_user(monkeypatch):
    """The module keeps root's files; here the test's user stands for root."""
    monkeypatch.setattr(module, "OWNER", (os.getuid(), os.getgid()))


def spec(root, site="shop", domains=("shop.test", "www.shop.test"), **extra):
    args = dict(dir=str(root / "ssl" / site), certificate=str(root / "ssl" / site / "fullchain.pem"),
                private_key=str(root / "ssl" / site / "privkey.pem"), domains=list(domains),
                ca_dir=str(root / "ca"), ca_name="private CA (web1)", old_ca_dir=str(root / "ssl" / site / "ca"))
    args.update(extra)
    return args


@pytest.fixture
def root(tmp_path):
    """A host's /etc, where /etc/ssl/flask does not exist yet."""
    return tmp_path


def load_cert(path):
    with open(path, "rb") as handle:
        return x509.load_pem_x509_certificate(handle.read())


def mode(path):
    return os.lstat(path).st_mode & 0o7777


def verifies(cert, ca):
    try:
        ca.public_key().verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
    except Exception:  # pylint: disable=broad-except
        return False
    return True


def test_first_run_makes_ca_key_and_certificate(root):
    result = run_module(module, spec(root))
    assert result["changed"] and not result.get("failed"), result
    cert, ca = load_cert(root / "ssl/shop/fullchain.pem"), load_cert(root / "ca/ca.crt")
    assert verifies(cert, ca) and cert.issuer == ca.subject
    assert ca.subject.rfc4514_string() == "CN=private CA (web1)"
    assert cert.subject.rfc4514_string() == "CN=shop.test"
    alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert alt.get_values_for_type(x509.DNSName) == ["shop.test", "www.shop.test"]
    with open(root / "ssl/shop/privkey.pem", "rb") as handle:
        key = serialization.load_pem_private_key(handle.read(), password=None)
    assert key.curve.name == "secp256r1"
    assert [mode(root / p) for p in ("ca", "ca/ca.key", "ca/ca.crt", "ssl/shop", "ssl/shop/privkey.pem",
                                     "ssl/shop/fullchain.pem", "ssl")] == [0o700, 0o600, 0o644, 0o755, 0o600, 0o644, 0o755]
    assert result["checksum"] == hashlib.sha1((root / "ssl/shop/fullchain.pem").read_bytes()).hexdigest()
    assert result["ca_checksum"] == hashlib.sha1((root / "ca/ca.crt").read_bytes()).hexdigest()
    assert "%s/ssl/shop/privkey.pem is missing or not root:root mode 0600" % root in result["reasons"]


def test_second_run_changes_nothing(root):
    first = run_module(module, spec(root))
    again = run_module(module, spec(root), check_mode=True, diff=True)
    assert not again["changed"] and again["reasons"] == [] and "diff" not in again, again
    real = run_module(module, spec(root))
    assert not real["changed"] and real["checksum"] == first["checksum"]


def test_check_mode_writes_nothing_and_names_the_same_reasons(root):
    preview = run_module(module, spec(root), check_mode=True, diff=True)
    assert preview["changed"] and preview["checksum"] == "new"
    assert not (root / "ca").exists() and not (root / "ssl/shop").exists()
    real = run_module(module, spec(root), diff=True)
    assert real["reasons"] == preview["reasons"]
    assert real["diff"] == preview["diff"]


def test_one_ca_signs_every_site(root):
    run_module(module, spec(root))
    ca_before = (root / "ca/ca.key").read_bytes()
    result = run_module(module, spec(root, site="blog", domains=["blog.test"]))
    assert result["changed"]
    assert (root / "ca/ca.key").read_bytes() == ca_before, "a second site made the CA again"
    ca = load_cert(root / "ca/ca.crt")
    for site in ("shop", "blog"):
        assert verifies(load_cert(root / "ssl" / site / "fullchain.pem"), ca)


def test_key_mode_drift_is_repaired_in_place_with_a_diff_and_no_key_material(root):
    run_module(module, spec(root))
    key = root / "ssl/shop/privkey.pem"
    pem, cert = key.read_bytes(), (root / "ssl/shop/fullchain.pem").read_bytes()
    os.chmod(key, 0o644)
    preview = run_module(module, spec(root), check_mode=True, diff=True)
    assert preview["changed"] and mode(key) == 0o644
    assert preview["reasons"] == ["%s is missing or not root:root mode 0600" % key]
    assert [d["before_header"] for d in preview["diff"]] == [str(key)]
    assert "mode: 0644" in preview["diff"][0]["before"] and "mode: 0600" in preview["diff"][0]["after"]
    real = run_module(module, spec(root), diff=True)
    assert real["diff"] == preview["diff"] and real["checksum"] == preview["checksum"]
    assert mode(key) == 0o600 and key.read_bytes() == pem and (root / "ssl/shop/fullchain.pem").read_bytes() == cert
    text = repr(real)
    assert "PRIVATE KEY" not in text and pem.decode().splitlines()[1] not in text


def test_certificate_due_is_signed_again_by_the_same_ca(root):
    run_module(module, spec(root))
    ca = ((root / "ca/ca.key").read_bytes(), (root / "ca/ca.crt").read_bytes())
    before = (root / "ssl/shop/fullchain.pem").read_bytes()
    result = run_module(module, spec(root, renew_days=400))
    assert "it expires within 400 days" in result["reasons"], result
    assert (root / "ssl/shop/fullchain.pem").read_bytes() != before
    assert ((root / "ca/ca.key").read_bytes(), (root / "ca/ca.crt").read_bytes()) == ca


def test_damaged_certificate_is_signed_again(root):
    run_module(module, spec(root))
    (root / "ssl/shop/fullchain.pem").write_text("damaged\n")
    result = run_module(module, spec(root))
    assert result["reasons"] == ["the certificate or the key cannot be read"], result
    assert verifies(load_cert(root / "ssl/shop/fullchain.pem"), load_cert(root / "ca/ca.crt"))


def test_new_names_are_signed_again(root):
    run_module(module, spec(root))
    result = run_module(module, spec(root, domains=["shop.test"]))
    assert result["reasons"] == ["its names differ from tls_domains"]


def test_rsa_key_is_made_again_and_the_certificate_with_it(root):
    run_module(module, spec(root))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (root / "ssl/shop/privkey.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()))
    result = run_module(module, spec(root), diff=True)
    assert "the key is not ECDSA P-256" in result["reasons"]
    after = {d["before_header"]: d["after"] for d in result["diff"]}
    assert "(made anew)" in after[str(root / "ssl/shop/privkey.pem")]
    assert "PRIVATE KEY" not in repr(result)
    with open(root / "ssl/shop/privkey.pem", "rb") as handle:
        new = serialization.load_pem_private_key(handle.read(), password=None)
    assert load_cert(root / "ssl/shop/fullchain.pem").public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == new.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert not run_module(module, spec(root))["changed"]


def test_a_sites_own_ca_of_before_is_replaced_and_removed(root):
    run_module(module, spec(root))
    own_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "shop private CA (web1)")])
    now = datetime.datetime.now(datetime.timezone.utc)
    with open(root / "ssl/shop/privkey.pem", "rb") as handle:
        key = serialization.load_pem_private_key(handle.read(), password=None)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "shop.test")]))
            .issuer_name(name).public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=300))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("shop.test"), x509.DNSName("www.shop.test")]),
                           critical=False)
            .sign(own_key, hashes.SHA256()))
    (root / "ssl/shop/fullchain.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (root / "ssl/shop/ca").mkdir(mode=0o700)
    (root / "ssl/shop/ca/ca.crt").write_text("old CA\n")
    result = run_module(module, spec(root))
    assert "another CA issued it" in result["reasons"], result
    assert not (root / "ssl/shop/ca").exists()
    assert verifies(load_cert(root / "ssl/shop/fullchain.pem"), load_cert(root / "ca/ca.crt"))
    assert not run_module(module, spec(root))["changed"]


def test_a_link_in_place_of_the_key_is_replaced_not_followed(root, tmp_path_factory):
    run_module(module, spec(root))
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "target"
    elsewhere.write_text("not a key\n")
    os.chmod(elsewhere, 0o644)
    key = root / "ssl/shop/privkey.pem"
    key.unlink()
    key.symlink_to(elsewhere)
    result = run_module(module, spec(root))
    assert result["changed"] and not key.is_symlink() and mode(key) == 0o600
    assert elsewhere.read_text() == "not a key\n" and mode(elsewhere) == 0o644


def test_a_link_in_place_of_a_directory_fails(root, tmp_path_factory):
    (root / "ssl").mkdir()
    (root / "ssl/shop").symlink_to(tmp_path_factory.mktemp("elsewhere"))
    result = run_module(module, spec(root))
    assert result["failed"] and "must be a directory" in result["msg"]


def test_without_the_library_the_module_says_so_or_fails(root, monkeypatch):
    monkeypatch.setattr(module, "HAS_CRYPTOGRAPHY", False)
    asked = run_module(module, spec(root, need_library=False))
    assert not asked["changed"] and asked["library"] is False and not asked.get("failed")
    preview = run_module(module, spec(root), check_mode=True)
    assert preview["changed"] and preview["library"] is False
    real = run_module(module, spec(root))
    assert real["failed"] and "cryptography" in real["msg"]
    assert not (root / "ca").exists()

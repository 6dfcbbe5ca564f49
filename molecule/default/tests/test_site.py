"""The site over real HTTPS, verified against the site's CA, as a browser sees it."""
import hashlib
import http.client
import json
import socket
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from conftest import HTTP_PORT, HTTPS_PORT, PROXY, SITE_NAME
from sitelib import assert_handshake_refused, unverified_handshake

SECURITY_HEADERS = (
    "Strict-Transport-Security",
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Permissions-Policy",
)


def test_app_answers_over_verified_https(site):
    response = site.https("/")
    assert response.status == 200 and response.body == "Hello, World!"


def test_security_headers_present(site):
    response = site.https("/")
    missing = [name for name in SECURITY_HEADERS if not response.getheader(name)]
    assert not missing, f"missing headers: {missing}"
    assert "max-age=63072000" in response.getheader("Strict-Transport-Security")
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    csp = response.getheader("Content-Security-Policy")
    assert "unsafe-inline" not in csp
    assert response.getheader("X-Frame-Options") == "DENY" or "frame-ancestors 'none'" in csp


def test_error_pages_carry_security_headers(site):
    for path in ("/boom", "/no-such-page"):
        response = site.https(path)
        assert response.status >= 400
        assert response.getheader("Strict-Transport-Security"), f"{path} ({response.status}) lacks HSTS"
        assert response.getheader("Content-Security-Policy"), f"{path} ({response.status}) lacks CSP"


def test_server_header_has_no_version(site):
    server = site.https("/").getheader("Server", "")
    assert not any(char.isdigit() for char in server), f"Server header shows a version: {server}"


def test_http_redirects_permanently_to_https(site):
    response = site.http("/some/path?q=1")
    assert response.status == 301
    assert response.getheader("Location") == f"https://localhost:{HTTPS_PORT}/some/path?q=1"


@pytest.mark.skipif(PROXY != "nginx", reason="nginx's promise; Apache's is the test below")
def test_unknown_tls_name_is_refused_before_any_certificate():
    assert_handshake_refused("evil.example", SITE_NAME)


@pytest.mark.skipif(PROXY != "apache", reason="Apache's promise; nginx's is the test above")
def test_unknown_tls_name_gets_only_the_invalid_certificate_and_a_404(site):
    """Apache cannot refuse a handshake: its default vhost shows a self-signed certificate
    for "invalid" alone, never the site's, and answers 404. Verification is off, so the
    certificate shown is read, not merely refused."""
    shown = x509.load_der_x509_certificate(unverified_handshake("evil.example"))
    assert shown.subject.rfc4514_string() == "CN=invalid", f"an unknown name was shown {shown.subject.rfc4514_string()}"
    assert shown.issuer == shown.subject, f"the default certificate is issued by {shown.issuer.rfc4514_string()}"
    with pytest.raises(x509.ExtensionNotFound):
        shown.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert hashlib.sha256(shown.public_bytes(Encoding.DER)).hexdigest() != site.certificate_sha256(), (
        "an unknown name got the site's certificate")
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    conn = http.client.HTTPSConnection("evil.example", HTTPS_PORT, timeout=10)
    conn.sock = context.wrap_socket(socket.create_connection(("127.0.0.1", HTTPS_PORT), timeout=10),
                                    server_hostname="evil.example")
    conn.request("GET", "/", headers={"Host": "evil.example"})
    response = conn.getresponse()
    body = response.read().decode("utf-8", "replace")
    conn.close()
    assert response.status == 404 and "Hello" not in body, f"an unknown name got {response.status}: {body[:200]!r}"


def assert_no_site(site):
    """Over one kept-alive plain-http connection, the site's own name first gets its 301
    (so a live proxy listens), then an unknown name gets no site: nginx closes the
    connection unanswered (444); Apache, which cannot, answers 404 from its default vhost.
    A refused or reset connection is no answer from a live proxy, and fails."""
    conn = http.client.HTTPConnection("127.0.0.1", HTTP_PORT, timeout=10)
    conn.request("GET", "/", headers={"Host": SITE_NAME})
    first = conn.getresponse()
    first.read()
    assert first.status == 301, f"the site's own name got {first.status}, not its redirect"
    sock = conn.sock
    assert sock is not None, "the proxy closed the connection after the site's redirect"
    conn.request("GET", "/", headers={"Host": "evil.example"})
    assert conn.sock is sock, "the unknown name went over another connection"
    if PROXY == "nginx":
        with pytest.raises(http.client.RemoteDisconnected):
            conn.getresponse()
        conn.close()
        return
    response = conn.getresponse()
    body = response.read().decode("utf-8", "replace")
    conn.close()
    assert response.status == 404, f"an unknown name got {response.status}"
    assert "Hello" not in body, "an unknown name got the site"


def test_unknown_host_header_gets_no_site(site):
    # Over a TLS connection made for the site, the default server answers 421 (Misdirected
    # Request), so an HTTP/2 client retries on a new connection; the app never sees it.
    response = site.https("/", host="evil.example")
    assert response.status == 421 and "Hello" not in response.body, f"Host: evil.example got {response.status}"


def test_unknown_host_over_http_gets_no_site(site):
    assert_no_site(site)


def test_static_files_served_by_nginx(site):
    response = site.https("/static/probe.txt")
    assert response.status == 200 and response.body == "probe static file\n"
    # nginx's "expires 1h"; Flask's own static route would answer no-cache.
    assert response.getheader("Cache-Control") == "max-age=3600"


def test_proxy_passes_client_scheme_and_address(site):
    seen = site.https("/whoami")
    assert seen.status == 200
    data = json.loads(seen.body)
    assert data["forwarded_proto"] == "https" and data["host"] == "localhost"
    assert data["forwarded_for"], "X-Forwarded-For is not passed to the app"

"""The site over real HTTPS, verified against the site's CA, as a browser sees it."""
import http.client
import json
import ssl

import pytest

from conftest import HTTPS_PORT, PROXY

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


def test_unknown_host_name_gets_no_certificate(site):
    with pytest.raises(ssl.SSLError):
        site.https("/", host="evil.example", sni="evil.example")


def assert_no_site(request):
    """nginx closes the connection unanswered (444); Apache, which cannot, answers from
    its default vhost: 421 when the Host differs from the TLS name, else 404."""
    if PROXY == "nginx":
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
            request()
        return
    response = request()
    assert response.status in (404, 421), f"an unknown name got {response.status}"
    assert "Hello" not in response.body, "an unknown name got the site"


def test_unknown_host_header_gets_no_site(site):
    # Over a TLS connection made for the site, the default server answers 421 (Misdirected
    # Request), so an HTTP/2 client retries on a new connection; the app never sees it.
    response = site.https("/", host="evil.example")
    assert response.status == 421 and "Hello" not in response.body, f"Host: evil.example got {response.status}"


def test_unknown_host_over_http_gets_no_site(site):
    assert_no_site(lambda: site.http("/", host="evil.example"))


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

"""The proxy sets the forwarding headers itself: what a client sends in them never reaches
the app, so an app behind ProxyFix (or waitress's trusted_proxy) builds its redirects from
the site's own name. The alternatives scenario links this file for Apache."""
import json
from urllib.parse import urlsplit

import pytest

SITE_NAMES = {"localhost"}
SPOOFED = {
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Proto": "http",
    "X-Forwarded-For": "203.0.113.66",
    "X-Forwarded-Port": "8666",
    "X-Forwarded-Prefix": "/evil",
    "X-Real-IP": "203.0.113.67",
    "Forwarded": "for=203.0.113.68;host=evil.example;proto=http",
}


@pytest.fixture(scope="module")
def seen(site):
    response = site.https("/whoami", headers=SPOOFED)
    assert response.status == 200, response.body
    return json.loads(response.body)


def test_redirect_ignores_spoofed_forwarded_host(site):
    response = site.https("/login", headers=SPOOFED)
    assert response.status == 302, f"/login answered {response.status}"
    location = urlsplit(response.getheader("Location"))
    assert location.hostname in SITE_NAMES, f"the redirect points at {location.hostname}, not a site name"
    assert location.scheme == "https" and location.path == "/account", f"redirect to {location.geturl()}"


def test_app_builds_urls_from_the_site_name(seen):
    url = urlsplit(seen["url"])
    assert url.hostname in SITE_NAMES and url.scheme == "https" and url.path == "/whoami", seen["url"]
    assert seen["script_root"] == "", f"a client's X-Forwarded-Prefix reached the app: {seen['script_root']}"


def test_client_forwarding_values_never_reach_the_app(seen):
    sent = " ".join(value for value in seen["headers"].values())
    for value in ("evil.example", "203.0.113.66", "203.0.113.67", "203.0.113.68", "8666", "/evil"):
        assert value not in sent, f"the client's {value!r} reached the app: {seen['headers']}"
    assert "Forwarded" not in seen["headers"] and "X-Real-Ip" not in seen["headers"]
    assert seen["remote_addr"] != "203.0.113.66", "ProxyFix took the client's X-Forwarded-For"


def test_x_forwarded_for_holds_only_the_proxys_peer(seen):
    forwarded_for = seen["headers"].get("X-Forwarded-For", "")
    assert "," not in forwarded_for and forwarded_for == seen["remote_addr"], (
        f"X-Forwarded-For {forwarded_for!r} is not the one address the proxy saw ({seen['remote_addr']})"
    )


def test_header_names_with_underscores_are_dropped(site):
    response = site.https("/whoami", headers={"SCRIPT_NAME": "/evil", "X_Forwarded_Host": "evil.example"})
    seen = json.loads(response.body)
    assert "evil" not in json.dumps(seen), f"a header with '_' reached the app: {seen}"


def test_unknown_name_in_host_gets_no_site(site):
    response = site.https("/login", host="evil.example")
    assert response.status == 421 and "Location" not in response.headers, (
        f"Host: evil.example got {response.status} {response.getheader('Location')}"
    )

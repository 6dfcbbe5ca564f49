"""Every cookie the app sets reaches the browser with Secure, HttpOnly and SameSite=Lax,
or stricter where the app chose Strict; an exempt cookie gets Secure only. Read from
the Set-Cookie lines a browser receives over https, behind nginx (security scenario) or
Apache (alternatives scenario, which links this file)."""
import re

import pytest
from sitelib import PROXY, set_cookies


@pytest.fixture(scope="module")
def cookies(site):
    found = dict(set_cookies(site.https("/login")))
    assert {"session", "prefs", "csrf_guard", "ui_state", "lang"} <= set(found), f"the app set other cookies: {sorted(found)}"
    return found


def test_session_cookie_is_secure_httponly_and_lax(cookies):
    flags = cookies["session"]
    assert "secure" in flags and "httponly" in flags and flags.get("samesite") == "Lax", f"session cookie: {flags}"


def test_cookie_without_flags_gets_secure_httponly_and_lax(cookies):
    flags = cookies["prefs"]
    assert "secure" in flags and "httponly" in flags and flags.get("samesite") == "Lax", f"prefs cookie: {flags}"


def test_cookie_the_app_made_strict_stays_strict(cookies, host):
    version = host.package("nginx").version if PROXY == "nginx" else ""
    if re.match(r"^(?:\d+:)?1\.(?:1?\d|2[0-2])\.", version):
        pytest.skip(f"nginx {version} (before 1.23) shows only the first Set-Cookie line of a response to the "
                    "Strict detection; nginx_cookie_strict covers it there")
    flags = cookies["csrf_guard"]
    assert flags.get("samesite") == "Strict", f"the app's SameSite=Strict was weakened: {flags}"
    assert "secure" in flags and "httponly" in flags, f"csrf_guard cookie: {flags}"


def test_cookie_named_strict_gets_strict(cookies):
    flags = cookies["lang"]
    assert flags.get("samesite") == "Strict" and "secure" in flags and "httponly" in flags, f"lang cookie: {flags}"


def test_exempt_cookie_gets_secure_only(cookies):
    flags = cookies["ui_state"]
    assert "secure" in flags, f"the exempt cookie lost Secure: {flags}"
    assert "httponly" not in flags and "samesite" not in flags, f"nginx_cookie_exempt was not honoured: {flags}"


def test_no_cookie_line_carries_two_samesite_values(site):
    for line in site.https("/login").headers.get_all("Set-Cookie"):
        assert line.lower().count("samesite=") == 1 or "ui_state=" in line, f"ambiguous SameSite: {line}"


def test_no_cookie_line_carries_a_flag_twice(site):
    for line in site.https("/login").headers.get_all("Set-Cookie"):
        names = [part.strip().split("=", 1)[0].lower() for part in line.split(";")[1:]]
        twice = sorted({name for name in names if names.count(name) > 1})
        assert not twice, f"{twice} twice in: {line}"

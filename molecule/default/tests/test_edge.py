"""What nginx refuses at the edge, before the app sees anything."""
import socket
import time

import pytest

from conftest import HTTP_PORT

FLASK_NOT_FOUND = "The requested URL was not found on the server"


@pytest.mark.parametrize("path", ["/.git/config", "/.env", "/static/.hidden", "/a/.htpasswd"])
def test_dot_files_404_without_reaching_app(site, path):
    response = site.https(path)
    assert response.status == 404, f"{path} answered {response.status}"
    assert FLASK_NOT_FOUND not in response.body, f"{path} reached the app"
    assert response.getheader("Strict-Transport-Security"), "the 404 lacks the security headers"


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "FOO"])
def test_unlisted_methods_refused(site, method):
    response = site.https("/", method=method)
    assert response.status in (400, 405), f"{method} answered {response.status}"


def test_x_powered_by_hidden(site):
    response = site.https("/powered")
    assert response.status == 200 and response.body == "powered"
    assert response.getheader("X-Powered-By") is None, "X-Powered-By leaks through the proxy"


# nginx_limit_req_rate and nginx_limit_req_burst as the scenario leaves them (the role's defaults).
RATE_PER_SECOND, BURST = 20, 100


def test_rate_limit_answers_429(site):
    # The requests of the tests before leave some excess in the client's bucket; it drains
    # at the rate, so after BURST / RATE seconds of quiet the whole burst is there again.
    time.sleep(BURST / RATE_PER_SECOND + 1)
    statuses = site.https_many("/", 250)
    assert 429 in statuses, "250 quick requests from one address were never limited"
    assert statuses.count(200) >= BURST, "the burst allowance is gone: a normal page would fail"
    assert set(statuses) <= {200, 429}
    # Leave the site as the other tests expect it: the bucket drains at the rate.
    deadline = time.monotonic() + 20
    while site.https("/").status == 429:
        assert time.monotonic() < deadline, "still limited 20 s after the burst"
        time.sleep(0.5)


def test_slow_client_is_dropped(site):
    """A client that never finishes its headers is cut off (client_header_timeout 10 s)."""
    with socket.create_connection(("127.0.0.1", HTTP_PORT), timeout=25) as conn:
        conn.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
        try:
            data = conn.recv(1024)
        except socket.timeout:
            pytest.fail("nginx kept a half-sent request open for 25 s")
    assert data == b"" or data.startswith(b"HTTP/1.1 408"), f"unexpected answer {data[:60]!r}"

"""A git server for tests, on the test host: serves bare repositories under ROOT over git's
plain HTTP protocol on 127.0.0.1:PORT to one user with a password (Basic auth), and for each
request it answers, notes in LOG whether the password was on any process's command line
right then (git is running while it asks). The password comes from a file, so that the
server's own command line holds none.

Usage: git_http_server.py ROOT PORT USER PASSWORD_FILE LOG
"""
import base64
import functools
import glob
import http.server
import json
import sys

ROOT, PORT, USER, LOG = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[5]
with open(sys.argv[4], encoding="utf-8") as secret:
    PASSWORD = secret.read().strip()
EXPECTED = "Basic " + base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()


def password_on_a_command_line():
    for path in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            with open(path, "rb") as handle:
                if PASSWORD.encode() in handle.read():
                    return True
        except OSError:
            pass
    return False


class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the base class's name)
        authorised = self.headers.get("Authorization") == EXPECTED
        with open(LOG, "a", encoding="utf-8") as log:
            log.write(json.dumps({"path": self.path, "authorised": authorised,
                                  "on_command_line": password_on_a_command_line()}) + "\n")
        if not authorised:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), functools.partial(Handler, directory=ROOT)).serve_forever()

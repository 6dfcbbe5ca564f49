#!/usr/bin/python3
"""Serve a WSGI app with waitress on the listener systemd hands over, and stop gracefully.

  VENV/bin/python waitress-app.py --config /etc/waitress/APP.json

waitress-serve cannot take a listening file descriptor, and it has no graceful stop.
This launcher adds both, with waitress's own API and nothing else:
- the socket unit's listener arrives as fd 3 (LISTEN_FDS) and goes to
  waitress.create_server(sockets=[...]); systemd keeps it open across restarts;
- READY=1 goes to systemd once the app is imported (Type=notify), so a restart
  returns when the new process takes connections;
- SIGTERM stops accepting (new connections wait in the socket's backlog for the
  next process), lets every request already received finish and be sent, closes
  idle keep-alive connections, and exits; after graceful_timeout it exits anyway.
The config file is JSON: {"module": "pkg:app" or "pkg:factory()", "graceful_timeout": 30,
"adjustments": {waitress settings}}.
"""
import argparse
import importlib
import json
import os
import signal
import socket
import sys
import time

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import create_server

LISTEN_FDS_START = 3


class Channel(HTTPChannel):
    """A connection that remembers whether it has answered a request yet."""

    answered = False

    def service(self):
        super().service()
        self.answered = True


def load_app(spec):
    module_name, dummy, name = spec.partition(":")
    factory = name.endswith("()")
    target = getattr(importlib.import_module(module_name), name.removesuffix("()"))
    return target() if factory else target


def inherited_listener():
    if os.environ.get("LISTEN_PID") != str(os.getpid()) or os.environ.get("LISTEN_FDS") != "1":
        sys.exit("waitress-app: expected exactly one listening socket from systemd (LISTEN_FDS=1)")
    for name in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
        os.environ.pop(name, None)  # the app's own subprocesses must not take it
    return socket.socket(fileno=LISTEN_FDS_START)


def notify(message):
    path = os.environ.get("NOTIFY_SOCKET", "")
    if not path:
        return
    address = "\0" + path[1:] if path.startswith("@") else path
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.connect(address)
        sock.sendall(message.encode())


def busy(channel):
    """A request is being received, served or sent, or the connection has not spoken yet."""
    return bool(channel.requests or channel.request is not None
                or channel.total_outbufs_len or not channel.answered)


def serve(server, graceful_timeout):
    stopping = []

    def on_term(signum, frame):
        stopping.append(time.monotonic())
        server.pull_trigger()  # wake the loop now

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    socket_map = server._map  # pylint: disable=protected-access
    while True:
        wasyncore.loop(timeout=server.adj.asyncore_loop_timeout, map=socket_map, use_poll=True, count=1)
        if not stopping:
            continue
        if server.accepting:
            server.accepting = False  # readable() is now False: the listener is left alone
            notify("STOPPING=1")
        channels = list(server.active_channels.values())
        for channel in channels:
            if not busy(channel):
                channel.will_close = True  # closed on the next turn of the loop
        if not channels or time.monotonic() - stopping[0] > graceful_timeout:
            break
    server.task_dispatcher.shutdown(timeout=5)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    args = parser.parse_args()
    with open(args.config, encoding="utf-8") as handle:
        config = json.load(handle)
    sys.path.insert(0, os.getcwd())  # the app is imported from the working directory
    app = load_app(config["module"])
    server = create_server(app, sockets=[inherited_listener()], **config.get("adjustments", {}))
    server.channel_class = Channel
    notify("READY=1")
    serve(server, float(config.get("graceful_timeout", 30)))


if __name__ == "__main__":
    main()

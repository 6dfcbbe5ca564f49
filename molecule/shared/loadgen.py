"""The one load generator of the scenarios: bounded requests from a few threads while an
action runs, every failure counted, and a check that the load covered the whole action.

    with Load(lambda: KeptAliveClient(ca_file, "localhost")) as load:
        run_playbook(...)
    load.assert_no_failure(min_requests=100)

A client is a callable that makes one request and returns (status, details); each thread
gets its own from the factory. Whatever a request raises counts as a failure, by its type:
OSError (refused, reset, TLS, timeout), http.client.HTTPException (IncompleteRead,
BadStatusLine, RemoteDisconnected: a server dying mid-response) and anything else; so
does a status that is not in `ok`. No thread ends unrecorded.

Bounded: at most `limit` requests and `seconds` seconds in all, each thread pausing
`pause` s between requests. The load runs `lead` s before the action and `tail` s after it.
"""
import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Sample:
    started: float
    ended: float
    status: Any = None  # the HTTP status, or None when the request raised
    details: Any = None  # what the client returned besides the status (headers, ...)
    error: str = ""  # "TypeName: message" when the request raised


@dataclass
class Load:
    factory: Any
    threads: int = 3
    pause: float = 0.05
    seconds: float = 600
    limit: int = 20000
    lead: float = 2
    tail: float = 2
    ok: tuple = (200,)
    label: str = "load"
    samples: list = field(default_factory=list)

    def __post_init__(self):
        self.lock, self.stopping = threading.Lock(), threading.Event()
        self.sent, self.stopped_at, self.action = 0, None, None
        self.workers = [threading.Thread(target=self._work, daemon=True) for _ in range(self.threads)]

    def _take_turn(self):
        """Count a request about to be sent, or say the load is over (stopped, deadline, limit)."""
        with self.lock:
            if self.stopping.is_set() or time.monotonic() >= self.deadline or self.sent >= self.limit:
                if self.stopped_at is None:
                    self.stopped_at = time.monotonic()
                return False
            self.sent += 1
            return True

    def _work(self):
        client = None
        while self._take_turn():
            started = time.monotonic()
            try:
                client = client or self.factory()
                status, details = client()
                sample = Sample(started, time.monotonic(), status, details)
            except Exception as error:  # noqa: BLE001 (every kind counts, none ends the thread)
                sample = Sample(started, time.monotonic(), error=f"{type(error).__name__}: {error}")
                close = getattr(client, "close", None)
                if close:
                    close()
            with self.lock:
                self.samples.append(sample)
            time.sleep(self.pause)

    def __enter__(self):
        self.deadline = time.monotonic() + self.seconds
        for worker in self.workers:
            worker.start()
        time.sleep(self.lead)  # the load is flowing before the action starts
        self.action = [time.monotonic(), None]
        return self

    def __exit__(self, *exc):
        self.action[1] = time.monotonic()
        time.sleep(self.tail)  # and still flowing after it ends
        self.stopping.set()
        for worker in self.workers:
            worker.join(60)

    def failures(self):
        """Every failed request, as "at +SECONDS s: what", oldest first."""
        start = self.action[0] if self.action else 0
        return [f"at {sample.started - start:+.1f} s: {sample.error or f'status {sample.status}'}"
                for sample in sorted(self.samples, key=lambda s: s.started)
                if sample.error or sample.status not in self.ok]

    def during_action(self):
        """The samples of requests sent while the action ran."""
        begin, end = self.action
        return [sample for sample in self.samples if begin <= sample.started <= end]

    def longest_gap(self):
        """The longest time in the action with no request sent (from its start to its end)."""
        begin, end = self.action
        moments = [begin, *sorted(sample.started for sample in self.during_action()), end]
        return max(later - earlier for earlier, later in zip(moments, moments[1:]))

    def summary(self):
        begin, end = self.action
        return (f"{self.label}: {self.sent} requests sent, {len(self.samples)} ended, {len(self.failures())} failed; "
                f"{len(self.during_action())} sent during the action's {end - begin:.1f} s, "
                f"longest gap {self.longest_gap():.1f} s")

    def assert_covered(self, min_requests, max_gap=5):
        """The load ran through the whole action: it had not stopped (deadline or limit)
        before the action ended, sent at least `min_requests` while the action ran, and
        never paused longer than `max_gap` s in it."""
        assert self.action and self.action[1] is not None, "the load was not used around an action"
        assert self.stopped_at is None or self.stopped_at > self.action[1], (
            f"the load stopped (after {self.seconds} s or {self.limit} requests) "
            f"{self.action[1] - self.stopped_at:.1f} s before the action ended: {self.summary()}")
        during = len(self.during_action())
        assert during >= min_requests, f"too little load to prove anything: {self.summary()}; wanted {min_requests}"
        assert self.longest_gap() <= max_gap, f"the load left a gap in the action: {self.summary()}"
        assert len(self.samples) == self.sent, f"requests lost without a record: {self.summary()}"

    def assert_no_failure(self, min_requests, max_gap=5):
        """Zero failed requests, from a load that covered the whole action (assert_covered)."""
        self.assert_covered(min_requests, max_gap)
        failed = self.failures()
        assert not failed, f"{len(failed)} failed requests under load ({self.summary()}), e.g.:\n" + "\n".join(failed[:10])


def versions_in_turn(load):
    """The versions (X-App-Version, as KeptAliveClient returns it) of a load's 200 answers
    in the order the requests started, each change once. Exact for a one-thread load,
    whose requests follow one another; threads side by side may answer out of that order."""
    versions = []
    for sample in sorted(load.samples, key=lambda sample: sample.started):
        if sample.status == 200 and (not versions or versions[-1] != sample.details[0]):
            versions.append(sample.details[0])
    return versions


class KeptAliveClient:
    """GET `path` under `name` over one verified, kept-alive TLS connection to 127.0.0.1:`port`,
    opening a new one when the server closes it; returns (status, (X-App-Version, X-Served-By))."""

    def __init__(self, ca_file, name, port, path="/", keep_alive=True):
        self.context = ssl.create_default_context(cafile=ca_file)
        self.name, self.port, self.path, self.keep_alive = name, port, path, keep_alive
        self.conn = None

    def close(self):
        if self.conn:
            self.conn.close()
        self.conn = None

    def __call__(self):
        if self.conn is None:
            raw = socket.create_connection(("127.0.0.1", self.port), timeout=30)
            self.conn = http.client.HTTPSConnection(self.name, self.port, timeout=30)
            self.conn.sock = self.context.wrap_socket(raw, server_hostname=self.name)
        self.conn.request("GET", self.path, headers={"Host": self.name})
        response = self.conn.getresponse()
        response.read()
        if not self.keep_alive or response.will_close:
            self.close()
        return response.status, (response.getheader("X-App-Version"), response.getheader("X-Served-By"))

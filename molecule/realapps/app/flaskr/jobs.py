"""Background work: a worker that polls the database every second, and a periodic
job; both record which release ran them in the instance folder."""
import json
import os
import signal
import sqlite3
import time

import click
from flask import current_app

from . import VERSION


def write_json(path, data):
    staging = f"{path}.tmp"
    with open(staging, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.replace(staging, path)


@click.command("worker")
def worker_command():
    """Poll the database until told to stop; finish the current round on SIGTERM."""
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    status = os.path.join(current_app.instance_path, "worker.json")
    started = time.time()
    while not stopping:
        try:
            # mode=rw: the worker never creates the database; `flask init-db` does.
            connection = sqlite3.connect(f"file:{current_app.config['DATABASE']}?mode=rw", uri=True)
            try:
                notes = connection.execute("SELECT count(*) FROM note").fetchone()[0]
            finally:
                connection.close()
        except sqlite3.Error:
            notes = None
        write_json(status, {"version": VERSION, "pid": os.getpid(), "started": started,
                            "seen": time.time(), "notes": notes, "stopped": False})
        time.sleep(1)
    write_json(status, {"version": VERSION, "pid": os.getpid(), "started": started,
                        "seen": time.time(), "notes": None, "stopped": True})


@click.command("tick")
def tick_command():
    """Append one line per run: when, and which release."""
    with open(os.path.join(current_app.instance_path, "ticks.log"), "a", encoding="utf-8") as handle:
        handle.write(f"{time.time():.0f} {VERSION}\n")


def init_app(app):
    app.cli.add_command(worker_command)
    app.cli.add_command(tick_command)

"""The database, as in Flask's tutorial: `flask init-db` creates it (and wipes it);
`flask migrate` is the release step that brings an existing one up to date."""
import os
import pathlib
import sqlite3

import click
from flask import current_app, g

MIGRATION_FLAG = pathlib.Path(__file__).parent.parent / "MIGRATION"


def get_db():
    if "db" not in g:
        g.db = sqlite3.connect(current_app.config["DATABASE"], detect_types=sqlite3.PARSE_DECLTYPES)
        g.db.row_factory = sqlite3.Row
    return g.db


def close_db(e=None):
    connection = g.pop("db", None)
    if connection is not None:
        connection.close()


@click.command("init-db")
def init_db_command():
    """Clear the existing data and create new tables."""
    with current_app.open_resource("schema.sql") as handle:
        get_db().executescript(handle.read().decode("utf8"))
    click.echo("Initialized the database.")


@click.command("migrate")
def migrate_command():
    """Bring an existing database up to this release's schema; safe to run again."""
    if MIGRATION_FLAG.exists() and MIGRATION_FLAG.read_text(encoding="utf-8").strip() == "fail":
        raise click.ClickException("migration 0002 failed: column 'body' cannot be dropped (test release)")
    if not os.path.exists(current_app.config["DATABASE"]):
        click.echo("No database yet: run `flask --app flaskr init-db` once.")
        return
    connection = get_db()
    connection.execute("CREATE TABLE IF NOT EXISTS migration (name TEXT PRIMARY KEY)")
    connection.execute("INSERT OR IGNORE INTO migration (name) VALUES ('0001_note')")
    connection.commit()
    click.echo("Database is up to date.")


def init_app(app):
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)
    app.cli.add_command(migrate_command)

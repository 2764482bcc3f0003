"""SQLite, made safe to migrate: real transactions, foreign keys off while migrating,
and errors that say what is wrong with the file."""

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import URL, Connection, Engine, event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import OperationalError

from .errors import DatabaseError, one_line, size
from .names import DATABASE_URL_ENV, PROGRAM
from .waits import gave_up, say_waiting

# What SQLite says of a file that is not a database, or a damaged one.
DAMAGED = ("file is not a database", "database disk image is malformed")


def make_transactional(
    engine: Engine, *, begin: str, foreign_keys: bool, wait: float | None = None
) -> None:
    """Apply SQLAlchemy's recipe for real transactions to a pysqlite or aiosqlite
    engine (an AsyncEngine's sync_engine).

    Left alone, the driver begins a transaction only before the first write and never
    around DDL, so a failed migration would leave half its tables behind. With `wait`,
    a BEGIN that finds another process's write lock says so once, and gives up in one
    line after `wait` seconds.
    """

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: DBAPIConnection, _record: object) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself
        # SQLite ignores this pragma inside a transaction, so set it before any BEGIN.
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        if wait is None:
            connection.exec_driver_sql(begin)
        else:
            _begin_waiting(connection, begin, wait)


def _begin_waiting(connection: Connection, begin: str, wait: float) -> None:
    """BEGIN at once when no other process holds the write lock; else say so once, and
    wait up to `wait` seconds. SQLAlchemy runs each BEGIN, so a damaged file's error
    reaches the caller as the database error it is."""
    try:
        connection.exec_driver_sql("PRAGMA busy_timeout = 0")
        connection.exec_driver_sql(begin)
        return
    except OperationalError as error:
        if not _locked(error):
            raise
    finally:
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {round(wait * 1000)}")
    what = f"the write lock on {connection.engine.url.database}"
    detail = "another process holds it: a migration, or a long write"
    say_waiting(wait, what, detail)
    try:
        connection.exec_driver_sql(begin)
    except OperationalError as error:
        if not _locked(error):
            raise
        raise DatabaseError(gave_up(wait, what, detail)) from None


def _locked(error: OperationalError) -> bool:
    return "database is locked" in str(error.orig)


@contextmanager
def foreign_keys_off(connection: Connection) -> Iterator[None]:
    """Keep SQLite's foreign keys off while `connection` migrates.

    A batch operation rebuilds a table: it copies it, drops the original and renames the
    copy. With foreign keys on, the drop cascade-deletes every child row. Connections
    from migration_engine() have them off; one a caller passes to Alembic may not.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    driver = connection.connection.dbapi_connection
    assert driver is not None  # None only once the connection is invalidated
    cursor = driver.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys")
        row = cursor.fetchone()
        assert row is not None  # the pragma always answers, 0 or 1
        if not row[0]:
            yield
            return
        if getattr(driver, "in_transaction", connection.in_transaction()):
            raise DatabaseError(
                "The connection given to Alembic has SQLite's foreign keys on inside a "
                "transaction, where they cannot be turned off, and a batch operation "
                "would delete child rows: pass a connection from db.migration_engine(), "
                "or one that has not begun a transaction."
            )
        cursor.execute("PRAGMA foreign_keys = OFF")
        try:
            yield
        finally:
            cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def explain(error: Exception, url: URL) -> str | None:
    """Say in one line what a SQLite error means for the file at `url`, and what to do;
    None when it is not one of those."""
    reason = one_line(error)
    database = url.database if url.get_backend_name() == "sqlite" else None
    if not database or database == ":memory:" or url.query.get("mode") == "memory":
        return None
    path = Path(database)
    damaged = [words for words in DAMAGED if words in reason]
    if damaged:
        from .backup import backups

        found = backups(path)
        restore = (
            f"restore the newest backup, {found[0]}, by copying it over the file"
            if found
            else "restore it from a backup"
        )
        return (
            f"{path} is not a SQLite database, or is damaged ({damaged[0]}): stop the "
            f"program, {restore}, or move the file away to start afresh."
        )
    if "unable to open database file" in reason:
        if not path.parent.is_dir():
            return (
                f"Cannot open the SQLite database {path}: its folder {path.parent} "
                "does not exist. Create the folder, or use another file."
            )
        if not path.exists():
            return (
                f"Cannot create the SQLite database {path}: its folder {path.parent} "
                "is not writable. Make it writable, or use another folder."
            )
    if "database or disk is full" in reason:
        free = size(shutil.disk_usage(path.parent).free)
        return (
            f"The disk that holds {path} is full ({free} free in {path.parent}): "
            "SQLite needs room for the changes and for its journal beside the file. "
            "Make room, then migrate again."
        )
    if "attempt to write a readonly database" in reason:
        if not os.access(path.parent, os.W_OK):
            return (
                f"Cannot write the SQLite database {path}: its folder {path.parent} is "
                "read-only, and SQLite writes its journal beside the file. Make the "
                "folder writable, or move the database to one that is."
            )
        return (
            f"Cannot write the SQLite database {path}: the file is read-only. Make it "
            "writable, or use another file."
        )
    return None


def not_created_yet(url: URL) -> Path | None:
    """The SQLite file `url` names, when it does not exist yet; None otherwise."""
    database = url.database if url.get_backend_name() == "sqlite" else None
    if not database or database == ":memory:" or url.query.get("mode") == "memory":
        return None
    path = Path(database)
    return None if path.exists() else path


@contextmanager
def explain_sql_mode(url: URL) -> Iterator[None]:
    """Say what to do when `--sql` cannot write SQLite's SQL for a revision.

    Batch operations rebuild a SQLite table from the table as it is in the database,
    so SQLite's SQL for them cannot be written without one.
    """
    from alembic.util import CommandError

    try:
        yield
    except CommandError as error:
        if url.get_backend_name() != "sqlite" or "--sql mode" not in str(error):
            raise
        table = re.search(r'reflect the table "([^"]+)"', str(error))
        rebuilds = f"rebuilds table {table.group(1)}" if table else "rebuilds a table"
        raise DatabaseError(
            f"--sql cannot write SQLite's SQL for this history: a batch operation "
            f"{rebuilds}, which needs the live database. Run the upgrade on the "
            "database itself, or write PostgreSQL's SQL, which needs no server: "
            f"{DATABASE_URL_ENV}=postgresql://localhost/{PROGRAM} alembic "
            "upgrade head --sql"
        ) from None

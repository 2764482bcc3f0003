"""How to connect: the program's engines, sync and async, and the engine migrations run
on, all made the same way from one URL."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, overload
from weakref import WeakKeyDictionary

from sqlalchemy import URL, Connection, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, NoSuchModuleError

from . import sqlite
from .errors import DatabaseError
from .names import DATABASE_URL_ENV, PROGRAM
from .settings import sqlite_busy_timeout, wait_budget
from .timestamps import aware_on_sqlite
from .url import async_url, get_url, migration_url_variable, sync_url

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from .waits import Budget

# What PostgreSQL (or the network) says while the server cannot take a connection yet
# but soon may: it is starting, restarting or full. psycopg gives these no SQLSTATE.
NOT_YET = (
    "Connection refused",
    "the database system is starting up",
    "the database system is shutting down",
    "the database system is in recovery mode",
    "the database system is not yet accepting connections",
    "too many clients",
    "remaining connection slots are reserved",
)
# What to install for a driver, or driver support, that is missing.
EXTRAS = {
    "psycopg": f"{PROGRAM}[postgres]",
    "aiosqlite": f"{PROGRAM}[async]",
    "greenlet": f"{PROGRAM}[async]",
    "asyncpg": "asyncpg",
}

# Each engine's URL as the user wrote it, for its errors: a sync engine's own URL may
# name another driver.
_AS_WRITTEN: WeakKeyDictionary[Engine, URL] = WeakKeyDictionary()


def get_engine(url: URL | None = None, *, variable: str = DATABASE_URL_ENV) -> Engine:
    """Return the program's engine, for `url` or get_url(variable).

    On SQLite, foreign keys are enforced and transactions are real transactions.
    `variable` names where the URL came from, in errors.
    """
    written = url or get_url(variable)
    engine = _create(create_engine, sync_url(written), variable, sqlite_busy_timeout())
    _AS_WRITTEN[engine] = written
    if engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _no_prepared_statements_behind_a_pooler)
    return _sqlite_rules(engine, migrating=False)


def migration_engine(url: URL | None = None, *, variable: str | None = None) -> Engine:
    """Return the engine migrations run on, for `url` or get_url(variable); by default
    the migration URL when it is set, else the program's.

    On SQLite a transaction takes the write lock when it begins (BEGIN IMMEDIATE), so
    processes that start together migrate one after another; DDL is transactional, so a
    failed run leaves nothing behind; and foreign keys are off, so rebuilding a parent
    table in batch mode cannot cascade-delete its children. On PostgreSQL each
    connection names its process, host and pid, in application_name, so whoever waits
    for it can say whom it waits for.
    """
    variable = variable or migration_url_variable()
    written = url or get_url(variable)
    name = f"{PROGRAM} migration pid {os.getpid()} on {socket.gethostname()}"
    engine = _create(
        create_engine,
        sync_url(written),
        variable,
        wait_budget(),
        {"application_name": name[:63]},  # PostgreSQL keeps 63 bytes of it
    )
    _AS_WRITTEN[engine] = written
    return _sqlite_rules(engine, migrating=True)


def get_async_engine(
    url: URL | None = None, *, variable: str = DATABASE_URL_ENV
) -> AsyncEngine:
    """Return the program's AsyncEngine for the same database as get_engine(), with the
    same rules: aiosqlite on SQLite, psycopg or asyncpg on PostgreSQL (the [async]
    extra)."""
    url = async_url(url or get_url(variable), variable)
    try:
        from sqlalchemy.ext.asyncio import create_async_engine
    except ImportError as error:  # greenlet, which SQLAlchemy's asyncio support needs
        missing = getattr(error.__cause__, "name", None) or error.name
        raise _missing(missing, variable) from None
    engine = _create(create_async_engine, url, variable, sqlite_busy_timeout())
    _sqlite_rules(engine.sync_engine, migrating=False)
    return engine


@overload
def _create(
    factory: Callable[..., Engine],
    url: URL,
    variable: str,
    sqlite_timeout: float,
    postgresql_args: dict[str, str] | None = None,
) -> Engine: ...
@overload
def _create(
    factory: Callable[..., AsyncEngine],
    url: URL,
    variable: str,
    sqlite_timeout: float,
    postgresql_args: dict[str, str] | None = None,
) -> AsyncEngine: ...
def _create(
    factory: Callable[..., Engine | AsyncEngine],
    url: URL,
    variable: str,
    sqlite_timeout: float,
    postgresql_args: dict[str, str] | None = None,
) -> Engine | AsyncEngine:
    """Call create_engine or create_async_engine, with one-line errors."""
    on_sqlite = url.get_backend_name() == "sqlite"
    try:
        connect_args = (
            {"timeout": sqlite_timeout} if on_sqlite else dict(postgresql_args or {})
        )
        return factory(url, connect_args=connect_args)
    except NoSuchModuleError:
        raise DatabaseError(
            f"{variable} names an unknown database '{url.drivername}': "
            "use sqlite:///path/to/file.db or postgresql+psycopg://..."
        ) from None
    except ImportError as error:
        raise _missing(error.name, variable) from None


def _missing(package: str | None, variable: str) -> DatabaseError:
    extra = f" (pip install '{EXTRAS[package]}')" if package in EXTRAS else ""
    return DatabaseError(
        f"{variable} needs the Python package '{package}', which is not "
        f"installed{extra}."
    )


def _sqlite_rules(engine: Engine, *, migrating: bool) -> Engine:
    aware_on_sqlite(engine.dialect)
    if engine.dialect.name == "sqlite":
        sqlite.make_transactional(
            engine,
            begin="BEGIN IMMEDIATE" if migrating else "BEGIN",
            foreign_keys=not migrating,
            wait=wait_budget() if migrating else None,
        )
    return engine


@contextmanager
def connect(engine: Engine, budget: Budget | None = None) -> Iterator[Connection]:
    """Connect, turning "cannot reach the database" into a one-line DatabaseError.

    With a `budget` of some seconds, a server that is starting, restarting or full is
    waited for.
    """
    from .waits import Backoff

    backoff = Backoff(0.1, 2.0)
    while True:
        try:
            connection = engine.connect()
            break
        except DBAPIError as error:
            # The URL as the user wrote it (postgresql+asyncpg://...), though migrations
            # connect with psycopg.
            written = _AS_WRITTEN.get(engine, engine.url)
            where = written.render_as_string(hide_password=True)
            reason = " ".join(str(error.orig).split())
            soon = any(words in reason for words in NOT_YET)
            if budget is None or not budget.seconds or not soon:
                message = f"Cannot connect to {where}: {reason}"
                raise DatabaseError(
                    sqlite.explain(error, engine.url) or message
                ) from error
            budget.wait(f"{where} to accept connections", reason, backoff.pause())
    with connection:
        yield connection


def through_a_pooler(connection: Connection) -> bool:
    """True when a pooler such as PgBouncer stands between `connection` and PostgreSQL.

    A pooler answers the client's start-up itself, with a process id of its own; the
    server's is the one pg_backend_pid() returns.
    """
    info = getattr(connection.connection.dbapi_connection, "info", None)
    said = getattr(info, "backend_pid", None)  # psycopg's view of the start-up
    if said is None:
        return False
    actual = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    return bool(said != actual)


def _no_prepared_statements_behind_a_pooler(
    dbapi_connection: Any, _record: object
) -> None:
    """psycopg prepares a query it has run five times; behind a pooler in transaction
    mode, the next run may land on a server connection that never saw it."""
    if not hasattr(dbapi_connection, "prepare_threshold"):
        return  # not psycopg 3
    said = dbapi_connection.info.backend_pid
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (actual,) = cursor.fetchone()
    dbapi_connection.rollback()
    if said != actual:
        dbapi_connection.prepare_threshold = None

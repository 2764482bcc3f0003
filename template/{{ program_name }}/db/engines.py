"""How to connect: the program's engines, sync and async, and the engine migrations run
on, all made the same way from one URL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, overload
from weakref import WeakKeyDictionary

from sqlalchemy import URL, Connection, Engine, create_engine
from sqlalchemy.exc import DBAPIError, NoSuchModuleError

from . import sqlite
from .errors import DatabaseError
from .names import DATABASE_URL_ENV, PROGRAM
from .timestamps import aware_on_sqlite
from .url import async_url, get_url, sync_url

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

# Seconds a SQLite connection waits for another process's write lock. Migrations wait
# long enough for a real migration in another process to finish.
SQLITE_BUSY_TIMEOUT = 30
SQLITE_MIGRATION_BUSY_TIMEOUT = 600
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
    engine = _create(create_engine, sync_url(written), variable, SQLITE_BUSY_TIMEOUT)
    _AS_WRITTEN[engine] = written
    return _sqlite_rules(engine, migrating=False)


def migration_engine(
    url: URL | None = None, *, variable: str = DATABASE_URL_ENV
) -> Engine:
    """Return the engine migrations run on, for `url` or get_url(variable).

    On SQLite a transaction takes the write lock when it begins (BEGIN IMMEDIATE), so
    processes that start together migrate one after another; DDL is transactional, so a
    failed run leaves nothing behind; and foreign keys are off, so rebuilding a parent
    table in batch mode cannot cascade-delete its children.
    """
    written = url or get_url(variable)
    engine = _create(
        create_engine, sync_url(written), variable, SQLITE_MIGRATION_BUSY_TIMEOUT
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
    engine = _create(create_async_engine, url, variable, SQLITE_BUSY_TIMEOUT)
    _sqlite_rules(engine.sync_engine, migrating=False)
    return engine


@overload
def _create(
    factory: Callable[..., Engine], url: URL, variable: str, sqlite_timeout: int
) -> Engine: ...
@overload
def _create(
    factory: Callable[..., AsyncEngine], url: URL, variable: str, sqlite_timeout: int
) -> AsyncEngine: ...
def _create(
    factory: Callable[..., Engine | AsyncEngine],
    url: URL,
    variable: str,
    sqlite_timeout: int,
) -> Engine | AsyncEngine:
    """Call create_engine or create_async_engine, with one-line errors."""
    on_sqlite = url.get_backend_name() == "sqlite"
    try:
        connect_args = {"timeout": sqlite_timeout} if on_sqlite else {}
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
        )
    return engine


@contextmanager
def connect(engine: Engine) -> Iterator[Connection]:
    """Connect, turning "cannot reach the database" into a one-line DatabaseError."""
    try:
        connection = engine.connect()
    except DBAPIError as error:
        # The URL as the user wrote it (postgresql+asyncpg://...), though migrations
        # connect with psycopg.
        where = _AS_WRITTEN.get(engine, engine.url).render_as_string(hide_password=True)
        reason = " ".join(str(error.orig).split())
        message = f"Cannot connect to {where}: {reason}"
        raise DatabaseError(sqlite.explain(error, engine.url) or message) from error
    with connection:
        yield connection

"""Where the database lives: one URL, read from the environment, for every driver."""

import os
from pathlib import Path

from sqlalchemy import URL, make_url
from sqlalchemy.exc import ArgumentError

from .errors import DatabaseError
from .names import DATABASE_URL_ENV, PROGRAM
from .settings import MIGRATION_DATABASE_URL_ENV

# The URL may name a sync or an async driver; each engine takes the one it needs. Plain
# postgresql:// means psycopg 3, which is both (SQLAlchemy alone would pick psycopg2).
# What a URL that cannot be parsed raises.
_UNPARSABLE = (ArgumentError, ValueError)

SYNC_DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "postgresql+asyncpg": "postgresql+psycopg",
    "sqlite+aiosqlite": "sqlite",
}
ASYNC_DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
    "postgresql+asyncpg": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
}


def data_dir() -> Path:
    """Return the program's data directory, creating it (private to the user) if needed.

    On Linux this is $XDG_DATA_HOME/<program>, or ~/.local/share/<program>.
    """
    path = data_path()
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise DatabaseError(
            f"Cannot create the data directory {path} ({error.strerror}): set "
            f"XDG_DATA_HOME to a directory you can write to, or {DATABASE_URL_ENV} to a "
            "database URL."
        ) from None
    return path


def data_path() -> Path:
    """The data directory's path, which data_dir() creates."""
    import platformdirs  # here, not at the top: a program given a URL never pays for it

    return platformdirs.user_data_path(PROGRAM, appauthor=False)


def get_url(variable: str = DATABASE_URL_ENV, *, create: bool = True) -> URL:
    """Return the database URL: $`variable`, or a SQLite file in data_dir().

    A blank variable counts as unset. With create=False the data directory is not
    created: a command that only reads must leave no trace. Printing the URL hides its
    password. Raises DatabaseError when the variable does not hold a URL at all; the
    engines report an unknown database or a missing driver.
    """
    raw = os.environ.get(variable, "").strip()
    if not raw:
        folder = data_dir() if create else data_path()
        return URL.create("sqlite", database=str(folder / "main.db"))
    # An unencoded @ in the password would end it early, and the rest of the password
    # would pass for the host: printed in every error.
    if raw.partition("://")[2].count("@") > 1:
        raise DatabaseError(
            f"{variable} has more than one @ before the host: write an @ in the user "
            "name or password as %40 (and a % as %25)."
        )
    try:
        return make_url(raw)
    except _UNPARSABLE:
        # Not `from error`: the parser's message may quote the URL, password and all.
        raise DatabaseError(
            f"{variable} is not a valid database URL: expected "
            "dialect+driver://user:password@host:port/database, with special "
            "characters in the password percent-encoded (@ as %40, % as %25)."
        ) from None


def migration_url_variable() -> str:
    """The variable migrations take their URL from: $MIGRATION_DATABASE_URL_ENV when it
    is set, else the program's own. Raises DatabaseError when the two name different
    databases: migrations would change one, and the program query the other."""
    if not os.environ.get(MIGRATION_DATABASE_URL_ENV, "").strip():
        return DATABASE_URL_ENV
    migrations = get_url(MIGRATION_DATABASE_URL_ENV)
    program = get_url(DATABASE_URL_ENV, create=False)
    if _database(migrations) != _database(program):
        raise DatabaseError(
            f"{MIGRATION_DATABASE_URL_ENV} and {DATABASE_URL_ENV} name different "
            f"databases ({_shown(migrations)} and {_shown(program)}): the two may "
            "differ in the user and password, and in the host and port of a pooler in "
            "front of the same server, not in the database. Nothing was migrated."
        )
    return MIGRATION_DATABASE_URL_ENV


def _database(url: URL) -> tuple[str, str]:
    """Which database `url` names: its kind, and its file or its name on the server."""
    if url.get_backend_name() == "sqlite":
        return "sqlite", os.path.realpath(url.database or "")
    return url.get_backend_name(), url.database or ""


def _shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def sync_url(url: URL) -> URL:
    """The same database through a sync driver: sqlite3 for aiosqlite, psycopg for
    asyncpg."""
    return url.set(drivername=SYNC_DRIVERS.get(url.drivername, url.drivername))


def async_url(url: URL, variable: str = DATABASE_URL_ENV) -> URL:
    """The same database through an async driver: aiosqlite for SQLite, psycopg (or the
    asyncpg the URL names) for PostgreSQL."""
    if url.drivername not in ASYNC_DRIVERS:
        raise DatabaseError(
            f"{variable} names '{url.drivername}', which has no async driver here: use "
            "sqlite://, postgresql+psycopg:// or postgresql+asyncpg://."
        )
    return url.set(drivername=ASYNC_DRIVERS[url.drivername])

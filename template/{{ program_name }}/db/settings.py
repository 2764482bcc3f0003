"""How migrations run, set from the environment: the names are the program's, upper-cased,
so a deployment file sets them beside the database URL."""

import os

from .errors import DatabaseError
from .names import PROGRAM

PREFIX = f"{PROGRAM.upper()}_MIGRATION"
# Where migrations connect instead of the program's URL: typically straight to the
# server, past any pooler, as the role that owns the schema.
MIGRATION_DATABASE_URL_ENV = f"{PREFIX}_DATABASE_URL"
# Set to 0 to migrate SQLite files without backing them up first.
MIGRATION_BACKUP_ENV = f"{PREFIX}_BACKUP"
# Seconds a migration statement may wait for a table lock before its attempt is rolled
# back and tried again, so the queries queued behind it wait no longer; 0 turns it off.
MIGRATION_LOCK_TIMEOUT_ENV = f"{PREFIX}_LOCK_TIMEOUT"
LOCK_TIMEOUT = 2.0
# Seconds a start may spend waiting, all waits together: for the server to accept
# connections, for another process's migration, for table locks across retries.
MIGRATION_WAIT_ENV = f"{PREFIX}_WAIT"
WAIT = 600.0
# Every variable above. A test run clears them all (tests/conftest.py): a migration URL
# or a setting exported for production must not reach the tests' database.
MIGRATION_SETTINGS_ENV = (
    MIGRATION_DATABASE_URL_ENV,
    MIGRATION_BACKUP_ENV,
    MIGRATION_LOCK_TIMEOUT_ENV,
    MIGRATION_WAIT_ENV,
)


def lock_timeout() -> float:
    return _seconds(MIGRATION_LOCK_TIMEOUT_ENV, LOCK_TIMEOUT, "0 turns it off")


def wait_budget() -> float:
    return _seconds(MIGRATION_WAIT_ENV, WAIT, "0 waits for nothing")


def backups_on() -> bool:
    return os.environ.get(MIGRATION_BACKUP_ENV, "").strip() != "0"


def _seconds(variable: str, default: float, zero: str) -> float:
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return default
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise DatabaseError(
            f"{variable} must be a number of seconds, such as {default:g} ({zero}), "
            f"not {raw!r}."
        )
    return seconds

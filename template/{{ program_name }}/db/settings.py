"""What the machinery may be tuned by: the user's db_settings.py, and for the migration
settings the environment, whose names are the program's, upper-cased, so that a
deployment file sets them beside the database URL."""

import os
from typing import Any

from .. import db_settings
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
# Seconds a start may spend waiting, all waits together: for the server to accept
# connections, for another process's migration, for table locks across retries.
MIGRATION_WAIT_ENV = f"{PREFIX}_WAIT"
# "expand" applies the pending revisions up to the first contract one, during a rolling
# deploy; "all", the default, applies them all.
MIGRATION_PHASE_ENV = f"{PREFIX}_PHASE"
PHASES = ("expand", "all")
# Every variable above. A test run clears them all (tests/conftest.py): a migration URL
# or a setting exported for production must not reach the tests' database.
MIGRATION_SETTINGS_ENV = (
    MIGRATION_DATABASE_URL_ENV,
    MIGRATION_BACKUP_ENV,
    MIGRATION_LOCK_TIMEOUT_ENV,
    MIGRATION_WAIT_ENV,
    MIGRATION_PHASE_ENV,
)

# What float() raises for a value that is no number (a tuple, which every Python target
# formats alike).
_NOT_A_NUMBER = (TypeError, ValueError)

# The template's defaults, for a setting the user's db_settings.py does not have (one a
# later template version added). A new project's db_settings.py starts with these values.
DEFAULTS: dict[str, float | bool | int] = {
    "SQLITE_BUSY_TIMEOUT": 30.0,
    "MIGRATION_LOCK_TIMEOUT": 2.0,
    "MIGRATION_WAIT": 600.0,
    "MIGRATION_BACKUP": True,
    "BACKUPS_KEPT": 3,
}


def sqlite_busy_timeout() -> float:
    """Seconds a SQLite connection of the program waits for another's write lock.
    Migrations wait as long as the wait budget allows."""
    return _seconds(None, "SQLITE_BUSY_TIMEOUT", "0 waits for nothing")


def lock_timeout() -> float:
    return _seconds(
        MIGRATION_LOCK_TIMEOUT_ENV, "MIGRATION_LOCK_TIMEOUT", "0 turns it off"
    )


def wait_budget() -> float:
    return _seconds(MIGRATION_WAIT_ENV, "MIGRATION_WAIT", "0 waits for nothing")


def backups_on() -> bool:
    if os.environ.get(MIGRATION_BACKUP_ENV, "").strip() == "0":
        return False
    on = _tuned("MIGRATION_BACKUP")
    if not isinstance(on, bool):
        raise DatabaseError(
            f"{_where('MIGRATION_BACKUP')} must be True or False, not {on!r}."
        )
    return on


def backups_kept() -> int:
    kept = _tuned("BACKUPS_KEPT")
    if isinstance(kept, bool) or not isinstance(kept, int) or kept < 1:
        raise DatabaseError(
            f"{_where('BACKUPS_KEPT')} must be a whole number, 1 or more, not {kept!r}."
        )
    return kept


def _seconds(variable: str | None, name: str, zero: str) -> float:
    raw = os.environ.get(variable, "").strip() if variable else ""
    where, value = (variable, raw) if raw else (_where(name), _tuned(name))
    try:
        seconds = -1.0 if isinstance(value, bool) else float(value)
    except _NOT_A_NUMBER:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise DatabaseError(
            f"{where} must be a number of seconds, such as {DEFAULTS[name]:g} ({zero}), "
            f"not {value!r}."
        )
    return seconds


def _tuned(name: str) -> Any:
    return getattr(db_settings, name, DEFAULTS[name])


def _where(name: str) -> str:
    return f"{db_settings.__name__}.{name}"


def migration_phase() -> str:
    """Which revisions a run applies: "expand" or "all"."""
    phase = os.environ.get(MIGRATION_PHASE_ENV) or "all"
    if phase not in PHASES:
        raise DatabaseError(
            f"{MIGRATION_PHASE_ENV} is {phase!r}: say expand (during a rolling deploy) "
            "or all."
        )
    return phase

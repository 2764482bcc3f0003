"""PostgreSQL's side of a migration run: one process of this program migrates at a time,
its session waits for table locks with a bound, and it notices a client that died."""

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from .engines import connect, through_a_pooler
from .errors import DatabaseError
from .names import PROGRAM
from .settings import MIGRATION_DATABASE_URL_ENV
from .url import migration_url_variable
from .waits import Backoff, Budget

# The advisory lock's key. pg_locks shows a bigint key in two halves: classid holds the
# high 32 bits, objid the low 32 bits.
MIGRATION_LOCK_KEY = int.from_bytes(
    hashlib.sha256(f"{PROGRAM} migrations".encode()).digest()[:8], "big", signed=True
)
# How soon a backend whose client died stops its statement, and lets go of its locks.
CLIENT_CHECK_MILLISECONDS = 1000

_TRY_LOCK = text("SELECT pg_try_advisory_lock(:key)")
_UNLOCK = text("SELECT pg_advisory_unlock(:key)")
_HOLDER = text(
    """
    SELECT activity.pid, activity.application_name
    FROM pg_locks AS lock JOIN pg_stat_activity AS activity USING (pid)
    WHERE lock.locktype = 'advisory' AND lock.granted AND lock.objsubid = 1
      AND lock.classid = :high AND lock.objid = :low
    """
)


@contextmanager
def migration_session(engine: Engine, budget: Budget) -> Iterator[Connection]:
    """Connect for a migration run, waiting within `budget` for the server to accept
    connections; on PostgreSQL, also for the migration lock.

    The lock is a session-level advisory lock, which Alembic's autocommit_block() does
    not release, taken on the connection that migrates: a process that waits for it
    polls with a connection of its own and lets go of it between tries, so waiters
    never fill the server's connection slots while the holder needs them. A waiter
    holds no transaction between tries either: a CREATE INDEX CONCURRENTLY in the
    holder's migration waits for every older snapshot to end.
    """
    if engine.dialect.name != "postgresql":
        with connect(engine, budget) as connection:
            yield connection
        return
    key = {"key": MIGRATION_LOCK_KEY}
    backoff = Backoff(0.2, 2.0)
    while True:
        with connect(engine, budget) as connection:
            _refuse_a_pooler(connection)
            if connection.execute(_TRY_LOCK, key).scalar():
                connection.commit()  # the lock outlives the transaction
                try:
                    _notice_dead_clients(connection)
                    yield connection
                finally:
                    _unlock(connection)
                return
            holder = _holder(connection)
            connection.rollback()
        budget.wait("another process's migration to finish", holder, backoff.pause())


def _refuse_a_pooler(connection: Connection) -> None:
    """A pooler in transaction mode hands each transaction any server session: a session
    lock would be taken on one and released (or left held) on another."""
    if not through_a_pooler(connection):
        return
    variable = migration_url_variable()
    fix = (
        "point it straight at the server"
        if variable == MIGRATION_DATABASE_URL_ENV
        else f"set {MIGRATION_DATABASE_URL_ENV} to a direct connection to the server, "
        "for migrations only"
    )
    raise DatabaseError(
        f"{variable} reaches PostgreSQL through a connection pooler (such as "
        f"PgBouncer), where migrations cannot hold their lock: {fix}. Nothing was "
        "migrated."
    )


def _notice_dead_clients(connection: Connection) -> None:
    """Make the backend check, while a statement runs, that this process is still there:
    a killed process's backend would go on holding the lock and the tables until its
    statement ended (PostgreSQL 14 and later)."""
    if (connection.dialect.server_version_info or ()) >= (14,):
        connection.execute(
            text("SELECT set_config('client_connection_check_interval', :ms, false)"),
            {"ms": str(CLIENT_CHECK_MILLISECONDS)},
        )
        connection.commit()


def _holder(connection: Connection) -> str:
    """Who holds the migration lock, as its application_name says."""
    high, low = divmod(MIGRATION_LOCK_KEY % 2**64, 2**32)
    row = connection.execute(_HOLDER, {"high": high, "low": low}).first()
    if row is None:
        return "it has just finished"
    pid, name = row
    return f"{name or 'a session'!r} holds the migration lock (backend {pid})"


def _unlock(connection: Connection) -> None:
    """Let go of the lock; when the connection is gone, the lock went with it."""
    if connection.invalidated:
        return
    with suppress(DBAPIError):
        connection.rollback()
        connection.execute(_UNLOCK, {"key": MIGRATION_LOCK_KEY})
        connection.commit()

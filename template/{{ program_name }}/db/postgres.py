"""PostgreSQL's migration lock: one process of this program migrates at a time."""

import hashlib
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

from .engines import connect
from .names import PROGRAM

log = logging.getLogger(__name__)

# The advisory lock's key, and how often a process that waits for it asks again.
MIGRATION_LOCK_KEY = int.from_bytes(
    hashlib.sha256(f"{PROGRAM} migrations".encode()).digest()[:8], "big", signed=True
)
MIGRATION_LOCK_POLL_SECONDS = 0.2


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Let one process of this program migrate at a time; the others wait, then find
    nothing left to do.

    On PostgreSQL this is a session-level advisory lock on a connection of its own: a
    transaction-level lock would be released by Alembic's autocommit_block(). SQLite
    needs nothing more: migration_engine() takes the write lock when it begins.
    """
    if engine.dialect.name != "postgresql":
        yield
        return
    key = {"key": MIGRATION_LOCK_KEY}
    with connect(engine) as connection:
        # Ask again and again, outside any transaction, rather than wait inside
        # pg_advisory_lock(): a waiting statement holds a snapshot, and a CREATE INDEX
        # CONCURRENTLY in the holder's migration waits for every older snapshot to end.
        # The two would wait for each other forever.
        connection.execution_options(isolation_level="AUTOCOMMIT")
        try_lock = text("SELECT pg_try_advisory_lock(:key)")
        waiting = False
        while not connection.execute(try_lock, key).scalar():
            if not waiting:
                log.info("Waiting for another process's migration to finish.")
                waiting = True
            time.sleep(MIGRATION_LOCK_POLL_SECONDS)
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)

"""Table locks, waited for with a bound. A migration that needs a table lock queues
behind a long transaction, and every new query on the table queues behind the
migration. So each attempt runs with a lock_timeout, which bounds how long those queries
wait; an attempt that times out is rolled back and tried again after a pause, with
backoff and jitter, within the start's wait budget (waits.py)."""

import itertools
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text

from .errors import DatabaseError
from .settings import MIGRATION_LOCK_TIMEOUT_ENV, lock_timeout
from .waits import Backoff, Budget

LOCK_NOT_AVAILABLE = "55P03"  # SQLSTATE of "canceling statement due to lock timeout"
# When the watcher first looks at who blocks the migration, and how often after that.
FIRST_LOOK_SECONDS = 0.5
LOOK_EVERY_SECONDS = 0.25

_BLOCKER = text(
    """
    SELECT coalesce(waiting.relation::regclass::text, waiting.locktype),
           blocker.pid, blocker.application_name,
           extract(epoch FROM clock_timestamp() - blocker.xact_start)
    FROM pg_locks AS waiting
    CROSS JOIN LATERAL unnest(pg_blocking_pids(waiting.pid)) AS blocking (pid)
    JOIN pg_stat_activity AS blocker ON blocker.pid = blocking.pid
    WHERE waiting.pid = :pid AND NOT waiting.granted
    ORDER BY blocker.xact_start
    LIMIT 1
    """
)


def with_lock_timeout(
    attempt: Callable[[], None], connection: Connection, budget: Budget
) -> None:
    """Run `attempt` (the whole migration, in one transaction) until no table lock
    times out in it, or the budget is spent."""
    if connection.dialect.name != "postgresql":
        attempt()
        return
    pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    connection.commit()
    setting = lock_timeout()
    backoff = Backoff(0.5, 10.0)
    seen = None  # who blocked the last attempt the watcher caught waiting
    for number in itertools.count(1):
        # With the setting off, the budget still bounds each wait.
        seconds = min(setting or budget.left(), budget.left())
        _set_lock_timeout(connection, seconds)
        watcher = Watcher(connection.engine, pid, seconds)
        try:
            with watcher.watching(), numbered_steps(number):
                attempt()
            return
        except DatabaseError as error:
            if not _timed_out(error):
                raise
        seen = watcher.seen or seen
        what, detail = seen or (
            "a table lock",
            f"the lock timeout ({MIGRATION_LOCK_TIMEOUT_ENV}) of {seconds:g} s ran out",
        )
        budget.wait(what, detail, backoff.pause())


@contextmanager
def numbered_steps(attempt: int) -> Iterator[None]:
    """Alembic logs each step it runs ("Running upgrade A -> B"); from the second
    attempt on, each line says which attempt it is, so that a retried revision does not
    read as if it ran again."""
    if attempt == 1:
        yield
        return
    steps = logging.getLogger("alembic.runtime.migration")

    def number(record: logging.LogRecord) -> bool:
        if record.msg == "Running %s" and isinstance(record.args, tuple):
            record.msg = "Running %s (attempt %d; the ones before it were rolled back)"
            record.args = (*record.args, attempt)
        return True

    steps.addFilter(number)
    try:
        yield
    finally:
        steps.removeFilter(number)


def _timed_out(error: DatabaseError) -> bool:
    orig = getattr(error.__cause__, "orig", None)
    return getattr(orig, "sqlstate", None) == LOCK_NOT_AVAILABLE


def _set_lock_timeout(connection: Connection, seconds: float) -> None:
    # For the session, not the transaction: autocommit_block() ends the transaction.
    # At least a millisecond, since 0 would mean no limit at all.
    milliseconds = max(1, round(seconds * 1000))
    connection.execute(
        text("SELECT set_config('lock_timeout', :ms, false)"), {"ms": f"{milliseconds}"}
    )
    connection.commit()


class Watcher:
    """Who blocks the migration's backend, seen from a connection of its own while an
    attempt runs: PostgreSQL's lock timeout error does not say. It only connects once an
    attempt has run for a while, so a quick migration costs no second connection."""

    def __init__(self, engine: Engine, pid: int, lock_timeout: float) -> None:
        self.engine = engine
        self.pid = pid
        self.first_look = min(FIRST_LOOK_SECONDS, lock_timeout / 2)
        self.seen: tuple[str, str] | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    @contextmanager
    def watching(self) -> Iterator[None]:
        self._thread.start()
        try:
            yield
        finally:
            self._done.set()
            self._thread.join(timeout=5)

    def _watch(self) -> None:
        if self._done.wait(self.first_look):
            return
        try:
            with self.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT")
                while not self._done.is_set():
                    row = connection.execute(_BLOCKER, {"pid": self.pid}).first()
                    if row is not None:
                        self.seen = _describe(*row)
                    self._done.wait(LOOK_EVERY_SECONDS)
        except Exception:  # noqa: BLE001, S110 - a watcher must never print or fail
            pass


def _describe(
    locked: str, pid: int, name: str | None, age: float | None
) -> tuple[str, str]:
    """What the migration waits for, and who holds it, in words."""
    # A row lock, or CREATE INDEX CONCURRENTLY waiting for older transactions.
    ends_a_transaction = locked in ("transactionid", "virtualxid")
    what = "another transaction to end" if ends_a_transaction else f"a lock on {locked}"
    open_for = (
        f"in a transaction open for {age:.0f} s"
        if age is not None
        else "in a transaction whose age is hidden from this role (pg_read_all_stats)"
    )
    named = f"{name!r}" if name else "with no application_name"
    return what, f"backend {pid} ({named}) holds it, {open_for}"

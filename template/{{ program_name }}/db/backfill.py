"""op.batched_update(table, set_, where=None, batch_size=1000): fill a column of a big
table in use, between expand and contract, without one long UPDATE.

One UPDATE of a big table holds its row locks, and its transaction, until the last row:
the program's writes to those rows wait, and a run killed near the end starts over. This
updates the rows in batches, in primary key order, each batch in a transaction of its
own on PostgreSQL, under the run's lock timeout. The progress (the last key done) is
recorded with each batch, in `alembic_backfills`, so a killed run resumes after the last
finished batch. It logs progress at most every few seconds.

Write it in a revision of its own: its batches commit as they go. On SQLite, which has
one writer at a time anyway, the batches run in the migration's transaction.

    op.batched_update("account", "email = lower(name)", where="email IS NULL")
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

import sqlalchemy as sa
from alembic.operations import Operations, ops

from .errors import MigrationRefused
from .online import commit
from .tables import BACKFILL_TABLE

log = logging.getLogger(__name__)
LOG_EVERY_SECONDS = 5.0

_metadata = sa.MetaData()
progress = sa.Table(
    BACKFILL_TABLE,
    _metadata,
    sa.Column("backfill", sa.String(64)),
    sa.Column("last_key", sa.String(200), nullable=False),
    sa.Column("rows_done", sa.Integer, nullable=False),
    sa.PrimaryKeyConstraint("backfill", name=f"{BACKFILL_TABLE}_pkc"),
)


@Operations.register_operation("batched_update")
class BatchedUpdateOp(ops.MigrateOperation):
    """UPDATE `table` SET `set_` [WHERE `where`], `batch_size` rows at a time."""

    def __init__(
        self, table: str, set_: str, where: str | None = None, batch_size: int = 1000
    ) -> None:
        self.table = table
        self.set_ = set_
        self.where = where
        self.batch_size = batch_size

    @classmethod
    def batched_update(
        cls,
        operations: Operations,
        table: str,
        set_: str,
        where: str | None = None,
        batch_size: int = 1000,
    ) -> None:
        operations.invoke(cls(table, set_, where, batch_size))

    def reverse(self) -> BatchedUpdateOp:
        raise NotImplementedError("a backfill has no reverse: write the downgrade")

    @property
    def key(self) -> str:
        """This backfill's name in the progress table."""
        said = f"{self.table}\n{self.set_}\n{self.where}"
        return hashlib.sha256(said.encode()).hexdigest()


@Operations.implementation_for(BatchedUpdateOp)
def _batched_update(operations: Operations, op: BatchedUpdateOp) -> None:
    context = operations.get_context()
    table = sa.Table(op.table, sa.MetaData(), autoload_with=operations.get_bind())
    (pk, *more) = table.primary_key.columns
    if more:
        raise MigrationRefused(
            f"op.batched_update() walks {op.table} by its primary key, which has "
            f"{len(more) + 1} columns: give it a table with a one-column key."
        )
    where = sa.text(op.where) if op.where else sa.true()
    if context.as_sql:
        # A script cannot ask which batch comes next: the whole update, as one.
        operations.execute(f"UPDATE {op.table} SET {op.set_} WHERE {where}")
        return
    online = context.dialect.name == "postgresql"
    _run(operations, op, table, pk, where, online)


def _run(
    operations: Operations,
    op: BatchedUpdateOp,
    table: sa.Table,
    pk: sa.Column[Any],
    where: sa.ColumnElement[bool] | sa.TextClause,
    online: bool,
) -> None:
    connection = operations.get_bind()
    progress.create(connection, checkfirst=True)
    row = connection.execute(
        sa.select(progress.c.last_key, progress.c.rows_done).where(
            progress.c.backfill == op.key
        )
    ).first()
    recorded = row is not None
    last, done = (row.last_key, row.rows_done) if row else (None, 0)

    def after(last: str | None) -> sa.ColumnElement[bool] | sa.TextClause:
        return where if last is None else sa.and_(where, pk > sa.cast(last, pk.type))

    left = connection.execute(
        sa.select(sa.func.count()).select_from(table).where(after(last))
    ).scalar_one()
    started = logged = time.monotonic()
    done_at_start = done
    while True:
        batch = sa.select(pk).where(after(last)).order_by(pk).limit(op.batch_size)
        keys = list(connection.execute(batch).scalars())
        if not keys:
            break
        # The rows after the last key done, up to this batch's last: a range, which
        # the primary key's index serves.
        rows = _sql(sa.and_(after(last), pk <= keys[-1]), connection)
        connection.execute(sa.text(f"UPDATE {op.table} SET {op.set_} WHERE {rows}"))
        last, done = str(keys[-1]), done + len(keys)
        _record(connection, op.key, last, done, first=not recorded)
        recorded = True
        if online:
            commit(operations)  # this batch's row locks end here
            connection = operations.get_bind()
        now = time.monotonic()
        if now - logged >= LOG_EVERY_SECONDS:
            logged = now
            _log(op.table, done - done_at_start, left, now - started)
    log.info("Backfill of %s done: %d rows.", op.table, done)


def _sql(condition: sa.ColumnElement[bool], connection: sa.Connection) -> str:
    """`condition` as SQL text, its values written in."""
    compiled = condition.compile(connection, compile_kwargs={"literal_binds": True})
    return str(compiled)


def _record(
    connection: sa.Connection, key: str, last: str, done: int, *, first: bool
) -> None:
    values = {"last_key": last, "rows_done": done}
    if first:
        connection.execute(progress.insert().values(backfill=key, **values))
    else:
        connection.execute(
            progress.update().where(progress.c.backfill == key).values(**values)
        )


def _log(table: str, done: int, total: int, seconds: float) -> None:
    """Rows done this run of `total`, the rate and the time left."""
    rate = done / seconds if seconds else 0.0
    rows_left = max(total - done, 0)
    log.info(
        "Backfill of %s: %d of %d rows, %.0f rows/s, about %.0f s left.",
        table,
        done,
        total,
        rate,
        rows_left / rate if rate else 0.0,
    )

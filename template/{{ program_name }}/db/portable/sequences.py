"""op.sync_id_sequence(table, column): after rows are inserted with their ids, the next id
PostgreSQL draws from the column's sequence follows them.

A row inserted with an explicit id leaves the sequence where it was, so the program's
first insert collides with it. SQLite takes the next id from the table itself and needs
nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic.operations import Operations, ops


@Operations.register_operation("sync_id_sequence")
class SyncIdSequenceOp(ops.MigrateOperation):
    """Move the sequence behind `table`.`column` to the column's largest value."""

    def __init__(self, table: str, column: str) -> None:
        self.table = table
        self.column = column

    @classmethod
    def sync_id_sequence(cls, operations: Operations, table: str, column: str) -> None:
        operations.invoke(cls(table, column))


@Operations.implementation_for(SyncIdSequenceOp)
def _sync(operations: Operations, op: SyncIdSequenceOp) -> None:
    context = operations.get_context()
    if context.dialect.name != "postgresql":
        return
    quote = context.dialect.identifier_preparer.quote
    table, column = quote(op.table), quote(op.column)
    # setval() ignores a NULL: an empty table keeps its sequence as it is.
    operations.execute(
        sa.text(
            f"SELECT setval(pg_get_serial_sequence(:table, :column), max({column})) "
            f"FROM {table}"
        ).bindparams(table=table, column=op.column)
    )

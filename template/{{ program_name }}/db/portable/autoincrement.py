"""op.set_sqlite_autoincrement(table, on): give a SQLite table AUTOINCREMENT, or take it
away, as the models' `sqlite_autoincrement` says; and autogenerate's comparison that
writes it, so `alembic check` sees a table that lacks what its model declares.

SQLite keeps the option in the CREATE TABLE statement alone, so the table is rebuilt.
PostgreSQL never hands out an id twice anyway, and needs nothing.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import comparators, renderers
from alembic.autogenerate.api import AutogenContext
from alembic.operations import Operations, ops


@Operations.register_operation("set_sqlite_autoincrement")
class SetSqliteAutoincrementOp(ops.MigrateOperation):
    """Rebuild the SQLite table `table` with AUTOINCREMENT `on` or off."""

    def __init__(self, table: str, on: bool) -> None:
        self.table = table
        self.on = on

    @classmethod
    def set_sqlite_autoincrement(
        cls, operations: Operations, table: str, on: bool
    ) -> None:
        operations.invoke(cls(table, on))

    def reverse(self) -> SetSqliteAutoincrementOp:
        return SetSqliteAutoincrementOp(self.table, not self.on)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("set_sqlite_autoincrement", self.table, self.on)


@renderers.dispatch_for(SetSqliteAutoincrementOp)
def _render(autogen_context: AutogenContext, op: SetSqliteAutoincrementOp) -> str:
    return f"op.set_sqlite_autoincrement({op.table!r}, {op.on!r})"


@Operations.implementation_for(SetSqliteAutoincrementOp)
def _set(operations: Operations, op: SetSqliteAutoincrementOp) -> None:
    if operations.get_context().dialect.name != "sqlite":
        return
    with operations.batch_alter_table(
        op.table, recreate="always", table_kwargs={"sqlite_autoincrement": op.on}
    ):
        pass  # the rebuild is the change


@comparators.dispatch_for("schema")
def compare_autoincrement(
    autogen_context: AutogenContext, upgrade_ops: ops.UpgradeOps, schemas: Any
) -> None:
    """One op.set_sqlite_autoincrement() per SQLite table whose AUTOINCREMENT differs
    from its model's (sqlite_reflection.py reads the database's)."""
    connection = autogen_context.connection
    metadata = autogen_context.metadata
    if (
        connection is None
        or connection.dialect.name != "sqlite"
        or not isinstance(metadata, sa.MetaData)
    ):
        return
    inspector = sa.inspect(connection)
    existing = set(inspector.get_table_names())
    for table in metadata.sorted_tables:
        if table.schema is not None or table.name not in existing:
            continue
        declared = bool(table.dialect_options["sqlite"]["autoincrement"])
        options = inspector.get_table_options(table.name)
        if declared != bool(options.get("sqlite_autoincrement", False)):
            upgrade_ops.ops.append(SetSqliteAutoincrementOp(table.name, declared))

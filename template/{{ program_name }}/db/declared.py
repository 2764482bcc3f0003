"""What a history's operations declared for each column: its type and server default.

A database reads its columns back in its own words: SQLite stores an enum as VARCHAR(n),
a timestamp with its time zone as DATETIME, a TypeDecorator as its impl. `db squash`
writes a revision from a database the old history built, so it takes each column's
type and default from the operations that made them (create_table, add_column,
alter_column, change_enum_values), as the revisions wrote them, and the rest from the
database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from alembic.operations import ops
from alembic.operations.base import AbstractOperations

from .portable.enum_values import ChangeEnumValuesOp

Key = tuple[str, str]  # (table, column)


@dataclass
class Column:
    type: Any
    server_default: Any  # a DefaultClause, or None

    @classmethod
    def of(cls, column: sa.Column[Any]) -> Column:
        return cls(_plain(column.type), column.server_default)


class Declared:
    """The columns as the operations run so far left them."""

    def __init__(self) -> None:
        self.columns: dict[Key, Column] = {}

    def apply(self, op: ops.MigrateOperation) -> None:
        if isinstance(op, ops.CreateTableOp):
            for item in op.columns:  # columns, and the table's constraints
                if isinstance(item, sa.Column):
                    self.columns[(op.table_name, item.name)] = Column.of(item)
        elif isinstance(op, ops.AddColumnOp):
            self.columns[(op.table_name, op.column.name)] = Column.of(op.column)
        elif isinstance(op, ops.AlterColumnOp):
            self._alter(op)
        elif isinstance(op, ops.DropColumnOp):
            self.columns.pop((op.table_name, op.column_name), None)
        elif isinstance(op, ops.DropTableOp):
            self._drop_table(op.table_name)
        elif isinstance(op, ops.RenameTableOp):
            for (table, name), renamed in list(self.columns.items()):
                if table == op.table_name:
                    del self.columns[(table, name)]
                    self.columns[(op.new_table_name, name)] = renamed
        elif isinstance(op, ChangeEnumValuesOp):
            for key in op.columns:
                changed = self.columns.get(key)
                if changed is not None and isinstance(changed.type, sa.Enum):
                    changed.type = _with_values(changed.type, op.new)

    def _alter(self, op: ops.AlterColumnOp) -> None:
        key = (op.table_name, op.column_name)
        column = self.columns.pop(key, None)
        if column is None:
            return
        if op.modify_type is not None:
            column.type = _plain(op.modify_type)
        if op.modify_server_default is not False:
            column.server_default = _as_default(op.modify_server_default)
        self.columns[(op.table_name, op.modify_name or op.column_name)] = column

    def _drop_table(self, table: str) -> None:
        for key in [key for key in self.columns if key[0] == table]:
            del self.columns[key]


@contextmanager
def recording() -> Iterator[Declared]:
    """Record every operation the migrations run while inside, in this process.

    Every op.* call, batch or not, reaches the database through invoke(): it is the one
    place that sees them all, and Alembic has no hook there.
    """
    declared = Declared()
    invoke = AbstractOperations.invoke

    def recorded_invoke(self: AbstractOperations, operation: Any) -> Any:
        declared.apply(operation)
        return invoke(self, operation)

    AbstractOperations.invoke = recorded_invoke  # type: ignore[method-assign]
    try:
        yield declared
    finally:
        AbstractOperations.invoke = invoke  # type: ignore[method-assign]


def _plain(type_: Any) -> Any:
    """The type as the revision declared it for the column. How a revision created an
    enum type (postgresql.ENUM(create_type=False) beside its own .create() call) is that
    revision's business: the squashed revision creates the type itself."""
    if isinstance(type_, sa.Enum):
        return _with_values(type_, list(type_.enums))
    return type_


def _with_values(type_: sa.Enum, values: list[str]) -> sa.Enum:
    # A length the revision gave is kept; one SQLAlchemy worked out follows the values.
    length = type_.length
    given = length is not None and length != getattr(type_, "_default_length", length)
    return sa.Enum(
        *values,
        name=type_.name,
        schema=type_.schema,
        native_enum=type_.native_enum,
        create_constraint=type_.create_constraint,
        **({"length": max(length or 0, *map(len, values))} if given else {}),
    )


def _as_default(value: Any) -> sa.DefaultClause | None:
    if value is None or isinstance(value, sa.DefaultClause):
        return value
    return sa.DefaultClause(value)

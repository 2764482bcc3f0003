"""What a history's operations declared: each column's type and server default, each
named CHECK's rule, each index's columns, expressions and predicate.

A database reads its schema back in its own words: SQLite stores an enum as VARCHAR(n),
a timestamp with its time zone as DATETIME, a TypeDecorator as its impl; PostgreSQL
writes a CHECK's rule as `length(code::text) >= 2`, which SQLite refuses. What a
revision says about the past comes from the history instead: `db squash` writes its
revision, and autogenerate the downgrade that re-creates a dropped column, CHECK or
index or restores a column's old type, from the operations that made them
(create_table, add_column, alter_column, create_check_constraint, create_index,
change_enum_values), as the revisions wrote them; from the database only what the
history did not declare (a table made by hand).
"""

from __future__ import annotations

import copy
import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import alembic.context
import alembic.op
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.operations import AbstractOperations, ops
from alembic.util import CommandError
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import SQLAlchemyError

from . import scratch
from .errors import DatabaseError
from .names import PROGRAM
from .portable.enum_values import ChangeEnumValuesOp
from .portable.walk import upgrade_and_downgrade, walk

log = logging.getLogger(__name__)
# What a downgrade brings back from the past, which restore() writes as declared.
_RESTORED = (
    ops.AddColumnOp,
    ops.CreateTableOp,
    ops.AlterColumnOp,
    ops.CreateCheckConstraintOp,
    ops.CreateIndexOp,
)

Key = tuple[str, str]  # (table, column), (table, CHECK name) or (table, index name)


@dataclass
class Index:
    columns: list[Any]  # column names, and expressions as sa.text or SQL
    unique: bool
    kw: dict[str, Any]  # postgresql_where, sqlite_where, postgresql_using...


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
        self.checks: dict[Key, str] = {}  # the rule, as the revision wrote it
        self.indexes: dict[Key, Index] = {}

    def apply(self, op: ops.MigrateOperation) -> None:
        if isinstance(op, ops.CreateTableOp):
            for item in op.columns:  # columns, and the table's constraints
                if isinstance(item, sa.Column):
                    self.columns[(op.table_name, item.name)] = Column.of(item)
                elif isinstance(item, sa.CheckConstraint) and _named(item.name):
                    self.checks[(op.table_name, str(item.name))] = rule(item.sqltext)
        elif isinstance(op, ops.CreateCheckConstraintOp) and _named(op.constraint_name):
            self.checks[(op.table_name, str(op.constraint_name))] = rule(op.condition)
        elif isinstance(op, ops.DropConstraintOp) and _named(op.constraint_name):
            self.checks.pop((op.table_name, str(op.constraint_name)), None)
        elif isinstance(op, ops.CreateIndexOp) and _named(op.index_name):
            self.indexes[(op.table_name, str(op.index_name))] = Index(
                list(op.columns), bool(op.unique), dict(op.kw)
            )
        elif isinstance(op, ops.DropIndexOp) and _named(op.index_name):
            self.indexes.pop((str(op.table_name), str(op.index_name)), None)
        elif isinstance(op, ops.AddColumnOp):
            self.columns[(op.table_name, op.column.name)] = Column.of(op.column)
        elif isinstance(op, ops.AlterColumnOp):
            self._alter(op)
        elif isinstance(op, ops.DropColumnOp):
            self.columns.pop((op.table_name, op.column_name), None)
        elif isinstance(op, ops.DropTableOp):
            self._drop_table(op.table_name)
        elif isinstance(op, ops.RenameTableOp):
            for record in self._records():
                for (table, name), renamed in list(record.items()):
                    if table == op.table_name:
                        del record[(table, name)]
                        record[(op.new_table_name, name)] = renamed
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
        for record in self._records():
            for key in [key for key in record if key[0] == table]:
                del record[key]

    def _records(self) -> list[dict[Key, Any]]:
        return [self.columns, self.checks, self.indexes]

    @staticmethod
    def needed_by(script: ops.MigrationScript) -> bool:
        """Whether `script` says anything about the past that restore() would write:
        most revisions only add, and their downgrades only drop, so the history need not
        be built for them."""
        upgrade, downgrade = upgrade_and_downgrade(script)
        return any(isinstance(op, ops.AlterColumnOp) for op in walk(upgrade)) or any(
            isinstance(op, _RESTORED) for op in walk(downgrade)
        )

    def restore(self, script: ops.MigrationScript) -> None:
        """Write what `script` says about the past as the history declared it, in
        place of what autogenerate read back from the database: the types and defaults
        the upgrade's alter_column starts from; the columns, CHECKs, indexes, types and
        defaults the downgrade brings back."""
        upgrade, downgrade = upgrade_and_downgrade(script)
        for op in walk(upgrade):
            if isinstance(op, ops.AlterColumnOp):
                was = self.columns.get((op.table_name, op.column_name))
                if was is not None:
                    op.existing_type = _restored_type(op.existing_type, was.type)
                    op.existing_server_default = was.server_default
        for op in walk(downgrade):
            if isinstance(op, ops.AddColumnOp):
                self._restore_column(op.table_name, op.column)
            elif isinstance(op, ops.CreateTableOp):
                for item in op.columns:
                    if isinstance(item, sa.Column):
                        self._restore_column(op.table_name, item)
                    elif isinstance(item, sa.CheckConstraint):
                        declared = self.checks.get((op.table_name, str(item.name)))
                        if declared is not None:
                            item.sqltext = sa.text(declared)
            elif isinstance(op, ops.AlterColumnOp):
                self._restore_alter(op)
            elif isinstance(op, ops.CreateCheckConstraintOp):
                declared = self.checks.get((op.table_name, str(op.constraint_name)))
                if declared is not None:
                    op.condition = declared
            elif isinstance(op, ops.CreateIndexOp):
                index = self.indexes.get((op.table_name, str(op.index_name)))
                if index is not None:
                    op.columns, op.unique, op.kw = index.columns, index.unique, index.kw

    def _restore_column(self, table: str, column: sa.Column[Any]) -> None:
        was = self.columns.get((table, column.name))
        if was is not None:
            column.type = _restored_type(column.type, was.type)
            column.server_default = was.server_default

    def _restore_alter(self, op: ops.AlterColumnOp) -> None:
        # The downgrade alters the column back to what it was, under its old name.
        was = self.columns.get((op.table_name, op.modify_name or op.column_name))
        if was is None:
            return
        if op.modify_type is not None:
            op.modify_type = _restored_type(op.modify_type, was.type)
        if op.modify_server_default is not False:
            op.modify_server_default = was.server_default


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


def record_history(config: Config, url: str, revision: str) -> Declared:
    """Build the history up to `revision` on the scratch database `url`, in this
    process, and return what its operations declared.

    It may run from inside env.py, while autogenerate holds Alembic's `context` and
    `op`: the scratch run gets its own Config and its own EnvironmentContext, and the
    caller's two are put back after it."""
    scratch_config = copy.copy(config)
    # Its own attributes: no caller's connection; no alembic.ini logging set up again.
    scratch_config.attributes = {"configure_logger": False}
    # Alembic internals: alembic.context and alembic.op are module proxies (_proxy,
    # _install_proxy) that a nested command replaces and then removes, which would end
    # the caller's autogenerate; tests/test_downgrades_from_history.py fails if they
    # change.
    running = [
        getattr(module, "_proxy", None) for module in (alembic.context, alembic.op)
    ]
    try:
        with (
            scratch.quiet_migrations(),
            recording() as declared,
            scratch.migrating_only(url),
        ):
            command.upgrade(scratch_config, revision)
    finally:
        for proxy in running:
            if proxy is not None:
                proxy._install_proxy()
    return declared


def declared_at(config: Config, heads: tuple[str, ...]) -> Declared:
    """What the history declared up to `heads` (a database's revisions), built on a
    throwaway SQLite file; nothing, with a warning saying why, when SQLite cannot build
    it: then what the revision says about the past comes from the database alone."""
    if not heads:
        return Declared()
    with tempfile.TemporaryDirectory(prefix=f"{PROGRAM}-history-") as folder:
        url = f"sqlite:///{folder}/history.db"
        try:
            return record_history(config, url, heads[0] if len(heads) == 1 else "heads")
        except (CommandError, DatabaseError, SQLAlchemyError) as error:
            log.warning(
                "The history does not build on SQLite (%s): the downgrade writes the "
                "dropped columns, CHECKs and indexes as the database reads them back.",
                str(error).splitlines()[0],
            )
            return Declared()


def _restored_type(reflected: Any, declared: Any) -> Any:
    """The declared type, but for a PostgreSQL enum type read from the database:
    PostgreSQL's enum support creates and drops that type around the column itself."""
    return reflected if isinstance(reflected, postgresql.ENUM) else declared


def _named(name: object) -> bool:
    return isinstance(name, str) and bool(name)


def rule(condition: Any) -> str:
    """A CHECK's rule as the revision wrote it: its SQL, in no database's own words."""
    if isinstance(condition, str):
        return condition
    if isinstance(condition, sa.TextClause):
        return condition.text
    return str(
        condition.compile(
            compile_kwargs={"literal_binds": True, "include_table": False}
        )
    )


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
    given = length is not None and length != max(map(len, type_.enums), default=0)
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

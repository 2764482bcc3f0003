"""Enum values that change, in one revision that applies on both databases.

When the models add or remove a value of a named Enum, autogenerate writes
op.change_enum_values(), made against either database:

- on PostgreSQL, an added value is `ALTER TYPE ... ADD VALUE`, which locks no table. A
  removed (or reordered) value needs a new type: the columns move to it, and the indexes
  whose predicates use the type are rebuilt around the move;
- on SQLite, which stores an enum as VARCHAR(n), the column is widened or narrowed when
  the longest value changes.

A removed value that rows still hold would fail on PostgreSQL at the column's move, and
on SQLite stay in rows the models cannot load: on both, the rows are counted first, and
any there refuse the removal in one line (the migration's transaction rolls back).

PostgreSQL knows its enum's values. SQLite does not, so there the values are the ones
the history last declared: the revisions' sa.Enum(...), change_enum_values() and (in
older revisions) alembic-postgresql-enum's sync_enum_values() calls.
"""

from __future__ import annotations

import ast
import logging
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import comparators, renderers
from alembic.autogenerate.api import AutogenContext
from alembic.operations import Operations, ops
from alembic.script import ScriptDirectory
from alembic.util import DispatchPriority

from ..errors import MigrationRefused

log = logging.getLogger(__name__)

Columns = list[tuple[str, str]]
# What a revision's argument that is not a literal raises on the way to one.
_NOT_LITERAL = (ValueError, IndexError, KeyError, TypeError)


@Operations.register_operation("change_enum_values")
class ChangeEnumValuesOp(ops.MigrateOperation):
    """Give the enum type `name` the values `new` (it had `old`)."""

    def __init__(self, name: str, old: list[str], new: list[str], columns: Columns):
        self.name = name
        self.old = list(old)
        self.new = list(new)
        self.columns = [(table, column) for table, column in columns]

    @classmethod
    def change_enum_values(
        cls,
        operations: Operations,
        name: str,
        old: list[str],
        new: list[str],
        columns: Columns,
    ) -> None:
        operations.invoke(cls(name, old, new, columns))

    def reverse(self) -> ChangeEnumValuesOp:
        return ChangeEnumValuesOp(self.name, self.new, self.old, self.columns)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("change_enum_values", self.name, tuple(self.old), tuple(self.new))

    @property
    def removed(self) -> list[str]:
        return [value for value in self.old if value not in self.new]


@renderers.dispatch_for(ChangeEnumValuesOp)
def _render(autogen_context: AutogenContext, op: ChangeEnumValuesOp) -> str:
    columns = ", ".join(f"({table!r}, {column!r})" for table, column in op.columns)
    return (
        f"op.change_enum_values({op.name!r}, {op.old!r}, {op.new!r}, "
        f"columns=[{columns}])"
    )


@Operations.implementation_for(ChangeEnumValuesOp)
def _change(operations: Operations, op: ChangeEnumValuesOp) -> None:
    postgresql = operations.get_context().dialect.name == "postgresql"
    if op.removed and not operations.get_context().as_sql:
        columns = _columns_of(operations, op.name) if postgresql else op.columns
        _refuse_removing_values_in_use(operations, op, columns)
    if postgresql:
        _on_postgresql(operations, op)
    elif _length(op.old) != _length(op.new):
        for table, column in op.columns:
            with operations.batch_alter_table(table) as batch_op:
                batch_op.alter_column(
                    column,
                    existing_type=sa.Enum(*op.old, name=op.name),
                    type_=sa.Enum(*op.new, name=op.name),
                )


def _refuse_removing_values_in_use(
    operations: Operations, op: ChangeEnumValuesOp, columns: Columns
) -> None:
    """Count the rows that hold a removed value; raise MigrationRefused, in one line
    naming them, if there are any."""
    quote = operations.get_context().dialect.identifier_preparer.quote
    used: set[str] = set()
    held, holding = [], []
    for table, column in columns:
        as_text = f"CAST({quote(column)} AS VARCHAR)"
        rows = operations.get_bind().execute(
            sa.text(
                f"SELECT {as_text}, count(*) FROM {quote(table)} "
                f"WHERE {as_text} IN :removed GROUP BY {as_text}"
            ).bindparams(sa.bindparam("removed", expanding=True)),
            {"removed": op.removed},
        )
        counts: dict[str, int] = {value: count for value, count in rows}
        values = [value for value in op.removed if value in counts]
        if not values:
            continue
        used.update(values)
        holding.append((table, column))
        held.append(
            f"{table}.{column} has "
            + ", ".join(f"{_rows(counts[value])} with {value!r}" for value in values)
        )
    if not held:
        return
    in_use = [value for value in op.removed if value in used]
    updates = "; ".join(
        update_rows(table, column, in_use, op.new) for table, column in holding
    )
    raise MigrationRefused(
        f"enum {op.name} cannot lose {_listed(in_use)} while rows hold them: "
        f"{'; '.join(held)}. Give those rows a value that stays first, in the "
        f"revision before op.change_enum_values(); for example: {updates}"
    )


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def _listed(values: Iterable[str]) -> str:
    return ", ".join(map(repr, values))


def update_rows(table: str, column: str, removed: list[str], new: list[str]) -> str:
    """The op.execute() that gives the rows of `table`.`column` holding a `removed`
    value the first of the `new` ones, to write before op.change_enum_values()."""
    values = ", ".join(map(_quote, removed))
    replacement = _quote(new[0]) if new else "NULL"
    return (
        f'op.execute("UPDATE {table} SET {column} = {replacement} '
        f'WHERE {column} IN ({values})")'
    )


def removal_comments(op: ChangeEnumValuesOp) -> list[str]:
    """The DESTRUCTIVE comment of a change that removes values, with the UPDATE to
    write first; none for one that only adds or reorders."""
    if not op.removed:
        return []
    return [
        (
            f"DESTRUCTIVE: removes {_listed(op.removed)} from enum {op.name}: the "
            "upgrade fails while rows hold them"
        ),
        "Give those rows a value that stays first, here; for example:",
        *(
            update_rows(table, column, op.removed, op.new)
            for table, column in op.columns
        ),
    ]


def _length(values: Iterable[str]) -> int:
    return max((len(value) for value in values), default=0)


def _on_postgresql(operations: Operations, op: ChangeEnumValuesOp) -> None:
    added = [value for value in op.new if value not in op.old]
    kept = [value for value in op.new if value in op.old]
    if kept == op.old:  # only additions: each goes to its place in the models' order
        for value in added:
            position = op.new.index(value)
            if position:
                where = f"AFTER {_quote(op.new[position - 1])}"
            else:
                where = f"BEFORE {_quote(op.new[1])}"
            operations.execute(
                f"ALTER TYPE {op.name} ADD VALUE IF NOT EXISTS {_quote(value)} {where}"
            )
        return
    offline = operations.get_context().as_sql
    if offline:
        operations.get_context().impl.static_output(
            f"-- On a live database, the indexes and defaults that use {op.name} are "
            "also rebuilt around this."
        )
    columns = op.columns if offline else _columns_of(operations, op.name)
    indexes = [] if offline else _indexes_using(operations, op.name)
    defaults = {} if offline else _defaults_of(operations, columns)
    for name, _ in indexes:
        operations.execute(f"DROP INDEX {name}")
    for table, column in defaults:
        operations.execute(f"ALTER TABLE {table} ALTER COLUMN {column} DROP DEFAULT")
    operations.execute(f"ALTER TYPE {op.name} RENAME TO {op.name}_old")
    values = ", ".join(map(_quote, op.new))
    operations.execute(f"CREATE TYPE {op.name} AS ENUM ({values})")
    for table, column in columns:
        operations.execute(
            f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {op.name} "
            f"USING {column}::text::{op.name}"
        )
    for (table, column), default in defaults.items():
        operations.execute(
            f"ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT {default}"
        )
    operations.execute(f"DROP TYPE {op.name}_old")
    for _, definition in indexes:
        operations.execute(definition)


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _columns_of(operations: Operations, name: str) -> Columns:
    """Every table column of the type, wherever the models put it."""
    rows = operations.get_bind().execute(
        sa.text(
            "SELECT c.relname, a.attname FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid "
            "WHERE a.atttypid = CAST(:name AS regtype) AND c.relkind IN ('r', 'p') "
            "AND NOT a.attisdropped AND pg_table_is_visible(c.oid) ORDER BY 1, 2"
        ),
        {"name": name},
    )
    return [(table, column) for table, column in rows]


def _indexes_using(operations: Operations, name: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of each index whose predicate or expressions use
    the type: it cannot outlive the old type, so it is rebuilt on the new one."""
    rows = operations.get_bind().execute(
        sa.text(
            "SELECT DISTINCT i.indexrelid::regclass::text, "
            "pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_depend d ON d.objid = i.indexrelid "
            "AND d.classid = 'pg_class'::regclass "
            "AND d.refclassid = 'pg_type'::regclass "
            "WHERE d.refobjid = CAST(:name AS regtype)"
        ),
        {"name": name},
    )
    return [(index, definition) for index, definition in rows]


def _defaults_of(
    operations: Operations, columns: Columns
) -> dict[tuple[str, str], str]:
    """The server defaults of `columns`, as SQL: each names the old type."""
    defaults = {}
    for table, column in columns:
        default = (
            operations.get_bind()
            .execute(
                sa.text(
                    "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d "
                    "JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum "
                    "WHERE d.adrelid = CAST(:table AS regclass) AND a.attname = :column"
                ),
                {"table": table, "column": column},
            )
            .scalar()
        )
        if default is not None:
            defaults[table, column] = default
    return defaults


@comparators.dispatch_for("schema", priority=DispatchPriority.LAST)
def compare_enum_values(
    autogen_context: AutogenContext, upgrade_ops: ops.UpgradeOps, schemas: Any
) -> None:
    """Autogenerate's comparison: one op.change_enum_values() per enum whose values the
    models changed, for the columns that exist already (new ones get the new type)."""
    connection = autogen_context.connection
    metadata = autogen_context.metadata
    if connection is None or not isinstance(metadata, sa.MetaData):
        return
    inspector = sa.inspect(connection)
    existing = set(inspector.get_table_names())
    declared: dict[str, tuple[list[str], Columns]] = {}
    for table in metadata.tables.values():
        if table.name not in existing:
            continue
        in_database = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            enum = column.type
            if (
                isinstance(enum, sa.Enum)
                and enum.native_enum
                and enum.name
                and column.name in in_database
            ):
                values, columns = declared.setdefault(enum.name, (list(enum.enums), []))
                columns.append((table.name, column.name))
    if not declared:
        return
    if connection.dialect.name == "postgresql":
        current = _postgresql_values(connection, declared)
    else:
        current = _history_values(autogen_context)
    for name, (values, columns) in sorted(declared.items()):
        if name in current and current[name] != values:
            upgrade_ops.ops.append(
                ChangeEnumValuesOp(name, current[name], values, columns)
            )
            _drop_type_changes(upgrade_ops, columns)
            log.info("Detected changed values of enum %r: %s", name, values)


def _postgresql_values(
    connection: sa.Connection, declared: dict[str, Any]
) -> dict[str, list[str]]:
    rows = connection.execute(
        sa.text(
            "SELECT t.typname, e.enumlabel FROM pg_enum e "
            "JOIN pg_type t ON t.oid = e.enumtypid "
            "WHERE t.typname IN :names AND pg_type_is_visible(t.oid) "
            "ORDER BY t.typname, e.enumsortorder"
        ).bindparams(sa.bindparam("names", expanding=True)),
        {"names": sorted(declared)},
    )
    values: dict[str, list[str]] = {}
    for name, label in rows:
        values.setdefault(name, []).append(label)
    return values


def _history_values(autogen_context: AutogenContext) -> dict[str, list[str]]:
    """Each enum's values as the revisions up to the database's last declare them."""
    context = autogen_context.migration_context
    script: ScriptDirectory | None = context.script
    heads = context.get_current_heads()
    if script is None or not heads:
        return {}
    revisions = list(script.iterate_revisions(heads, "base"))
    values: dict[str, list[str]] = {}
    for revision in reversed(revisions):
        if revision.path:
            values.update(declared_in(revision.path))
    return values


def declared_in(path: str) -> dict[str, list[str]]:
    """The enum values a revision file's upgrade() declares, the last one winning."""
    with open(path, encoding="utf-8") as file:
        tree = ast.parse(file.read())
    upgrade = next(
        (
            node
            for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name == "upgrade"
        ),
        None,
    )
    if upgrade is None:
        return {}
    calls = sorted(
        (node for node in ast.walk(upgrade) if isinstance(node, ast.Call)),
        key=lambda node: (node.lineno, node.col_offset),
    )
    values = {}
    for call in calls:
        name = getattr(call.func, "attr", getattr(call.func, "id", ""))
        keywords = {k.arg: k.value for k in call.keywords}
        try:
            if name in ("Enum", "ENUM") and "name" in keywords:
                values[ast.literal_eval(keywords["name"])] = [
                    ast.literal_eval(arg) for arg in call.args
                ]
            elif name == "change_enum_values":
                values[ast.literal_eval(call.args[0])] = ast.literal_eval(call.args[2])
            elif (
                name == "sync_enum_values"
            ):  # alembic-postgresql-enum's, in old revisions
                arguments: dict[str | None, ast.expr] = dict(
                    zip(("enum_schema", "enum_name", "new_values"), call.args)
                )
                arguments.update(keywords)
                enum_name = ast.literal_eval(arguments["enum_name"])
                values[enum_name] = ast.literal_eval(arguments["new_values"])
        except _NOT_LITERAL:
            continue  # not literal values: nothing the history can tell
    return values


def _drop_type_changes(upgrade_ops: ops.UpgradeOps, columns: Columns) -> None:
    """Leave out Alembic's own type change of these columns (SQLite's VARCHAR(n) to
    the Enum): change_enum_values() makes it."""
    for container in list(upgrade_ops.ops):
        if not isinstance(container, ops.ModifyTableOps):
            continue
        for op in list(container.ops):
            if (
                isinstance(op, ops.AlterColumnOp)
                and (container.table_name, op.column_name) in columns
                and isinstance(op.modify_type, sa.Enum)
            ):
                op.modify_type = None
                if not op.has_changes():
                    container.ops.remove(op)
        if not container.ops:
            upgrade_ops.ops.remove(container)

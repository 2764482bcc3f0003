"""Operations that change a table in use on PostgreSQL without stopping its writes.

Write these in a revision of their own, for a table an earlier revision made: each does,
on PostgreSQL, what holds a table lock only for a moment, and on SQLite what the plain
operation does, inside the migration's transaction:

- op.create_index_online(): CREATE INDEX CONCURRENTLY, outside a transaction;
  op.drop_index_online(): DROP INDEX CONCURRENTLY;
- op.create_unique_constraint_online(): a unique index built concurrently, then
  ADD CONSTRAINT ... UNIQUE USING INDEX;
- op.create_foreign_key_online(), op.create_check_constraint_online(): added NOT VALID,
  committed, then VALIDATE CONSTRAINT, which scans with a lock that lets writes go on;
- op.set_not_null_online(): a NOT VALID `IS NOT NULL` CHECK, validated, then SET NOT
  NULL, which PostgreSQL proves from that CHECK without a scan, then the CHECK dropped.

A run can die between these steps, so each step looks at what the last run left before
it acts: an index left INVALID by a build that died is dropped and built again; a
constraint already added is only validated; a column already NOT NULL is left alone.
So the next run finishes the revision, and alembic_version moves past it only after its
last step. `--sql` writes the steps in order, with COMMIT and BEGIN where a transaction
ends, in forms that are safe to run again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import renderers
from alembic.autogenerate.api import AutogenContext
from alembic.operations import Operations, ops
from sqlalchemy.schema import conv

# Set in the migration context's options once a step has committed: a failure after it
# leaves the revisions before applied, and the next run finishes this one.
COMMITTED = "online_steps_committed"
ADDED_IF_MISSING = "The run adds this only where the catalog lacks it."

OUTSIDE = (
    "-- The statements up to the next BEGIN run outside a transaction: each is safe to "
    "run again."
)


def _on_postgresql(operations: Operations) -> bool:
    return operations.get_context().dialect.name == "postgresql"


@contextmanager
def _outside_transaction(operations: Operations) -> Iterator[None]:
    """Commit what ran so far and run the block in autocommit (Alembic's own way)."""
    context = operations.get_context()
    context.opts[COMMITTED] = True
    with context.autocommit_block():
        if context.as_sql:
            context.impl.static_output(OUTSIDE)
        yield


def commit(operations: Operations) -> None:
    """End the transaction here, so the lock taken so far is not held through what
    follows."""
    context = operations.get_context()
    context.opts[COMMITTED] = True
    with context.autocommit_block():
        pass


def _named(operations: Operations, op: ops.AddConstraintOp) -> str:
    """The constraint's name in the database: the naming convention's, unless the
    revision gave it as op.f()."""
    name = op.to_constraint(operations.get_context()).name
    assert isinstance(name, str)  # the naming convention names every constraint
    return name


def _lint_accepts(operations: Operations, rule: str, why: str) -> None:
    """Before the next statement of `--sql`, why it is safe, and squawk's per-statement
    ignore for `rule`."""
    context = operations.get_context()
    if context.as_sql:
        # Right above the statement: squawk reads an ignore for the line below it.
        buffer = context.impl.output_buffer
        assert buffer is not None  # --sql writes to one
        buffer.write(f"-- {why}\n-- squawk-ignore {rule}\n")


def _found(operations: Operations, sql: str, **params: Any) -> Any:
    """What the catalog says, or None when writing `--sql`, which cannot ask."""
    if operations.get_context().as_sql:
        return None
    return operations.get_bind().execute(sa.text(sql), params).scalar()


def _qualified(schema: str | None, name: str) -> str:
    """`name` as to_regclass() reads it."""
    quoted = f'"{name.replace(chr(34), chr(34) * 2)}"'
    return f'"{schema}".{quoted}' if schema else quoted


def _constraint_exists(
    operations: Operations, table: str, name: str, schema: str | None
) -> bool:
    return bool(
        _found(
            operations,
            "SELECT count(*) FROM pg_constraint"
            " WHERE conrelid = to_regclass(:table) AND conname = :name",
            table=_qualified(schema, table),
            name=name,
        )
    )


def _alter_table(operations: Operations, table: str, schema: str | None) -> str:
    preparer = operations.get_context().dialect.identifier_preparer
    quoted = preparer.quote(table)
    if schema:
        return f"ALTER TABLE {preparer.quote_schema(schema)}.{quoted}"
    return f"ALTER TABLE {quoted}"


def _quote(operations: Operations, name: str) -> str:
    return operations.get_context().dialect.identifier_preparer.quote(name)


def _rendered_as(
    autogen_context: AutogenContext, plain: ops.MigrateOperation, name: str
) -> str:
    """`plain` as Alembic writes it, called as op.`name` instead."""
    rendered = renderers.dispatch(plain)(autogen_context, plain)
    (line,) = [rendered] if isinstance(rendered, str) else rendered
    assert line.startswith("op.")  # top level, never in a batch
    return f"op.{name}(" + line.split("(", 1)[1]


def as_kind(kind: type[ops.MigrateOperation], op: ops.MigrateOperation) -> Any:
    """`op`, with the same arguments, as an operation of `kind`: Alembic's own and its
    online form differ only in how they run and how they are written."""
    same = kind.__new__(kind)
    same.__dict__.update(vars(op))
    return same


def _run_in_batch(
    operations: Operations, table: str, schema: str | None, op: ops.MigrateOperation
) -> None:
    with operations.batch_alter_table(table, schema=schema) as batch:
        batch.invoke(op)


# --- Indexes ----------------------------------------------------------------------


@Operations.register_operation("create_index_online")
class CreateIndexOnlineOp(ops.CreateIndexOp):
    """CREATE INDEX CONCURRENTLY on PostgreSQL; a plain CREATE INDEX elsewhere."""

    @classmethod
    def create_index_online(
        cls, operations: Operations, *args: Any, **kwargs: Any
    ) -> None:
        operations.invoke(cls(*args, **kwargs))

    def plain(self) -> ops.CreateIndexOp:
        same: ops.CreateIndexOp = as_kind(ops.CreateIndexOp, self)
        return same

    def reverse(self) -> DropIndexOnlineOp:
        same: DropIndexOnlineOp = as_kind(DropIndexOnlineOp, self.plain().reverse())
        return same


@Operations.register_operation("drop_index_online")
class DropIndexOnlineOp(ops.DropIndexOp):
    """DROP INDEX CONCURRENTLY on PostgreSQL; a plain DROP INDEX elsewhere."""

    @classmethod
    def drop_index_online(
        cls, operations: Operations, *args: Any, **kwargs: Any
    ) -> None:
        operations.invoke(cls(*args, **kwargs))

    def plain(self) -> ops.DropIndexOp:
        same: ops.DropIndexOp = as_kind(ops.DropIndexOp, self)
        return same

    def reverse(self) -> CreateIndexOnlineOp:
        same: CreateIndexOnlineOp = as_kind(CreateIndexOnlineOp, self.plain().reverse())
        return same


@renderers.dispatch_for(CreateIndexOnlineOp)
def _render_create_index(
    autogen_context: AutogenContext, op: CreateIndexOnlineOp
) -> str:
    return _rendered_as(autogen_context, op.plain(), "create_index_online")


@renderers.dispatch_for(DropIndexOnlineOp)
def _render_drop_index(autogen_context: AutogenContext, op: DropIndexOnlineOp) -> str:
    return _rendered_as(autogen_context, op.plain(), "drop_index_online")


def _build_index(operations: Operations, op: ops.CreateIndexOp) -> None:
    """Build the index concurrently, outside a transaction; one a died build left
    INVALID is dropped and built again."""
    valid = _found(
        operations,
        "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(:name)",
        name=_qualified(op.schema, op.index_name or ""),
    )
    if valid:
        return
    if valid is False:
        operations.drop_index(
            op.index_name or "",
            op.table_name,
            schema=op.schema,
            postgresql_concurrently=True,
        )
    operations.create_index(
        op.index_name,
        op.table_name,
        op.columns,
        schema=op.schema,
        unique=op.unique,
        postgresql_concurrently=True,
        if_not_exists=operations.get_context().as_sql,
        **op.kw,
    )


@Operations.implementation_for(CreateIndexOnlineOp)
def _create_index(operations: Operations, op: CreateIndexOnlineOp) -> None:
    if not _on_postgresql(operations):
        operations.invoke(op.plain())
        return
    with _outside_transaction(operations):
        _build_index(operations, op)


@Operations.implementation_for(DropIndexOnlineOp)
def _drop_index(operations: Operations, op: DropIndexOnlineOp) -> None:
    if not _on_postgresql(operations):
        operations.invoke(op.plain())
        return
    with _outside_transaction(operations):
        operations.drop_index(
            op.index_name,
            op.table_name,
            schema=op.schema,
            postgresql_concurrently=True,
            if_exists=True,
        )


# --- Constraints -------------------------------------------------------------------


@Operations.register_operation("create_unique_constraint_online")
class CreateUniqueConstraintOnlineOp(ops.CreateUniqueConstraintOp):
    """A unique index built concurrently, then made the constraint, on PostgreSQL."""

    @classmethod
    def create_unique_constraint_online(
        cls, operations: Operations, *args: Any, **kwargs: Any
    ) -> None:
        operations.invoke(cls(*args, **kwargs))

    def plain(self) -> ops.CreateUniqueConstraintOp:
        same: ops.CreateUniqueConstraintOp = as_kind(ops.CreateUniqueConstraintOp, self)
        return same

    def reverse(self) -> ops.DropConstraintOp:
        return self.plain().reverse()


@Operations.register_operation("create_foreign_key_online")
class CreateForeignKeyOnlineOp(ops.CreateForeignKeyOp):
    """A foreign key added NOT VALID, then validated, on PostgreSQL."""

    @classmethod
    def create_foreign_key_online(
        cls, operations: Operations, *args: Any, **kwargs: Any
    ) -> None:
        operations.invoke(cls(*args, **kwargs))

    def plain(self) -> ops.CreateForeignKeyOp:
        same: ops.CreateForeignKeyOp = as_kind(ops.CreateForeignKeyOp, self)
        return same

    def reverse(self) -> ops.DropConstraintOp:
        return self.plain().reverse()


@Operations.register_operation("create_check_constraint_online")
class CreateCheckConstraintOnlineOp(ops.CreateCheckConstraintOp):
    """A CHECK added NOT VALID, then validated, on PostgreSQL."""

    @classmethod
    def create_check_constraint_online(
        cls, operations: Operations, *args: Any, **kwargs: Any
    ) -> None:
        operations.invoke(cls(*args, **kwargs))

    def plain(self) -> ops.CreateCheckConstraintOp:
        same: ops.CreateCheckConstraintOp = as_kind(ops.CreateCheckConstraintOp, self)
        return same

    def reverse(self) -> ops.DropConstraintOp:
        return self.plain().reverse()


ONLINE_CONSTRAINTS: dict[type[ops.AddConstraintOp], type[ops.AddConstraintOp]] = {
    ops.CreateUniqueConstraintOp: CreateUniqueConstraintOnlineOp,
    ops.CreateForeignKeyOp: CreateForeignKeyOnlineOp,
    ops.CreateCheckConstraintOp: CreateCheckConstraintOnlineOp,
}
_NAMES = {
    CreateUniqueConstraintOnlineOp: "create_unique_constraint_online",
    CreateForeignKeyOnlineOp: "create_foreign_key_online",
    CreateCheckConstraintOnlineOp: "create_check_constraint_online",
}


def online_constraint(op: ops.AddConstraintOp) -> ops.AddConstraintOp:
    """The online form of Alembic's `op`, with the same arguments."""
    online: ops.AddConstraintOp = as_kind(ONLINE_CONSTRAINTS[type(op)], op)
    return online


@renderers.dispatch_for(CreateUniqueConstraintOnlineOp)
@renderers.dispatch_for(CreateForeignKeyOnlineOp)
@renderers.dispatch_for(CreateCheckConstraintOnlineOp)
def _render_constraint(autogen_context: AutogenContext, op: Any) -> str:
    return _rendered_as(autogen_context, op.plain(), _NAMES[type(op)])


@Operations.implementation_for(CreateUniqueConstraintOnlineOp)
def _create_unique(operations: Operations, op: CreateUniqueConstraintOnlineOp) -> None:
    if not _on_postgresql(operations):
        _run_in_batch(operations, op.table_name, op.schema, op.plain())
        return
    name = _named(operations, op.plain())
    index = ops.CreateIndexOp(
        name, op.table_name, op.columns, schema=op.schema, unique=True
    )
    with _outside_transaction(operations):
        if not _constraint_exists(operations, op.table_name, name, op.schema):
            _build_index(operations, index)
    if not _constraint_exists(operations, op.table_name, name, op.schema):
        quoted = _quote(operations, name)
        _lint_accepts(operations, "prefer-robust-stmts", ADDED_IF_MISSING)
        operations.execute(
            f"{_alter_table(operations, op.table_name, op.schema)} "
            f"ADD CONSTRAINT {quoted} UNIQUE USING INDEX {quoted}"
        )


def _add_then_validate(
    operations: Operations,
    plain: ops.CreateForeignKeyOp | ops.CreateCheckConstraintOp,
    table: str,
    schema: str | None,
) -> None:
    """Add the constraint NOT VALID, which locks the table only for a moment; commit;
    then validate it, which scans while writes go on."""
    name = _named(operations, plain)
    if not _constraint_exists(operations, table, name, schema):
        plain.kw["postgresql_not_valid"] = True
        _lint_accepts(operations, "prefer-robust-stmts", ADDED_IF_MISSING)
        operations.invoke(plain)
    commit(operations)
    _lint_accepts(
        operations, "prefer-robust-stmts", "Validating again changes nothing."
    )
    operations.execute(
        f"{_alter_table(operations, table, schema)} "
        f"VALIDATE CONSTRAINT {_quote(operations, name)}"
    )


@Operations.implementation_for(CreateForeignKeyOnlineOp)
@Operations.implementation_for(CreateCheckConstraintOnlineOp)
def _create_validated(operations: Operations, op: Any) -> None:
    table = op.table_name if hasattr(op, "table_name") else op.source_table
    schema = op.schema if hasattr(op, "schema") else op.kw.get("source_schema")
    if not _on_postgresql(operations):
        _run_in_batch(operations, table, schema, op.plain())
        return
    _add_then_validate(operations, op.plain(), table, schema)


# --- The lint -------------------------------------------------------------------------


@Operations.register_operation("squawk_ignore")
class SquawkIgnoreOp(ops.MigrateOperation):
    """In `--sql` and `db sql`, squawk's ignore for `rule` on the statement that the
    next operation writes, below why it was accepted; nothing when migrating."""

    def __init__(self, rule: str, why: str) -> None:
        self.rule = rule
        self.why = why

    @classmethod
    def squawk_ignore(cls, operations: Operations, rule: str, why: str) -> None:
        operations.invoke(cls(rule, why))

    def reverse(self) -> SquawkIgnoreOp:
        return self


@Operations.implementation_for(SquawkIgnoreOp)
def _squawk_ignore(operations: Operations, op: SquawkIgnoreOp) -> None:
    _lint_accepts(operations, op.rule, op.why)


# --- NOT NULL ------------------------------------------------------------------------


@Operations.register_operation("set_not_null_online")
class SetNotNullOnlineOp(ops.MigrateOperation):
    """Make `column` of `table` NOT NULL without a scan under an exclusive lock."""

    def __init__(
        self,
        table_name: str,
        column_name: str,
        *,
        schema: str | None = None,
        existing_type: Any = None,
    ) -> None:
        self.table_name = table_name
        self.column_name = column_name
        self.schema = schema
        self.existing_type = existing_type

    @classmethod
    def set_not_null_online(
        cls,
        operations: Operations,
        table_name: str,
        column_name: str,
        *,
        schema: str | None = None,
    ) -> None:
        operations.invoke(cls(table_name, column_name, schema=schema))

    def alter(self, nullable: bool) -> ops.AlterColumnOp:
        return ops.AlterColumnOp(
            self.table_name,
            self.column_name,
            schema=self.schema,
            existing_type=self.existing_type,
            existing_nullable=not nullable,
            modify_nullable=nullable,
        )

    def reverse(self) -> ops.AlterColumnOp:
        return self.alter(True)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return tuple(self.alter(False).to_diff_tuple())

    @property
    def check_name(self) -> str:
        # A name of PostgreSQL's length, for a CHECK that lives only during the run.
        return f"{self.table_name}_{self.column_name}_not_null"[:63]


@renderers.dispatch_for(SetNotNullOnlineOp)
def _render_not_null(autogen_context: AutogenContext, op: SetNotNullOnlineOp) -> str:
    schema = f", schema={op.schema!r}" if op.schema else ""
    return f"op.set_not_null_online({op.table_name!r}, {op.column_name!r}{schema})"


@Operations.implementation_for(SetNotNullOnlineOp)
def _set_not_null(operations: Operations, op: SetNotNullOnlineOp) -> None:
    if not _on_postgresql(operations):
        _run_in_batch(operations, op.table_name, op.schema, op.alter(False))
        return
    not_null = _found(
        operations,
        "SELECT attnotnull FROM pg_attribute"
        " WHERE attrelid = to_regclass(:table) AND attname = :column",
        table=_qualified(op.schema, op.table_name),
        column=op.column_name,
    )
    if not not_null:
        column = _quote(operations, op.column_name)
        check = ops.CreateCheckConstraintOp(
            conv(op.check_name),
            op.table_name,
            sa.text(f"{column} IS NOT NULL"),
            schema=op.schema,
        )
        _add_then_validate(operations, check, op.table_name, op.schema)
        commit(operations)  # a lock timeout below does not undo the scan above
        _lint_accepts(
            operations, "prefer-robust-stmts", "Setting again changes nothing."
        )
        operations.alter_column(
            op.table_name, op.column_name, nullable=False, schema=op.schema
        )
    table = _alter_table(operations, op.table_name, op.schema)
    _lint_accepts(
        operations,
        "ban-drop-constraint",
        "The CHECK stood in for NOT NULL while NOT NULL was proved.",
    )
    operations.execute(
        f"{table} DROP CONSTRAINT IF EXISTS {_quote(operations, op.check_name)}"
    )

"""Constraints and indexes that each database would treat its own way.

- A foreign key with use_alter=True, which closes a cycle between tables, is added after
  the tables exist (and dropped before they go): PostgreSQL's CREATE TABLE leaves it
  out, SQLite's keeps it.
- A UNIQUE on exactly a table's primary key is left out: PostgreSQL drops it, SQLite
  keeps it, and `alembic check` would disagree between the two for ever.
- An index on expressions is created and dropped outside the batch block: SQLite's batch
  rebuild cannot build one from its operations.
"""

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic.operations import ops
from sqlalchemy.sql.naming import _constraint_name_for_table

from ..tables import BOOKKEEPING_TABLES
from .walk import upgrade_and_downgrade


def include_object(metadata: sa.MetaData) -> Callable[..., bool]:
    """Alembic's include_object hook for `metadata`: leave out what no database needs
    compared."""
    type_made = {
        _conventional_name(check, table)
        for table in metadata.tables.values()
        for check in _checks(table)
        if getattr(check, "_type_bound", False)
    }

    def include(
        obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
    ) -> bool:
        if type_ == "table" and name in BOOKKEEPING_TABLES:
            return False  # the machinery's, beside alembic_version
        if type_ == "unique_constraint":
            return not duplicates_primary_key(obj)
        if type_ == "check_constraint":
            # A Boolean's or an Enum's own CHECK follows its column's type; PostgreSQL
            # has none for a Boolean.
            return name not in type_made and not getattr(obj, "_type_bound", False)
        return True

    return include


def _conventional_name(check: sa.CheckConstraint, table: sa.Table) -> str | None:
    # SQLAlchemy's own expansion of the naming convention, which it leaves untyped.
    name = _constraint_name_for_table(check, table)  # type: ignore[no-untyped-call]
    return str(name) if name else None


def duplicates_primary_key(constraint: Any) -> bool:
    table = getattr(constraint, "table", None)
    if not isinstance(constraint, sa.UniqueConstraint) or table is None:
        return False
    primary_key = {column.name for column in table.primary_key.columns}
    return bool(primary_key) and primary_key == {c.name for c in constraint.columns}


def reorder(script: ops.MigrationScript) -> None:
    """Move what each database treats its own way to where both accept it."""
    upgrade, downgrade = upgrade_and_downgrade(script)
    for op in list(upgrade.ops):
        if not isinstance(op, ops.CreateTableOp):
            continue
        kept = []
        for item in op.columns:
            if isinstance(item, sa.ForeignKeyConstraint) and item.use_alter:
                upgrade.ops.append(
                    ops.ModifyTableOps(
                        op.table_name, [ops.CreateForeignKeyOp.from_constraint(item)]
                    )
                )
                downgrade.ops.insert(
                    0,
                    ops.ModifyTableOps(
                        op.table_name, [ops.DropConstraintOp.from_constraint(item)]
                    ),
                )
            elif not duplicates_primary_key(item):
                kept.append(item)
        op.columns = kept
    for container in (upgrade, downgrade):
        _expression_indexes_out_of_batch(container)


def _expression_indexes_out_of_batch(container: ops.OpContainer) -> None:
    """Create expression indexes after their table's batch block, drop them before."""
    result: list[ops.MigrateOperation] = []
    for op in container.ops:
        if not isinstance(op, ops.ModifyTableOps):
            result.append(op)
            continue
        before: list[ops.MigrateOperation] = []
        after: list[ops.MigrateOperation] = []
        kept: list[ops.MigrateOperation] = []
        for inner in op.ops:
            if isinstance(inner, ops.CreateIndexOp) and _has_expressions(inner):
                after.append(inner)
            elif isinstance(inner, ops.DropIndexOp) and _has_expressions(inner):
                before.append(inner)
            else:
                kept.append(inner)
        op.ops[:] = kept
        result += before + ([op] if kept else []) + after
    container.ops[:] = result


def _has_expressions(op: ops.CreateIndexOp | ops.DropIndexOp) -> bool:
    index = op.to_index()
    # A DESC column is an expression too: batch mode cannot rebuild it.
    return any(not isinstance(e, sa.Column) for e in index.expressions)


def _checks(table: sa.Table) -> list[sa.CheckConstraint]:
    """The table's CHECK constraints, its columns' own (a Boolean's, an Enum's) too."""
    constraints = [*table.constraints]
    for column in table.columns:
        constraints.extend(column.constraints)
    return [c for c in constraints if isinstance(c, sa.CheckConstraint)]

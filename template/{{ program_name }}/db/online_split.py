"""Autogenerate writes what changes a table in use in its online form (online.py), in a
revision of its own that follows the one autogenerate was asked for.

A table an earlier revision made may be busy: its new indexes are built concurrently,
its new constraints validated after they are added, its columns made NOT NULL from a
validated CHECK. Those steps run outside the migration's transaction, so a run can die
between them: the revision that holds them is made of them alone, each safe to run
again, and the rest of the change (new tables, new columns) is a revision before it,
which commits whole. A run that dies in the steps leaves the database at that first
revision, and the next run finishes the steps.

Tables made or dropped in the same revision keep the plain forms: nothing can be
waiting on them. An index dropped from a table whose columns the revision also drops or
alters stays where it is, beside them, since SQLite rebuilds the table with all three.
"""

from __future__ import annotations

import uuid

from alembic.operations import ops

from .online import (
    ONLINE_CONSTRAINTS,
    CreateIndexOnlineOp,
    DropIndexOnlineOp,
    SetNotNullOnlineOp,
    as_kind,
    online_constraint,
)
from .portable.walk import upgrade_and_downgrade

ONLINE_SUFFIX = " (online)"


def split(script: ops.MigrationScript) -> list[ops.MigrationScript]:
    """`script`, and after it a revision of its online steps if it has any; or
    `script` alone, made of them, when they are all it has."""
    upgrade, _ = upgrade_and_downgrade(script)
    online = _take_online_steps(upgrade)
    if not online:
        return [script]
    steps = ops.UpgradeOps(ops=online)
    undo = _batched(steps.reverse())
    if upgrade.is_empty():
        script.upgrade_ops = steps
        script.downgrade_ops = undo
        return [script]
    script.downgrade_ops = upgrade.reverse()
    following = ops.MigrationScript(
        rev_id=uuid.uuid4().hex[-12:],
        upgrade_ops=steps,
        downgrade_ops=undo,
        message=f"{script.message or ''}{ONLINE_SUFFIX}",
        imports=set(),
        head=script.rev_id,
        splice=False,
        branch_label=None,
        version_path=script.version_path,
        depends_on=None,
    )
    return [script, following]


def _take_online_steps(upgrade: ops.UpgradeOps) -> list[ops.MigrateOperation]:
    """Remove from `upgrade` what changes a table an earlier revision made, and return
    it in its online form."""
    new_or_gone = {
        op.table_name
        for op in upgrade.ops
        if isinstance(op, (ops.CreateTableOp, ops.DropTableOp))
    }
    tables = [op for op in upgrade.ops if isinstance(op, ops.ModifyTableOps)]
    reshaped = {
        table.table_name
        for table in tables
        if any(
            isinstance(op, (ops.DropColumnOp, ops.AlterColumnOp)) for op in table.ops
        )
    }
    online: list[ops.MigrateOperation] = []
    for container in [upgrade, *tables]:
        kept = []
        for op in container.ops:
            table = _table_of(op)
            if table is None or table in new_or_gone:
                kept.append(op)
                continue
            step, rest = _online_form(op, table in reshaped)
            if step is not None:
                online.append(step)
            if rest is not None:
                kept.append(rest)
        container.ops[:] = kept
    upgrade.ops[:] = [
        op
        for op in upgrade.ops
        if not (isinstance(op, ops.ModifyTableOps) and not op.ops)
    ]
    return online


def _batched(downgrade: ops.DowngradeOps) -> ops.DowngradeOps:
    """The downgrade's constraint drops and column changes in batches, one per table
    in a row: SQLite makes them by rebuilding the table."""
    batched: list[ops.MigrateOperation] = []
    for op in downgrade.ops:
        if not isinstance(op, (ops.DropConstraintOp, ops.AlterColumnOp)):
            batched.append(op)
            continue
        last = batched[-1] if batched else None
        if not (
            isinstance(last, ops.ModifyTableOps)
            and (last.table_name, last.schema) == (op.table_name, op.schema)
        ):
            last = ops.ModifyTableOps(op.table_name, [], schema=op.schema)
            batched.append(last)
        last.ops.append(op)
    return ops.DowngradeOps(ops=batched)


def _table_of(op: ops.MigrateOperation) -> str | None:
    if isinstance(op, ops.CreateForeignKeyOp):
        return op.source_table
    if isinstance(op, (ops.CreateUniqueConstraintOp, ops.CreateCheckConstraintOp)):
        return op.table_name
    if isinstance(op, (ops.CreateIndexOp, ops.DropIndexOp, ops.AlterColumnOp)):
        return op.table_name
    return None


def _online_form(
    op: ops.MigrateOperation, reshaped: bool
) -> tuple[ops.MigrateOperation | None, ops.MigrateOperation | None]:
    """The online step `op` becomes, and what stays behind of it."""
    if type(op) is ops.CreateIndexOp:
        return as_kind(CreateIndexOnlineOp, op), None
    if type(op) is ops.DropIndexOp and not reshaped:
        return as_kind(DropIndexOnlineOp, op), None
    if isinstance(op, ops.AddConstraintOp) and type(op) in ONLINE_CONSTRAINTS:
        return online_constraint(op), None
    if isinstance(op, ops.AlterColumnOp) and op.modify_nullable is False:
        step = SetNotNullOnlineOp(
            op.table_name,
            op.column_name,
            schema=op.schema,
            existing_type=op.existing_type,
        )
        op.modify_nullable = None
        op.existing_nullable = True
        return step, (op if _changes_more(op) else None)
    return None, op


def _changes_more(op: ops.AlterColumnOp) -> bool:
    return (
        op.modify_type is not None
        or op.modify_server_default is not False
        or op.modify_name is not None
        or op.modify_comment is not False
    )

"""Expand and contract: whether the release still running keeps working once a revision
is applied.

During a rolling deploy the previous release runs beside the new one on the same
database. A revision is "contract" when the previous release may break on it: it drops
or renames what that release reads, makes a column NOT NULL that it may leave empty,
narrows a type or removes an enum value that it may write. Everything else is "expand".

Autogenerate comments each contract operation with `# CONTRACT: why` (mark()), and the
revision file's `phase = ...` line follows from those comments (script.py.mako), where a
person can read and change it. A run with the expand phase (settings.py) applies the
pending revisions up to the first contract one and stops there (stop_before_contract()).
"""

import logging
from collections.abc import Sequence
from typing import Any

from alembic.operations import ops

from .destructive import CommentedOp, can_lose_values
from .names import PROGRAM
from .online import SetNotNullOnlineOp
from .portable.enum_values import ChangeEnumValuesOp
from .settings import MIGRATION_PHASE_ENV

log = logging.getLogger(__name__)


def mark(script: ops.MigrationScript) -> None:
    """Put `# CONTRACT: why` above each operation of the upgrade that the release still
    running may break on."""
    upgrade = script.upgrade_ops
    assert upgrade is not None  # autogenerate makes one
    containers: list[ops.OpContainer] = [upgrade]
    containers += [op for op in upgrade.ops if isinstance(op, ops.ModifyTableOps)]
    for container in containers:
        for index, op in enumerate(container.ops):
            inner = op.operation if isinstance(op, CommentedOp) else op
            why = _breaks(inner)
            if why is None:
                continue
            comment = f"CONTRACT: {why}"
            if isinstance(op, CommentedOp):
                op.comments.insert(0, comment)
            else:
                container.ops[index] = CommentedOp(op, [comment])


def _breaks(op: ops.MigrateOperation) -> str | None:
    """How the release still running may break on `op`, or None."""
    if isinstance(op, ops.DropTableOp):
        return f"the release still running may read table {op.table_name}"
    if isinstance(op, ops.RenameTableOp):
        return f"the release still running reads table {op.table_name} by its old name"
    if isinstance(op, ops.DropColumnOp):
        return f"the release still running may read {op.table_name}.{op.column_name}"
    if isinstance(op, SetNotNullOnlineOp):
        return _not_null(op.table_name, op.column_name)
    if isinstance(op, ops.AlterColumnOp):
        column = f"{op.table_name}.{op.column_name}"
        if op.modify_name is not None:
            return f"the release still running reads {column} by its old name"
        if op.modify_nullable is False:
            return _not_null(op.table_name, op.column_name)
        if (
            op.existing_type is not None
            and op.modify_type is not None
            and can_lose_values(op.existing_type, op.modify_type)
        ):
            return f"the release still running may write values {column} now refuses"
    if isinstance(op, ChangeEnumValuesOp) and op.removed:
        removed = ", ".join(op.removed)
        return f"the release still running may write {op.name} values {removed}"
    return None


def _not_null(table: str, column: str) -> str:
    return f"the release still running may write rows without {table}.{column}"


def phase_of(script: Any) -> str:
    """The phase of a revision (a Script); "expand" for one that has none (written
    before phases)."""
    return str(getattr(getattr(script, "module", None), "phase", "expand"))


def stop_before_contract(steps: Sequence[Any]) -> list[Any]:
    """The steps up to the first contract revision's; says which wait, and how."""
    for index, step in enumerate(steps):
        revision = getattr(step, "revision", None)
        if getattr(step, "is_upgrade", False) and phase_of(revision) == "contract":
            waiting = [getattr(each, "revision", None) for each in steps[index:]]
            first = waiting[0]
            more = f" and {len(waiting) - 1} after it" if len(waiting) > 1 else ""
            log.warning(
                "Stopped before contract revision %s (%s)%s: after the rollout, run "
                "`%s db upgrade` with %s=all.",
                getattr(first, "revision", "?"),
                getattr(first, "doc", ""),
                more,
                PROGRAM,
                MIGRATION_PHASE_ENV,
            )
            return list(steps[:index])
    return list(steps)

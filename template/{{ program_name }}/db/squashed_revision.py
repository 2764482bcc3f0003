"""The revision `db squash` writes: the tables and rows an old history built
(old_history.py), written as autogenerate writes a revision that creates them, with
the rows inserted after."""

import contextlib
import datetime
import io
import re
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import produce_migrations, render, renderers
from alembic.autogenerate.api import AutogenContext
from alembic.operations import ops
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory, write_hooks
from alembic.util import CommandError, format_as_comma, template_to_file

from . import portable, versions_lock
from .old_history import Rows
from .portable.sqlite_reflection import read_sqlite_whole

# The module-level value that names the revisions a squashed revision replaced.
SQUASHED = "squashed"

# What a row's values are written with, beyond Python's literals; each value must read
# back equal (repr() of anything else is no code).
_LITERALS: dict[str, Any] = {
    "datetime": datetime,
    "Decimal": Decimal,
    "UUID": uuid.UUID,
}
_IMPORTS = {
    datetime.date: "import datetime",
    datetime.time: "import datetime",
    datetime.timedelta: "import datetime",
    Decimal: "from decimal import Decimal",
    uuid.UUID: "from uuid import UUID",
}
_DEPENDS_ON = re.compile(r"^depends_on\b.*$", re.MULTILINE)
_CREATE_DATE = re.compile(r"^Create Date: (.+)$", re.MULTILINE)


def write_revision(
    scripts: ScriptDirectory,
    target: Script,
    message: str,
    tables: sa.MetaData,
    rows: Rows,
    replaced: list[str],
) -> Path:
    """Write the squashed revision, with `target`'s id and no down revision; its
    `squashed` value names the `replaced` ids."""
    engine = sa.create_engine("sqlite://")  # an empty database, to compare against
    read_sqlite_whole(engine.dialect)  # expression indexes are compared too
    try:
        with engine.connect() as connection:
            # What env.py configures, and what Alembic's environment adds for writing.
            options = {
                **portable.autogenerate_options(tables),
                "sqlalchemy_module_prefix": "sa.",
                "alembic_module_prefix": "op.",
                "user_module_prefix": None,
            }
            context = MigrationContext.configure(connection, opts=options)
            script = produce_migrations(context, tables)
            portable.make_portable(script, tables, context.dialect)
            assert script.upgrade_ops is not None  # produce_migrations makes both
            # The rows go in once the tables exist, before the foreign keys that close
            # a cycle between them: PostgreSQL checks those at once.
            upgrade = script.upgrade_ops.ops
            creates = [
                i for i, op in enumerate(upgrade) if isinstance(op, ops.CreateTableOp)
            ]
            at = creates[-1] + 1 if creates else len(upgrade)
            upgrade[at:at] = [
                InsertRowsOp(table, rows[table.name])
                for table in tables.sorted_tables
                if table.name in rows
            ]
            template_args: dict[str, Any] = {}
            # Alembic's own rendering of a revision's body and imports.
            render._render_python_into_templatevars(
                AutogenContext(context, tables), script, template_args
            )
    finally:
        engine.dispose()
    created = _create_date(target)
    # Alembic's file name for a new revision, from alembic.ini's file_template.
    path = scripts._rev_path(scripts.versions, target.revision, message, created)
    template_to_file(
        Path(scripts.dir, "script.py.mako"),
        path,
        scripts.output_encoding,
        up_revision=target.revision,
        down_revision=None,
        branch_labels=None,
        depends_on=None,
        create_date=created,
        comma=format_as_comma,
        message=message,
        **template_args,
    )
    _name_what_it_replaced(path, replaced)
    return path


def _create_date(target: Script) -> datetime.datetime:
    """`target`'s own create date, which the squashed revision keeps: its file name,
    made from the date, then sorts before the revisions that came after `target`, as
    the history reads. Today, when the file does not say."""
    found = _CREATE_DATE.search(target.module.__doc__ or "")
    if found:
        with contextlib.suppress(ValueError):
            return datetime.datetime.fromisoformat(found[1].strip())
    return datetime.datetime.now()


def run_write_hooks(path: Path, scripts: ScriptDirectory) -> None:
    """Run alembic.ini's post-write hooks (ruff) on `path`, in the project, whose
    settings they read; without Alembic's "Running post write hook" lines. Not the
    lock's: the squash writes versions.lock itself, once the old files are gone."""
    hooks = [
        hook for hook in scripts.hooks if hook.get("module") != versions_lock.__name__
    ]
    with contextlib.redirect_stdout(io.StringIO()):
        write_hooks._run_hooks(path, hooks)


def _name_what_it_replaced(path: Path, replaced: list[str]) -> None:
    text = path.read_text()
    record = (
        "\n\n# The revisions this one replaced (`db squash`). A database still at one of "
        "them is\n# upgraded first by a version of the program from before the squash.\n"
        f"{SQUASHED}: tuple[str, ...] = {tuple(replaced)!r}"
    )
    found = _DEPENDS_ON.search(text)
    end = found.end() if found else len(text)
    path.write_text(text[:end] + record + text[end:])


class InsertRowsOp(ops.MigrateOperation):
    """Insert `rows` into `table`, as the old history's data migrations did."""

    def __init__(self, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        self.table = table
        self.rows = rows


@renderers.dispatch_for(InsertRowsOp)
def _render_rows(autogen_context: AutogenContext, op: InsertRowsOp) -> list[str]:
    columns = ", ".join(
        f"sa.column({column.name!r}, {render._repr_type(column.type, autogen_context)})"
        for column in op.table.columns
    )
    rows = ", ".join(
        "{"
        + ", ".join(
            f"{name!r}: {_literal(value, op.table.name, name, autogen_context)}"
            for name, value in row.items()
        )
        + "}"
        for row in op.rows
    )
    lines = [f"op.bulk_insert(sa.table({op.table.name!r}, {columns}), [{rows}])"]
    key = list(op.table.primary_key.columns)
    if len(key) == 1 and getattr(key[0].type, "_type_affinity", None) is sa.Integer:
        lines.append(f"op.sync_id_sequence({op.table.name!r}, {key[0].name!r})")
    return lines


def _literal(
    value: Any, table: str, column: str, autogen_context: AutogenContext
) -> str:
    # A time zone's repr() is written differently for each Python version ruff targets.
    if isinstance(value, (datetime.datetime, datetime.time)):
        written = (
            f"datetime.{type(value).__name__}.fromisoformat({value.isoformat()!r})"
        )
    else:
        written = repr(value)
    try:
        same = eval(written, dict(_LITERALS)) == value  # our own repr(), read back
    except Exception:  # noqa: BLE001 - any failure means: not a literal
        same = False
    if not same:
        raise CommandError(
            f"Cannot write the value of {table}.{column} ({type(value).__name__}) into "
            "the squashed revision as Python code. Nothing was changed."
        )
    for kind, line in _IMPORTS.items():
        if isinstance(value, kind):
            autogen_context.imports.add(line)
    return written

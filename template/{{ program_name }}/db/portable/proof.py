"""Every column type a revision writes is proven before the file is written.

render.py writes the models' types as they are called, but a type can still come out
wrong: a name the revision never imports (NameError at upgrade), or a call that makes
another type on one of the databases. So each type is written as the revision will
write it, evaluated with the imports the revision will have, and compiled for SQLite
and for PostgreSQL beside the type it stands for (compiling resolves variants and
load_dialect_impl). What differs, or does not evaluate, raises CommandError: the alembic
command prints it as one line and writes no file.
"""

import enum
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate.api import AutogenContext
from alembic.autogenerate.render import _repr_type
from alembic.operations import ops
from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError
from sqlalchemy.engine import Dialect

from .walk import upgrade_and_downgrade, walk

# What migrations/script.py.mako imports in every revision.
REVISION_IMPORTS = ["import sqlalchemy as sa", "from alembic import op"]
# Made from URLs: SQLAlchemy's PostgreSQL dialect classes are untyped to mypy --strict.
DATABASES: dict[str, Dialect] = {
    "SQLite": sa.make_url("sqlite://").get_dialect()(),
    "PostgreSQL": sa.make_url("postgresql://").get_dialect()(),
}
# Values a type keeps that compiling does not show (JSONText(enforce_string=True)).
_PLAIN = (str, int, float, bool, enum.Enum, type(None))
# Not the column's type but whether create_table creates PostgreSQL's enum type: a
# revision creates it with an operation of its own (enums.py, alembic-postgresql-enum),
# so its columns write create_type=False.
_NOT_THE_TYPE = {"create_type"}


def prove_types(script: ops.MigrationScript, context: MigrationContext) -> None:
    """Raise CommandError, naming the column, for the first type of `script` whose
    written form does not make the same type on both databases."""
    for table, column, type_ in _column_types(script):
        # Alembic writes each type with the context's options: render_item included.
        autogen_context = AutogenContext(context)
        text = _repr_type(type_, autogen_context)
        problem = _disproof(type_, text, sorted(autogen_context.imports))
        if problem:
            raise CommandError(
                f"Cannot write the type of {table}.{column} into the revision: the "
                f"models' {_compiled_text(type_)} would be written {text}, which "
                f"{problem}. Give the type a __repr__ that calls it as the models "
                "do, or write the column in the revision by hand."
            )


def _column_types(
    script: ops.MigrationScript,
) -> Iterator[tuple[str, str, sa.types.TypeEngine[Any]]]:
    for op in walk(*upgrade_and_downgrade(script)):
        if isinstance(op, ops.AddColumnOp):
            yield op.table_name, op.column.name, op.column.type
        elif isinstance(op, ops.CreateTableOp):
            for column in op.columns:
                if isinstance(column, sa.Column):
                    yield op.table_name, column.name, column.type
        elif isinstance(op, ops.AlterColumnOp):
            for type_ in (op.modify_type, op.existing_type):
                if type_ is not None:
                    yield op.table_name, op.column_name, type_


def _disproof(
    type_: sa.types.TypeEngine[Any], text: str, imports: list[str]
) -> str | None:
    """Why `text`, run after `imports`, is not `type_`; None when it is."""
    namespace: dict[str, Any] = {}
    try:
        # The revision's own imports, then the type as the revision calls it.
        exec("\n".join(REVISION_IMPORTS + imports), namespace)  # noqa: S102
        written = eval(text, namespace)
    except Exception as error:  # noqa: BLE001 - any failure is the revision's
        return f"fails: {type(error).__name__}: {error}"
    if not isinstance(written, sa.types.TypeEngine):
        return f"is {written!r}, not a type"
    if _compiled(written) != _compiled(type_):
        return f"is {_compiled_text(written)}"
    differences = _differences(written, type_)
    return f"keeps {differences}" if differences else None


def _compiled(type_: sa.types.TypeEngine[Any]) -> dict[str, str]:
    """The type's SQL on each database."""
    compiled = {}
    for name, dialect in DATABASES.items():
        try:
            compiled[name] = str(type_.compile(dialect=dialect))
        except Exception:  # noqa: BLE001 - e.g. ARRAY on SQLite, as in the models
            compiled[name] = "no type"
    return compiled


def _compiled_text(type_: sa.types.TypeEngine[Any]) -> str:
    return " and ".join(f"{sql} on {name}" for name, sql in _compiled(type_).items())


def _plain_state(type_: sa.types.TypeEngine[Any]) -> dict[str, object]:
    return {
        name: value
        for name, value in vars(type_).items()
        if isinstance(value, _PLAIN) and name not in _NOT_THE_TYPE
    }


def _differences(
    written: sa.types.TypeEngine[Any], type_: sa.types.TypeEngine[Any]
) -> str:
    """The plain values both keep, where they differ: the written one's first."""
    mine, theirs = _plain_state(written), _plain_state(type_)
    return ", ".join(
        f"{name}={mine[name]!r} where the models keep {theirs[name]!r}"
        for name in sorted(mine.keys() & theirs.keys())
        if mine[name] != theirs[name]
    )

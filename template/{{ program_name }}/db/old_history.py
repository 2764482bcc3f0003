"""What an old history built on an empty database, read back from a scratch SQLite
database it built: the tables, as the revisions declared them, and every row.

A database reads its schema back in its own words, and some of what the revisions
said it does not keep at all. So each column's type and default come from the
revisions' own operations (declared.py) where the database agrees with them, and each
named CHECK's rule from them; names are
kept exactly as they were given; the CHECKs that types make themselves are left to the
types; and the foreign keys that close a cycle between tables are added after them. The
rows: after an empty start, every row was inserted by a data migration.
"""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.schema import conv

from .declared import Declared
from .engines import get_engine
from .portable.reflected import Reflected, bare_sql
from .portable.sqlite_reflection import read_sqlite_whole
from .tables import MACHINERY_TABLES

Rows = dict[str, list[dict[str, Any]]]


def read_source(
    url: str, declared: Declared, models: sa.MetaData
) -> tuple[sa.MetaData, Rows]:
    """The tables of the database at `url`, with the types and defaults `declared`
    recorded where the database agrees, and every row in them."""
    engine = get_engine(sa.make_url(url))
    read_sqlite_whole(engine.dialect)
    tables = sa.MetaData()
    try:
        with engine.connect() as connection:
            tables.reflect(
                connection, only=lambda name, _: name not in MACHINERY_TABLES
            )
            _add_cycles_last(tables)
            reflected = Reflected(models, connection.dialect)
            for table in tables.sorted_tables:
                _as_declared(table, declared, reflected, connection.dialect)
                _names_as_given(table)
            rows = {
                table.name: [dict(row._mapping) for row in _rows(connection, table)]
                for table in tables.sorted_tables
            }
    finally:
        engine.dispose()
    return tables, {name: found for name, found in rows.items() if found}


def _add_cycles_last(tables: sa.MetaData) -> None:
    """Reflection does not say which foreign keys close a cycle between tables (the
    models' use_alter): those no order of the tables can satisfy are added after the
    tables, as the models' were."""
    everything = list(tables.tables.values())
    ordered = sa.schema.sort_tables_and_constraints(everything)  # type: ignore[no-untyped-call]
    for table, cyclic in ordered:
        if table is None:
            for constraint in cyclic:
                constraint.use_alter = True


def _as_declared(
    table: sa.Table, declared: Declared, reflected: Reflected, dialect: Dialect
) -> None:
    for column in table.columns:
        written = declared.columns.get((table.name, column.name))
        if written is not None and _sql(written.type, dialect) == _sql(
            column.type, dialect
        ):
            if bare_sql(_default_sql(written.server_default, dialect)) == bare_sql(
                _default_sql(column.server_default, dialect)
            ):
                column.server_default = written.server_default
            else:
                column.server_default = reflected.default(
                    column.server_default, written.type
                )
            column.type = written.type
        else:  # changed by hand-written SQL, or by an operation not recorded
            reflected.column(column)
    _leave_checks_to_types(table, dialect)
    for check in table.constraints:
        declared_rule = declared.checks.get((table.name, str(check.name)))
        if isinstance(check, sa.CheckConstraint) and declared_rule is not None:
            check.sqltext = sa.text(declared_rule)
    for index in table.indexes:
        # SQLite reads back a partial index's predicate as its own; PostgreSQL takes the
        # same SQL.
        where = index.dialect_kwargs.get("sqlite_where")
        if where is not None:
            index.dialect_kwargs["postgresql_where"] = where


def _leave_checks_to_types(table: sa.Table, dialect: Dialect) -> None:
    """Drop the CHECKs a column's type makes itself (a Boolean's or an Enum's, with
    create_constraint): the type makes them again, and they would be there twice."""
    scratch = sa.Table(
        table.name,
        sa.MetaData(),
        *(sa.Column(c.name, c.type.copy()) for c in table.columns),
    )
    made = {
        bare_sql(_check_sql(check, dialect))
        for check in scratch.constraints
        if isinstance(check, sa.CheckConstraint)
    }
    for check in list(table.constraints):
        if (
            isinstance(check, sa.CheckConstraint)
            and bare_sql(_check_sql(check, dialect)) in made
        ):
            table.constraints.remove(check)


def _check_sql(check: sa.CheckConstraint, dialect: Dialect) -> str:
    # As CREATE TABLE writes it: values inline, columns without their table.
    compiled = check.sqltext.compile(
        dialect=dialect, compile_kwargs={"literal_binds": True, "include_table": False}
    )
    return str(compiled)


def _names_as_given(table: sa.Table) -> None:
    """The names the database holds are final: the models' naming convention, which
    Alembic applies to the revision's constraints, must not name them again."""
    named: list[sa.Constraint | sa.Index] = [*table.constraints, *table.indexes]
    for item in named:
        if isinstance(item.name, str) and not isinstance(item.name, conv):
            item.name = conv(item.name)


def _sql(type_: Any, dialect: Dialect) -> str | None:
    try:
        return str(type_.compile(dialect=dialect))
    except sa.exc.CompileError:  # a type this database cannot hold
        return None


def _default_sql(default: Any, dialect: Dialect) -> str:
    arg = getattr(default, "arg", None)
    if arg is None:
        return ""
    if isinstance(arg, str):
        return "'" + arg.replace("'", "''") + "'"
    return str(arg.compile(dialect=dialect))


def _rows(connection: sa.Connection, table: sa.Table) -> sa.Result[Any]:
    order = list(table.primary_key.columns) or list(table.columns)
    return connection.execute(sa.select(table).order_by(*order))

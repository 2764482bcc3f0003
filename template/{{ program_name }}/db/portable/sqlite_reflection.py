"""SQLite's reflection, completed: indexes (sqlite_indexes.py) and table options read
back whole, so that autogenerate, batch rebuilds and `db squash` see all of a table.

SQLite's table options: AUTOINCREMENT too.

SQLAlchemy's SQLite reflection reads WITHOUT ROWID and STRICT from a table's CREATE TABLE
statement, but not AUTOINCREMENT. A table created with `sqlite_autoincrement=True` (whose
ids are never handed out twice, even after the row with the largest is deleted) then
reads back as a plain one: each batch rebuild, which recreates the table from what
reflection read, loses AUTOINCREMENT silently, and `db squash` writes a revision without
it. This reads it from SQLite's own record of the table, as `sqlite_autoincrement`.
"""

import re
import types
from typing import Any

from sqlalchemy.dialects.sqlite.base import SQLiteDialect
from sqlalchemy.engine import Connection, Dialect, reflection

from .sqlite_indexes import read_indexes_whole, without_comments

# A string, or a quoted name: AUTOINCREMENT inside one is no keyword.
_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`|\[[^\]]*\]")
# As SQLite's grammar has it: PRIMARY KEY [ASC|DESC] [ON CONFLICT ...] AUTOINCREMENT.
_AUTOINCREMENT = re.compile(
    r"\bPRIMARY\s+KEY\s+(?:(?:ASC|DESC)\s+)?(?:ON\s+CONFLICT\s+\w+\s+)?AUTOINCREMENT\b",
    re.IGNORECASE,
)


def read_sqlite_whole(dialect: Dialect) -> None:
    """Make this SQLite dialect instance read back what SQLAlchemy's reflection skips:
    expression indexes, DESC, partial predicates, and AUTOINCREMENT."""
    read_indexes_whole(dialect)
    read_table_options_whole(dialect)


def read_table_options_whole(dialect: Dialect) -> None:
    """Make this SQLite dialect instance reflect AUTOINCREMENT; other dialects and an
    instance already changed are left as they are."""
    if dialect.name == "sqlite" and "get_table_options" not in vars(dialect):
        dialect.get_table_options = types.MethodType(_get_table_options, dialect)  # type: ignore[method-assign]


@reflection.cache
def _get_table_options(
    self: SQLiteDialect,
    connection: Connection,
    table_name: str,
    schema: str | None = None,
    **kw: Any,
) -> dict[str, Any]:
    # SQLAlchemy's own (WITHOUT ROWID, STRICT): the instance's is this function.
    try:
        options: dict[str, Any] = SQLiteDialect.get_table_options(  # type: ignore[no-untyped-call]
            self, connection, table_name, schema=schema, **kw
        )
    except NotImplementedError:  # SQLAlchemy 2.0 reflects no SQLite table options
        options = {}
    sql = self._get_table_sql(connection, table_name, schema=schema, **kw)  # type: ignore[no-untyped-call]
    if sql and has_autoincrement(sql):
        options = {**options, "sqlite_autoincrement": True}
    return options


def has_autoincrement(sql: str) -> bool:
    """True when the CREATE TABLE statement `sql` gives its key AUTOINCREMENT."""
    return _AUTOINCREMENT.search(_QUOTED.sub(" ", without_comments(sql))) is not None

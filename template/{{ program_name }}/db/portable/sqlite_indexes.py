"""SQLite's indexes, read back whole: expressions, DESC and partial predicates.

SQLAlchemy's SQLite reflection skips every index on an expression (with a warning) and
drops DESC. Autogenerate then cannot see such an index, and each batch rebuild of its
table, which recreates the table from what reflection read, loses it silently. This
reads each index from SQLite's own record of it: `PRAGMA index_xinfo` for its columns
and order, and the CREATE INDEX statement for its expressions.
"""

import re
import types
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect, reflection

_ON = re.compile(
    r"\bON\s+(\"(?:[^\"]|\"\")+\"|`[^`]+`|\[[^\]]+\]|[\w.]+)\s*\(", re.IGNORECASE
)
_WHERE = re.compile(r"^\s*WHERE\s+(.+)$", re.IGNORECASE | re.DOTALL)


def read_indexes_whole(dialect: Dialect) -> None:
    """Make this SQLite dialect instance reflect indexes whole; other dialects and an
    instance already changed are left as they are."""
    if dialect.name == "sqlite" and not reads_indexes_whole(dialect):
        dialect.get_indexes = types.MethodType(_get_indexes, dialect)  # type: ignore[method-assign]


def reads_indexes_whole(dialect: Dialect) -> bool:
    return "get_indexes" in vars(dialect)


@reflection.cache
def _get_indexes(
    self: Dialect,
    connection: Connection,
    table_name: str,
    schema: str | None = None,
    **kw: Any,
) -> list[dict[str, Any]]:
    include_auto_indexes = kw.pop("include_auto_indexes", False)
    quote = self.identifier_preparer.quote_identifier
    prefix = f"{quote(schema)}." if schema else ""
    listed = connection.exec_driver_sql(
        f"PRAGMA {prefix}index_list({quote(table_name)})"
    ).all()
    if not listed and not self.has_table(connection, table_name, schema):
        raise sa.exc.NoSuchTableError(table_name)
    indexes = []
    for row in listed:
        name, unique, origin = row[1], bool(row[2]), row[3]
        if origin != "c" and not include_auto_indexes:
            continue  # made by a UNIQUE or PRIMARY KEY constraint
        sql = connection.exec_driver_sql(
            f"SELECT sql FROM {prefix}sqlite_master WHERE type = 'index' AND name = ?",
            (name,),
        ).scalar()
        elements, where = _parse(sql) if sql else ([], None)
        keys = [
            info
            for info in connection.exec_driver_sql(
                f"PRAGMA {prefix}index_xinfo({quote(name)})"
            )
            if info[5]
        ]
        column_names: list[str | None] = []
        expressions, sorting = [], {}
        for position, info in enumerate(keys):
            if info[1] == -2 and position < len(elements):
                column_names.append(None)
                expressions.append(elements[position])  # DESC included
            else:
                column_names.append(info[2])
                expressions.append(info[2])
                if info[3]:
                    sorting[info[2]] = ("desc",)
        index: dict[str, Any] = {
            "name": name,
            "column_names": column_names,
            "unique": unique,
            "dialect_options": {"sqlite_where": sa.text(where)} if where else {},
        }
        if None in column_names:
            index["expressions"] = expressions
        if sorting:
            index["column_sorting"] = sorting
        indexes.append(index)
    return sorted(indexes, key=lambda index: index["name"])


def _parse(sql: str) -> tuple[list[str], str | None]:
    """The indexed elements of a CREATE INDEX statement, and its WHERE predicate."""
    sql = without_comments(sql)
    match = _ON.search(sql)
    if match is None:
        return [], None
    elements, depth, quote, start = [], 0, "", match.end()
    for position in range(match.end(), len(sql)):
        char = sql[position]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"`":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif char in ",)" and not depth:
            elements.append(sql[start:position].strip())
            start = position + 1
            if char == ")":
                where = _WHERE.match(sql[position + 1 :])
                return elements, (where.group(1).strip() if where else None)
    return [], None


def without_comments(sql: str) -> str:
    """`sql` with its comments made spaces: SQLite keeps a hand-written statement as it
    was typed, and a comment before WHERE would otherwise hide the predicate."""
    kept, position, quote = [], 0, ""
    while position < len(sql):
        char = sql[position]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"`":
            quote = char
        elif sql.startswith("--", position):
            end = sql.find("\n", position)
            position = len(sql) if end == -1 else end
            kept.append(" ")
            continue
        elif sql.startswith("/*", position):
            end = sql.find("*/", position + 2)
            position = len(sql) if end == -1 else end + 2
            kept.append(" ")
            continue
        kept.append(char)
        position += 1
    return "".join(kept)

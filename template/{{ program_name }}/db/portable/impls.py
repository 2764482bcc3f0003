"""What `alembic check` and autogenerate compare, the same way on both databases.

Alembic leaves two comparisons to each database's implementation and makes neither on
SQLite: the expressions of an index (SQLite's reflection cannot even read them, see
sqlite_indexes.py) and the rule of a named CHECK constraint, whose change would never
reach the database. These subclasses make both, on SQLite and on PostgreSQL. Defining
them replaces Alembic's implementation for their database.
"""

import re
from typing import Any

import sqlalchemy as sa
from alembic.ddl._autogen import ComparisonResult
from alembic.ddl.impl import DefaultImpl
from alembic.ddl.postgresql import PostgresqlImpl
from alembic.ddl.sqlite import SQLiteImpl
from alembic.util.sqla_compat import is_expression_index

from .sqlite_indexes import reads_indexes_whole

# How to read both sides alike: PostgreSQL writes `(name)::text`, `~~` for LIKE, and
# `= ANY (ARRAY[...])` for IN (...).
_CAST = re.compile(r"::\s*[a-z_][\w ]*(\(\d+(,\s*\d+)?\))?(\[\])?", re.IGNORECASE)
_ANY_ARRAY = re.compile(r"=any\s*array\[([^\]]*)\]")


def normalize(sql: str) -> str:
    """SQL in a form that compares equal however either database wrote it."""
    sql = _CAST.sub("", sql.lower())
    sql = re.sub(r"\bnot\s+like\b", "!~~", sql)
    sql = re.sub(r"\blike\b", "~~", sql)
    sql = re.sub(r"[\s()\"`]", "", sql)
    sql = _ANY_ARRAY.sub(r"in\1", sql)
    return sql.replace("'", "")


class _Compare(DefaultImpl):
    def _text(self, element: Any) -> str:
        if isinstance(element, str):
            return element
        compiled = element.compile(
            dialect=self.dialect,
            compile_kwargs={"literal_binds": True, "include_table": False},
        )
        return str(compiled)

    def compare_check_constraint(
        self, metadata_constraint: sa.CheckConstraint, reflected_constraint: Any
    ) -> "ComparisonResult":
        if getattr(metadata_constraint, "_type_bound", False):
            return ComparisonResult.Equal()  # it follows its column's type
        new = normalize(self._text(metadata_constraint.sqltext))
        old = normalize(self._text(reflected_constraint.sqltext))
        if new == old:
            return ComparisonResult.Equal()
        return ComparisonResult.Different(f"rule {old!r} to {new!r}")


class PortableSQLiteImpl(_Compare, SQLiteImpl):
    __dialect__ = "sqlite"

    def correct_for_autogen_constraints(self, *constraints_and_indexes: Any) -> None:
        if not reads_indexes_whole(self.dialect):
            super().correct_for_autogen_constraints(*constraints_and_indexes)
        # Else nothing to skip: the database's expression indexes were read.

    def compare_indexes(self, metadata_index: sa.Index, reflected_index: sa.Index):
        if not (
            is_expression_index(metadata_index) or is_expression_index(reflected_index)
        ):
            return super().compare_indexes(metadata_index, reflected_index)
        changes = []
        if bool(metadata_index.unique) != bool(reflected_index.unique):
            changes.append(f"unique={bool(metadata_index.unique)}")
        new = [normalize(self._text(e)) for e in metadata_index.expressions]
        old = [normalize(self._text(e)) for e in reflected_index.expressions]
        if new != old:
            changes.append(f"expressions {old} to {new}")
        if changes:
            return ComparisonResult.Different(changes)
        return ComparisonResult.Equal()


class PortablePostgresqlImpl(_Compare, PostgresqlImpl):
    __dialect__ = "postgresql"


# Named CHECK constraints are compared by this plugin of Alembic's (opt-in, 1.19.2+).
AUTOGENERATE_PLUGINS = ["alembic.autogenerate.*", "alembic.ext.checkconstraint_byname"]

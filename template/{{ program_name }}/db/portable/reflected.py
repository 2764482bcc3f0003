"""What autogenerate read back from the database, in terms every database accepts.

The types and defaults of a dropped column come from the database the revision was made
against: SQLite's DATETIME, which PostgreSQL lacks, or PostgreSQL's `'draft'::character
varying`. The downgrade re-adds the column, so they are rewritten in SQLAlchemy's
generic terms, and a default that is the SQL of one of the models' own constructs
becomes that construct again.
"""

import re
from typing import Any, TypeGuard

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from .render import PORTABLE_FUNCTIONS, users

_TRUE = {"1", "true", "t"}
_FALSE = {"0", "false", "f"}
# PostgreSQL reflects a literal default with its cast: 'draft'::character varying.
_CAST = re.compile(r"^('(?:[^']|'')*')::[\w .\"\[\]]+$")


class Reflected:
    """Rewrites types and defaults read from `dialect`'s database for `metadata`."""

    def __init__(self, metadata: sa.MetaData, dialect: Dialect) -> None:
        columns = [c for table in metadata.tables.values() for c in table.columns]
        self.model_types = {id(column.type) for column in columns}
        # The SQL each of the models' own default constructs compiles to, here.
        self.constructs: dict[str, sa.ClauseElement] = {}
        for column in columns:
            default = column.server_default
            if isinstance(default, sa.DefaultClause) and _is_construct(default.arg):
                sql = str(default.arg.compile(dialect=dialect))
                self.constructs.setdefault(bare_sql(sql), default.arg)

    def column(self, column: sa.Column[Any]) -> None:
        if id(column.type) in self.model_types:
            return  # the models' own column: rendered as written
        reflected_type = column.type
        column.type = self.type(reflected_type)
        if isinstance(column.server_default, sa.DefaultClause):
            column.server_default = self.default(column.server_default, reflected_type)

    def type(self, type_: Any) -> Any:
        """A type read from the database, as SQLAlchemy's generic type: sa.DateTime()
        for SQLite's DATETIME, or PostgreSQL's TIMESTAMP."""
        if type_ is None or id(type_) in self.model_types or isinstance(type_, sa.Enum):
            return type_  # enum types are alembic-postgresql-enum's, or enums.py's
        try:
            return type_.as_generic()
        except NotImplementedError:
            return type_

    def default(self, default: Any, type_: Any) -> Any:
        """A default read from the database, written so that every database accepts
        it."""
        if not isinstance(default, sa.DefaultClause) or not isinstance(
            default.arg, sa.TextClause
        ):
            return default
        text = default.arg.text.strip()
        if construct := self.constructs.get(bare_sql(text)):
            return sa.DefaultClause(construct)
        if cast := _CAST.match(text):
            return sa.DefaultClause(sa.text(cast.group(1)))
        bare = text.strip("()'\" ").lower()
        affinity = getattr(type_, "_type_affinity", None)
        if affinity is sa.Boolean and bare in _TRUE | _FALSE:
            return sa.DefaultClause(sa.true() if bare in _TRUE else sa.false())
        if bare in ("now", "current_timestamp") or bare.startswith("now("):
            return sa.DefaultClause(sa.func.now())
        if bare in PORTABLE_FUNCTIONS:
            return sa.DefaultClause(getattr(sa.func, bare)())
        return default


def _is_construct(arg: object) -> TypeGuard[sa.ClauseElement]:
    return isinstance(arg, sa.ClauseElement) and users(type(arg))


def bare_sql(sql: str) -> str:
    """SQL with no whitespace, outer parentheses or case, for comparing defaults."""
    sql = re.sub(r"\s+", "", sql).lower()
    while sql.startswith("(") and sql.endswith(")"):
        sql = sql[1:-1]
    return sql

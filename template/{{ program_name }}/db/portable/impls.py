"""Alembic's implementation for each database, extended; defining a subclass replaces
Alembic's for its database.

- Autogenerate and `alembic check` compare two things Alembic leaves to each database and
  makes on neither or one: the expressions of an index (SQLite's reflection cannot even
  read them, see sqlite_indexes.py) and the rule of a named CHECK constraint, whose
  change would otherwise never reach the database.
- A SQLite batch rebuild of an AUTOINCREMENT table (sqlite_reflection.py keeps the
  option) keeps the largest id it ever handed out, so a deleted id is never given again.
- On SQLite, autogenerate writes rules and index predicates with TRUE and FALSE, which
  both databases read, not SQLite's own 1 and 0.
- The SQL that `--sql` writes for PostgreSQL tells squawk, the lock lint, which type
  changes rewrite nothing: widening a VARCHAR, or making it TEXT.
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from alembic.ddl import postgresql, sqlite
from alembic.ddl.impl import ComparisonResult, DefaultImpl
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler, SQLiteDialect
from sqlalchemy.exc import DBAPIError

from .reflected import booleans_as_numbers
from .sqlite_indexes import reads_indexes_whole

if TYPE_CHECKING:
    from alembic.operations.batch import ApplyBatchImpl, BatchOperationsImpl

# How to read both sides alike: PostgreSQL writes `(name)::text`, `~~` for LIKE, and
# `= ANY (ARRAY[...])` for IN (...), when it is not asked (PostgresqlImpl._rule).
_CAST = re.compile(r"::\s*[a-z_][\w ]*(\(\d+(,\s*\d+)?\))?(\[\])?", re.IGNORECASE)
_ANY_ARRAY = re.compile(r"=any\s*array\[([^\]]*)\]")


def normalize(sql: str) -> str:
    """SQL in a form that compares equal however either database wrote it."""
    sql = _CAST.sub("", booleans_as_numbers(sql).lower())
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
    ) -> ComparisonResult:
        if getattr(metadata_constraint, "_type_bound", False):
            return ComparisonResult.Equal()  # it follows its column's type
        new = normalize(self._rule(metadata_constraint))
        old = normalize(self._text(reflected_constraint.sqltext))
        if new == old:
            return ComparisonResult.Equal()
        return ComparisonResult.Different(f"rule {old!r} to {new!r}")

    def _rule(self, constraint: sa.CheckConstraint) -> str:
        """The constraint's rule as the database would write it back."""
        return self._text(constraint.sqltext)


class SQLiteImpl(_Compare, sqlite.SQLiteImpl):
    __dialect__ = "sqlite"

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        # The largest id each AUTOINCREMENT table being rebuilt has handed out.
        self._ids_handed_out: dict[tuple[str | None, str], int] = {}

    def requires_recreate_in_batch(self, batch_op: BatchOperationsImpl) -> bool:
        # SQLite renames a column in place (3.25+), indexes and all. A rebuild would
        # lose track of the renamed column, and the index operations around it fail.
        rest = [op for op in batch_op.batch if not _renames_only(op)]
        # A stand-in for batch_op: Alembic's method reads nothing but .batch.
        return super().requires_recreate_in_batch(SimpleNamespace(batch=rest))  # type: ignore[arg-type]

    def prep_table_for_batch(self, batch_impl: ApplyBatchImpl, table: sa.Table) -> None:
        super().prep_table_for_batch(batch_impl, table)
        # The copy's ids come from the rows it copies: it would hand out again the ids
        # of rows deleted from the end of the table. Remember the largest handed out.
        new_table = batch_impl.new_table
        assert new_table is not None  # Alembic builds it before calling this
        if _autoincrement(table) and _autoincrement(new_table):
            self._ids_handed_out[(table.schema, table.name)] = self._handed_out(
                table.schema, table.name
            )

    def rename_table(
        self, old_table_name: str, new_table_name: Any, schema: Any = None
    ) -> None:
        super().rename_table(old_table_name, new_table_name, schema=schema)
        largest = self._ids_handed_out.pop((schema, new_table_name), None)
        if largest is not None and largest > self._handed_out(schema, new_table_name):
            # The rebuilt table, renamed: its own row is missing, or behind the old one's.
            sequence = self._sequence_table(schema)
            self.execute(
                sa.text(f"DELETE FROM {sequence} WHERE name = :name").bindparams(
                    name=new_table_name
                )
            )
            self.execute(
                sa.text(
                    f"INSERT INTO {sequence} (name, seq) VALUES (:name, :seq)"
                ).bindparams(name=new_table_name, seq=largest)
            )

    def _sequence_table(self, schema: str | None) -> str:
        quote = self.dialect.identifier_preparer.quote_identifier
        return f"{quote(schema)}.sqlite_sequence" if schema else "sqlite_sequence"

    def _handed_out(self, schema: str | None, name: str) -> int:
        """The largest id the AUTOINCREMENT table `name` handed out; 0 if none."""
        connection = self.connection
        assert connection is not None  # a batch rebuild runs on a live database
        found = connection.exec_driver_sql(
            f"SELECT seq FROM {self._sequence_table(schema)} WHERE name = ?", (name,)
        ).scalar()
        return int(found or 0)

    def render_ddl_sql_expr(
        self, expr: Any, is_server_default: bool = False, **kw: Any
    ) -> str:
        """A CHECK's rule, an index's expression or predicate, as autogenerate writes it
        into a revision: with TRUE and FALSE, not SQLite's 1 and 0, which PostgreSQL
        refuses beside a boolean (`operator does not exist: boolean = integer`)."""
        if is_server_default:  # reflected.py makes defaults portable
            return super().render_ddl_sql_expr(expr, is_server_default, **kw)
        compiled = expr.compile(
            dialect=_KEYWORD_BOOLEANS,
            compile_kwargs={"literal_binds": True, "include_table": False},
        )
        return str(compiled)

    def correct_for_autogen_constraints(self, *constraints_and_indexes: Any) -> None:
        if not reads_indexes_whole(self.dialect):
            # Alembic's SQLite implementation of this method has no annotations.
            super().correct_for_autogen_constraints(*constraints_and_indexes)  # type: ignore[no-untyped-call]
        # Else nothing to skip: the database's expression indexes were read.

    def compare_indexes(
        self, metadata_index: sa.Index, reflected_index: sa.Index
    ) -> ComparisonResult:
        if not (_has_expressions(metadata_index) or _has_expressions(reflected_index)):
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


class _KeywordBooleansCompiler(SQLiteCompiler):
    # SQLite reads TRUE and FALSE (3.23 and newer) as 1 and 0.
    def visit_true(self, expr: Any, **kw: Any) -> str:
        return "true"

    def visit_false(self, expr: Any, **kw: Any) -> str:
        return "false"


class _KeywordBooleansDialect(SQLiteDialect):
    statement_compiler = _KeywordBooleansCompiler


_KEYWORD_BOOLEANS = _KeywordBooleansDialect()


class PostgresqlImpl(_Compare, postgresql.PostgresqlImpl):
    __dialect__ = "postgresql"

    def _rule(self, constraint: sa.CheckConstraint) -> str:
        """PostgreSQL rewrites a rule (BETWEEN, IN, casts), so ask it: add the rule to
        an empty copy of the table, read it back, and roll all of it back."""
        rule = super()._rule(constraint)
        table = self.dialect.identifier_preparer.format_table(constraint.table)
        connection = self.connection
        assert connection is not None  # autogenerate compares on a live database
        savepoint = connection.begin_nested()
        try:
            connection.exec_driver_sql(
                f"CREATE TEMPORARY TABLE rule_probe (LIKE {table})"
            )
            connection.exec_driver_sql(
                f"ALTER TABLE rule_probe ADD CONSTRAINT probe CHECK ({rule})"
            )
            written: str = connection.exec_driver_sql(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'rule_probe'::regclass AND conname = 'probe'"
            ).scalar_one()
        except DBAPIError:
            return rule  # a column this revision adds: compare the text as written
        finally:
            savepoint.rollback()
        return written.removeprefix("CHECK ")

    def alter_column(self, table_name: str, column_name: str, **kw: Any) -> None:
        if self.as_sql and widens(kw.get("existing_type"), kw.get("type_")):
            # A wider VARCHAR takes no table rewrite on PostgreSQL: no lock to flag.
            # Directly above the statement, with no blank line, as squawk reads it.
            assert self.output_buffer is not None
            self.output_buffer.write("-- squawk-ignore changing-column-type\n")
        super().alter_column(table_name, column_name, **kw)


def _renames_only(batch_op: tuple[str, tuple[Any, ...], dict[str, Any]]) -> bool:
    """True for a batch alter_column that only gives the column a new name."""
    kind, _, options = batch_op
    changes = ("nullable", "server_default", "type_", "autoincrement", "comment")
    return (
        kind == "alter_column"
        and options.get("name") is not None
        and all(options.get(change) in (None, False) for change in changes)
    )


def _autoincrement(table: sa.Table) -> bool:
    return bool(table.dialect_options["sqlite"]["autoincrement"])


def widens(old: Any, new: Any) -> bool:
    """True when changing a column from `old` to `new` only widens a string."""
    if not (isinstance(old, sa.String) and isinstance(new, sa.String)):
        return False
    if isinstance(old, sa.Enum) or isinstance(new, sa.Enum):
        return False
    return new.length is None or (old.length is not None and new.length >= old.length)


# Named CHECK constraints are compared by this plugin of Alembic's (opt-in, 1.19.2+).
AUTOGENERATE_PLUGINS = ["alembic.autogenerate.*", "alembic.ext.checkconstraint_byname"]


def _has_expressions(index: sa.Index) -> bool:
    """An index on something other than plain columns (DESC counts)."""
    for expression in index.expressions:
        while isinstance(expression, sa.UnaryExpression):
            expression = expression.element
        if not isinstance(expression, sa.ColumnClause) or expression.is_literal:
            return True
    return False

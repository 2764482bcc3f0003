"""What a database holds, schema and rows, in a form two databases of the same kind can be
compared by: `db squash` proves with it that the squashed history builds what the old
one built, and `db check --scratch` that each downgrade gives back the schema its
revision started from."""

from collections import Counter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Inspector

from .engines import get_engine
from .portable.reflected import bare_sql, booleans_as_numbers
from .portable.sqlite_reflection import read_sqlite_whole
from .tables import BOOKKEEPING_TABLES

# Each part's name, and its value: a table's parts, or the database's enum types and
# sequences.
State = dict[str, Any]
# How much of a differing value a message shows.
SHOWN = 160
ENUMS = """
    SELECT typname, array_agg(enumlabel ORDER BY enumsortorder)
    FROM pg_type JOIN pg_enum ON enumtypid = pg_type.oid
    GROUP BY typname ORDER BY typname
"""
# Sequences by name: where each stands is the program's next id, which the squashed
# revision may set better than the old history did (op.sync_id_sequence).
SEQUENCES = "SELECT sequencename FROM pg_sequences ORDER BY sequencename"
# What a revision can make with op.execute() that no table shows. The squash cannot
# write these again, so the comparison must see them go.
SQLITE_OTHERS = (
    "SELECT type, name, sql FROM sqlite_master WHERE type IN ('view', 'trigger') "
    "ORDER BY type, name"
)
POSTGRESQL_OTHERS = """
    SELECT 'view', viewname, definition FROM pg_views WHERE schemaname = current_schema()
    UNION ALL
    SELECT 'trigger', tgname, pg_get_triggerdef(pg_trigger.oid)
    FROM pg_trigger WHERE NOT tgisinternal
    UNION ALL
    SELECT 'function', proname, pg_get_functiondef(pg_proc.oid)
    FROM pg_proc JOIN pg_namespace ON pg_namespace.oid = pronamespace
    WHERE nspname = current_schema() AND prokind = 'f'
    UNION ALL
    SELECT 'extension', extname, extversion FROM pg_extension WHERE extname <> 'plpgsql'
    ORDER BY 1, 2
"""


# Each table's definition as the database keeps it, read in one query: a table whose
# fingerprint has not changed is as it was, so it need not be reflected again.
SQLITE_FINGERPRINTS = """
    SELECT tbl_name, group_concat(type || ' ' || name || ' ' || coalesce(sql, ''), '|')
    FROM (SELECT * FROM sqlite_master WHERE type IN ('table', 'index') ORDER BY type, name)
    GROUP BY tbl_name
"""
POSTGRESQL_FINGERPRINTS = """
    SELECT c.relname, concat_ws('|',
        (SELECT string_agg(concat_ws(' ', a.attname, format_type(a.atttypid, a.atttypmod),
                                     a.attnotnull, pg_get_expr(d.adbin, d.adrelid)),
                           '|' ORDER BY a.attname)
         FROM pg_attribute a
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
        (SELECT string_agg(concat_ws(' ', conname, pg_get_constraintdef(oid)),
                           '|' ORDER BY conname)
         FROM pg_constraint WHERE conrelid = c.oid),
        (SELECT string_agg(pg_get_indexdef(indexrelid), '|' ORDER BY indexrelid)
         FROM pg_index WHERE indrelid = c.oid),
        c.reloptions::text)
    FROM pg_class c
    WHERE c.relkind IN ('r', 'p') AND c.relnamespace = to_regnamespace(current_schema())
"""


def fingerprints(url: str) -> dict[str, str]:
    """Each table of the database at `url`, and its fingerprint."""
    engine = get_engine(sa.make_url(url))
    try:
        with engine.connect() as connection:
            postgresql = connection.dialect.name == "postgresql"
            query = POSTGRESQL_FINGERPRINTS if postgresql else SQLITE_FINGERPRINTS
            return {name: print_ for name, print_ in connection.exec_driver_sql(query)}
    finally:
        engine.dispose()


def reread(state: State, was: dict[str, str], now: dict[str, str], url: str) -> State:
    """`state`, the schema when the tables' fingerprints were `was`, brought up to date
    with the database at `url`, whose fingerprints are `now`: only the tables that
    changed are read again, so a step costs what it changed, not what the database
    holds."""
    changed = {name for name, print_ in now.items() if was.get(name) != print_}
    kept = {
        part: value
        for part, value in state.items()
        if part.startswith("table ")
        and part.removeprefix("table ") in now
        and part.removeprefix("table ") not in changed
    }
    return {**kept, **read(url, rows=False, tables=changed)}


def read(url: str, *, rows: bool = True, tables: set[str] | None = None) -> State:
    """The schema of the database at `url` (of `tables` alone, when given, and the
    enum types, sequences, views and triggers), and its rows unless `rows` is False."""
    engine = get_engine(sa.make_url(url))
    read_sqlite_whole(engine.dialect)  # SQLite's expression indexes and AUTOINCREMENT
    try:
        with engine.connect() as connection:
            inspector = sa.inspect(connection)
            state: State = {
                f"table {name}": _table(connection, inspector, name, rows)
                for name in sorted(inspector.get_table_names())
                if (tables is None or name in tables) and name not in BOOKKEEPING_TABLES
            }
            if connection.dialect.name == "postgresql":
                state["enum types"] = connection.exec_driver_sql(ENUMS).all()
                state["sequences"] = connection.exec_driver_sql(SEQUENCES).all()
                others = POSTGRESQL_OTHERS
            else:
                others = SQLITE_OTHERS
            state["views and triggers"] = [
                (kind, name, bare_sql(sql or ""))
                for kind, name, sql in connection.exec_driver_sql(others)
            ]
    finally:
        engine.dispose()
    return state


def _table(
    connection: sa.Connection, inspector: Inspector, name: str, rows: bool
) -> State:
    dialect = connection.dialect
    primary_key = inspector.get_pk_constraint(name)
    table: State = {
        # AUTOINCREMENT on SQLite: a table without it hands out a deleted id again.
        "options": sorted(inspector.get_table_options(name).items()),
        # By name: a column a downgrade adds back comes last, and no query can tell.
        "columns": sorted(
            (
                column["name"],
                str(column["type"].compile(dialect=dialect)),
                column["nullable"],
                bare_sql(str(column.get("default") or "")),
            )
            for column in inspector.get_columns(name)
        ),
        "primary key": (primary_key.get("name"), primary_key["constrained_columns"]),
        "foreign keys": sorted(
            (
                key["name"] or "",
                key["constrained_columns"],
                key["referred_table"],
                key["referred_columns"],
                sorted((key.get("options") or {}).items()),
            )
            for key in inspector.get_foreign_keys(name)
        ),
        "unique constraints": sorted(
            (unique["name"] or "", unique["column_names"])
            for unique in inspector.get_unique_constraints(name)
        ),
        "indexes": sorted(_index(index) for index in inspector.get_indexes(name)),
        "check constraints": sorted(
            (check["name"] or "", bare_sql(booleans_as_numbers(check["sqltext"])))
            for check in inspector.get_check_constraints(name)
        ),
    }
    if rows:
        table["rows"] = sorted(
            repr(tuple(row))
            for row in connection.execute(
                sa.text(f"SELECT * FROM {dialect.identifier_preparer.quote(name)}")
            )
        )
    return table


def _index(index: Any) -> tuple[Any, ...]:
    options = index.get("dialect_options", {})
    where = options.get("sqlite_where", options.get("postgresql_where"))
    return (
        index["name"] or "",
        [str(element) for element in index.get("expressions") or index["column_names"]],
        bool(index["unique"]),
        sorted((index.get("column_sorting") or {}).items()),
        bare_sql(booleans_as_numbers(str(where if where is not None else ""))),
    )


def difference(old: State, new: State) -> str | None:
    """The first part in which `new` differs from `old`, in words; None if none does.
    Parts come in the order read() reads them: tables, then what they use."""
    for part in [*old, *(part for part in new if part not in old)]:
        if part not in new:
            return f"{part} is missing"
        if part not in old:
            return f"{part} is new"
        if old[part] == new[part]:
            continue
        if isinstance(old[part], dict):
            inner = difference(old[part], new[part])
            return f"{part}, {inner}"
        if isinstance(old[part], list):  # rows, columns: name only those that differ
            return (
                f"{part}: {_shown(_only_in(new[part], old[part]))}, "
                f"not {_shown(_only_in(old[part], new[part]))}"
            )
        return f"{part}: {_shown(new[part])}, not {_shown(old[part])}"
    return None


def _only_in(items: list[Any], other: list[Any]) -> str:
    """The items of `items` (rows are their repr already) that `other` lacks, as many
    times as it lacks them."""
    lacking = Counter(map(str, items)) - Counter(map(str, other))
    return "[" + ", ".join(lacking.elements()) + "]"


def _shown(value: Any) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= SHOWN else text[: SHOWN - 3] + "..."

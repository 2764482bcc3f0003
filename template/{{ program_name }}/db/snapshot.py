"""What a database holds, schema and rows, in a form two databases of the same kind can be
compared by: `db squash` proves with it that the squashed history builds what the old
one built, `db check --scratch` that each downgrade gives back the schema its
revision started from, `db drift` how a database differs from what its history builds,
and `db adopt` which revision a database without one has. Each difference is named the
same way for all of them (differences())."""

from collections import Counter
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Inspector

from .engines import get_engine
from .portable.reflected import bare_sql, booleans_as_numbers
from .portable.sqlite_reflection import read_sqlite_whole
from .tables import MACHINERY_TABLES

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
_MACHINERY_PREFIXES = tuple(f"{table}_" for table in MACHINERY_TABLES)
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
                if (tables is None or name in tables) and name not in MACHINERY_TABLES
            }
            if connection.dialect.name == "postgresql":
                state["enum types"] = [
                    tuple(row) for row in connection.exec_driver_sql(ENUMS)
                ]
                state["sequences"] = [
                    tuple(row)
                    for row in connection.exec_driver_sql(SEQUENCES)
                    if not row[0].startswith(_MACHINERY_PREFIXES)  # their id's
                ]
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


# What one item of each part is called, in a difference; its name is the item's first
# field (a column's, an index's...), when every item has one.
_ITEMS = {
    "columns": "column",
    "foreign keys": "foreign key",
    "unique constraints": "unique constraint",
    "indexes": "index",
    "check constraints": "check constraint",
    "rows": "row",
    "enum types": "enum type",
    "sequences": "sequence",
    "views and triggers": "",  # each item says its kind: view, trigger, function...
}


@dataclass(frozen=True)
class Difference:
    """One way the database `found` differs from the `expected` one: a part (a table,
    a column, an index, an enum value...) is "extra", "missing" or "different"."""

    where: str  # "table account", "enum type mood"; "" for what stands alone
    what: str  # "column email", "index ix_account_name"; "" for the part itself
    kind: str
    found: str = ""
    expected: str = ""

    def __str__(self) -> str:
        subject = ": ".join(part for part in (self.where, self.what) if part)
        if self.kind == "different":
            return f"{subject} is {self.found}, not {self.expected}"
        shown = self.found or self.expected
        return f"{subject} is {self.kind}" + (f" ({shown})" if shown else "")


def differences(expected: State, found: State) -> list[Difference]:
    """Every way `found` differs from `expected`, a part at a time, in the order read()
    reads them: tables, then what they use."""
    result = []
    for part in [*expected, *(part for part in found if part not in expected)]:
        if part not in found:
            result.append(Difference(part, "", "missing"))
        elif part not in expected:
            result.append(Difference(part, "", "extra"))
        elif isinstance(expected[part], dict):
            for inner, value in expected[part].items():
                result += _items(part, inner, value, found[part].get(inner))
        else:
            result += _items("", part, expected[part], found[part])
    return result


def difference(old: State, new: State) -> str | None:
    """The first way `new` differs from `old`, in words; None if none does."""
    found = differences(old, new)
    return str(found[0]) if found else None


def _items(where: str, part: str, expected: Any, found: Any) -> list[Difference]:
    """How the items of one part (a table's columns, the enum types...) differ: by
    name when each has one, else as a whole."""
    if expected == found:
        return []
    noun = _ITEMS.get(part)
    if noun is None or not isinstance(expected, list) or not isinstance(found, list):
        # A table's primary key or options.
        return [Difference(where, part, "different", _shown(found), _shown(expected))]
    if not all(_named(item) for item in [*expected, *found]):  # rows
        return [
            Difference(where, f"{noun} {_shown(item)}", kind)
            for kind, items in (
                ("extra", _only_in(found, expected)),
                ("missing", _only_in(expected, found)),
            )
            for item in items
        ]
    want = {_name(item, noun): item for item in expected}
    have = {_name(item, noun): item for item in found}
    result = []
    for name in [*want, *(name for name in have if name not in want)]:
        if name not in have:
            result.append(
                Difference(where, name, "missing", expected=_rest(want[name], noun))
            )
        elif name not in want:
            result.append(
                Difference(where, name, "extra", found=_rest(have[name], noun))
            )
        elif part == "enum types":
            result += _enum_values(name, want[name][1], have[name][1])
        elif want[name] != have[name]:
            result.append(
                Difference(
                    where,
                    name,
                    "different",
                    _rest(have[name], noun),
                    _rest(want[name], noun),
                )
            )
    return result


def _enum_values(name: str, expected: list[str], found: list[str]) -> list[Difference]:
    """An enum type's values, one difference each; their order when only it differs."""
    extra = [value for value in found if value not in expected]
    missing = [value for value in expected if value not in found]
    if not extra and not missing and expected != found:
        return [
            Difference(name, "values", "different", _shown(found), _shown(expected))
        ]
    return [
        *(Difference(name, f"value {value!r}", "extra") for value in extra),
        *(Difference(name, f"value {value!r}", "missing") for value in missing),
    ]


def _named(item: Any) -> bool:
    return isinstance(item, tuple) and bool(item) and isinstance(item[0], str)


def _name(item: tuple[Any, ...], noun: str) -> str:
    """An item's name, with its kind: "column email", "view active_accounts"."""
    if not noun:
        return f"{item[0]} {item[1]}"  # views and triggers say their kind
    return f"{noun} {item[0]}" if item[0] else f"{noun} {_rest(item, noun)}"


def _rest(item: tuple[Any, ...], noun: str) -> str:
    """What an item is, beside its name, in SQL's words where it has them."""
    match noun, item:
        case "", _:  # a view's or a trigger's SQL, as bare as compared: no help
            return ""
        case "column", (_, type_, nullable, default):
            null = "NULL" if nullable else "NOT NULL"
            return " ".join([type_, null, *(["DEFAULT", default] if default else [])])
        case "index", (_, columns, unique, sorting, where):
            on = f"{'UNIQUE ' if unique else ''}ON ({', '.join(columns)})"
            return " ".join([on, *(f"{c} {o}" for c, o in sorting),
                             *(["WHERE", where] if where else [])])  # fmt: skip
        case "unique constraint", (_, columns):
            return f"({', '.join(columns)})"
        case "foreign key", (_, columns, table, referred, options):
            settings = "".join(f" {name.upper()} {value}" for name, value in options)
            return (
                f"({', '.join(columns)}) REFERENCES {table} ({', '.join(referred)})"
                + settings
            )
    return _shown(" ".join(map(str, item[1:])))


def _only_in(items: list[Any], other: list[Any]) -> list[str]:
    """The items of `items` (rows are their repr already) that `other` lacks, as many
    times as it lacks them."""
    lacking = Counter(map(str, items)) - Counter(map(str, other))
    return list(lacking.elements())


def _shown(value: Any) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= SHOWN else text[: SHOWN - 3] + "..."

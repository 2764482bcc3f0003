"""Which revisions the migration scripts and the database are at, read without Alembic.

db.migrate() runs at every start of the program. When the database is already at the
newest revision, this lets it return without importing Alembic and loading every
revision file. Anything out of the ordinary (branch labels, depends_on, a value that is
not a plain literal, an unreadable database) gives None, and migrate() asks Alembic:
this module is a shortcut, never a second opinion.
"""

import os
import re
import sqlite3
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import URL, create_engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

# Module-level assignments of the identifiers Alembic reads, with or without a type
# annotation; a parenthesised or bracketed value may span lines.
_IDENTIFIER = re.compile(
    rb"^(revision|down_revision|branch_labels|depends_on)\b[^=\n]*=[ \t]*"
    rb"(\([^)]*\)|\[[^\]]*\]|[^\n]*)",
    re.MULTILINE,
)
_PLAIN_STRING = re.compile(r"""(['"])([^'"\\]*)\1""")
# The files Alembic loads as revisions (alembic.script.base._only_source_rev_file).
_REVISION_FILE = re.compile(r"(?!\.\#|__init__)(.*\.py)$")
# What a value that is not a plain literal raises on the way to one.
_NOT_A_LITERAL = (ValueError, SyntaxError, UnicodeDecodeError)


def script_heads(versions: Path) -> frozenset[str] | None:
    """Return the head revisions of the scripts in `versions`, or None if unsure."""
    revisions: set[str] = set()
    parents: set[str] = set()
    if not versions.is_dir():
        return None
    # Bytes and os.scandir: this loop is most of the shortcut's cost at 1000 revisions.
    for entry in os.scandir(versions):
        if not _REVISION_FILE.match(entry.name):
            continue
        with open(entry.path, "rb") as file:
            identifiers = _read_identifiers(file.read())
        if identifiers is None:
            return None
        revision, down_revision = identifiers
        if revision in revisions:
            return None
        revisions.add(revision)
        parents.update(down_revision)
    if not revisions or not parents <= revisions:
        return None
    return frozenset(revisions - parents)


def _read_identifiers(source: bytes) -> tuple[str, tuple[str, ...]] | None:
    values = {}
    for name, value in _IDENTIFIER.findall(source):
        if name in values:
            return None
        try:
            values[name] = _literal(value.decode().strip())
        except _NOT_A_LITERAL:
            return None
    if values.get(b"branch_labels") or values.get(b"depends_on"):
        return None
    revision = values.get(b"revision")
    down = values.get(b"down_revision", ...)
    if not isinstance(revision, str) or down is ...:
        return None
    parents = () if down is None else (down,) if isinstance(down, str) else down
    if not isinstance(parents, (tuple, list)) or not all(
        isinstance(parent, str) for parent in parents
    ):
        return None
    return revision, tuple(parents)


def _literal(value: str) -> object:
    """The value of a Python literal; the common cases skip the parser, for speed."""
    if value == "None":
        return None
    if plain := _PLAIN_STRING.fullmatch(value):
        return plain.group(2)
    import ast  # tuples and lists, as in merge revisions

    return ast.literal_eval(value)


def database_heads(url: URL) -> frozenset[str] | None:
    """Return the revisions in the database's alembic_version table, or None if unsure.

    A database without the table has no revisions, as Alembic sees it.
    """
    if url.get_backend_name() == "sqlite":
        return _sqlite_heads(url)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return frozenset()
            rows = connection.execute(text("SELECT version_num FROM alembic_version"))
            return frozenset(row[0] for row in rows)
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()


def _sqlite_heads(url: URL) -> frozenset[str] | None:
    database = url.database
    if not database or database == ":memory:" or url.query:
        return None
    if not Path(database).exists():
        return frozenset()
    try:
        # Read-only: a read must never create the database file.
        connection = sqlite3.connect(f"file:{quote(database)}?mode=ro", uri=True)
        try:
            tables = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'"
            ).fetchall()
            if not tables:
                return frozenset()
            rows = connection.execute("SELECT version_num FROM alembic_version")
            return frozenset(row[0] for row in rows)
        finally:
            connection.close()
    except sqlite3.Error:
        return None


def at_head(versions: Path, url: URL) -> bool:
    """True only when the database is surely at the scripts' heads."""
    heads = script_heads(versions)
    return heads is not None and database_heads(url) == heads

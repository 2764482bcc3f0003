"""Which revisions the migration scripts and the database are at, read without Alembic.

db.migrate() runs at every start of the program. When the database is already at the
newest revision, this lets it return without importing Alembic and loading every
revision file. Anything out of the ordinary (branch labels, depends_on, a value that is
not a plain literal, an unreadable database) gives None, and migrate() asks Alembic:
this module is a shortcut, never a second opinion. Reading the files, it hashes them,
so a start at head still says which applied revision was edited since
(revision_hashes.py).
"""

import os
import re
import sqlite3
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import URL, create_engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from . import revision_hashes
from .tables import HISTORY_TABLE, VERSION_TABLE

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
    scripts = read_scripts(versions)
    return None if scripts is None else scripts[0]


def read_scripts(
    versions: Path,
) -> tuple[frozenset[str], dict[str, str | None]] | None:
    """The head revisions of the scripts in `versions`, and each revision's file hash
    (None for a squashed one); None if unsure."""
    hashes: dict[str, str | None] = {}
    parents: set[str] = set()
    if not versions.is_dir():
        return None
    # Bytes and os.scandir: this loop is most of the shortcut's cost at 1000 revisions.
    for entry in os.scandir(versions):
        if not _REVISION_FILE.match(entry.name):
            continue
        with open(entry.path, "rb") as file:
            source = file.read()
        identifiers = _read_identifiers(source)
        if identifiers is None:
            return None
        revision, down_revision = identifiers
        if revision in hashes:
            return None
        hashes[revision] = revision_hashes.compared(source)
        parents.update(down_revision)
    if not hashes or not parents <= hashes.keys():
        return None
    return frozenset(hashes.keys() - parents), hashes


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
    state = database_state(url)
    return None if state is None else state[0]


def database_state(url: URL) -> tuple[frozenset[str], dict[str, str]] | None:
    """The database's revisions, and the hash of each file it applied (revision_hashes.
    applied_hashes()); None if unsure."""
    if url.get_backend_name() == "sqlite":
        return _sqlite_state(url)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table(VERSION_TABLE):
                return frozenset(), {}
            rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))
            heads = frozenset(row[0] for row in rows)
            return heads, revision_hashes.applied_hashes(connection)
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()


def _sqlite_state(url: URL) -> tuple[frozenset[str], dict[str, str]] | None:
    database = url.database
    if not database or database == ":memory:" or url.query:
        return None
    if not Path(database).exists():
        return frozenset(), {}
    try:
        # Read-only: a read must never create the database file.
        connection = sqlite3.connect(f"file:{quote(database)}?mode=ro", uri=True)
        try:
            tables = {
                name
                for (name,) in connection.execute(
                    "SELECT name FROM sqlite_master WHERE name IN (?, ?)",
                    (VERSION_TABLE, HISTORY_TABLE),
                )
            }
            if VERSION_TABLE not in tables:
                return frozenset(), {}
            rows = connection.execute(f"SELECT version_num FROM {VERSION_TABLE}")
            heads = frozenset(row[0] for row in rows)
            applied = {}
            if HISTORY_TABLE in tables:
                history = connection.execute(revision_hashes.LAST_APPLIED).fetchall()
                applied = revision_hashes.applied_from(history)
            return heads, applied
        finally:
            connection.close()
    except sqlite3.Error:
        return None


def at_head(versions: Path, url: URL) -> bool:
    """True only when the database is surely at the scripts' heads."""
    return edited_at_head(versions, url) is not None


def edited_at_head(versions: Path, url: URL) -> list[str] | None:
    """When the database is surely at the scripts' heads, the revisions whose files
    differ from the ones it applied (most often none); None if it is not, or unsure."""
    scripts = read_scripts(versions)
    if scripts is None:
        return None
    state = database_state(url)
    if state is None or state[0] != scripts[0]:
        return None
    return revision_hashes.edited(state[1], scripts[1])

"""A hash of each revision file, and which files differ from the ones a database applied.

The history of applied revisions (applied.py) keeps each file's hash, and versions.lock
(versions_lock.py) keeps it for the checkout. A revision edited after some databases
applied it makes databases at the same revision differ: start-up says so, naming it.

No Alembic here: migrate()'s shortcut (shortcut.py) checks at every start.
"""

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, inspect, text

from .names import PROGRAM
from .tables import HISTORY_TABLE

# A squashed revision keeps the id of the last one it replaced, in another file: the
# databases that applied the old one are at the same schema (squash.py proves it).
_SQUASHED = re.compile(rb"^squashed\b", re.MULTILINE)
LAST_APPLIED = f"""
    SELECT revision, file_sha256, direction FROM {HISTORY_TABLE} ORDER BY id
"""


def sha256(content: bytes) -> str:
    """The hash of a revision file: the same for a checkout whose git writes CRLF."""
    return hashlib.sha256(content.replace(b"\r\n", b"\n")).hexdigest()


def compared(content: bytes) -> str | None:
    """The hash a revision file is compared by at start: None for a squashed one."""
    return None if _SQUASHED.search(content) else sha256(content)


def applied_hashes(connection: Connection) -> dict[str, str]:
    """Each revision the database has applied and not undone since, and the hash of
    the file it applied; empty without a history table."""
    if not inspect(connection).has_table(HISTORY_TABLE):
        return {}
    return applied_from(connection.execute(text(LAST_APPLIED)).all())


def applied_from(rows: Iterable[Sequence[Any]]) -> dict[str, str]:
    """applied_hashes() from the history's (revision, file_sha256, direction) rows, in
    the order they were written."""
    hashes: dict[str, str] = {}
    for revision, file_sha256, direction in rows:
        if direction == "downgrade" or file_sha256 is None:
            hashes.pop(revision, None)
        else:
            hashes[revision] = file_sha256
    return hashes


def edited(applied: dict[str, str], files: Mapping[str, str | None]) -> list[str]:
    """The revisions whose file (in `files`, by revision: its hash, or None for a
    squashed one) differs from the one the database applied."""
    return sorted(
        revision
        for revision, applied_hash in applied.items()
        if files.get(revision) not in (None, applied_hash)
    )


def edited_warning(revisions: list[str]) -> str:
    names = ", ".join(revisions)
    which = (
        f"Revisions {names} differ"
        if len(revisions) > 1
        else f"Revision {names} differs"
    )
    return (
        f"{which} from the file this database applied: a revision was edited after it "
        "was released, so databases at the same revision may differ. "
        f"`{PROGRAM} db drift` shows how this one does."
    )

"""Copies of a SQLite database, taken just before migrations change it.

A failed migration rolls back by itself; a successful one that drops the wrong column
does not. So before a run applies revisions to a SQLite file that already has some,
run.py has this module copy the file beside itself, inside the migration lock so that
processes starting together make one copy. The newest three are kept.
"""

import errno
import glob
import os
import re
import shutil
import sqlite3
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import URL

from .errors import DatabaseError, size
from .settings import MIGRATION_BACKUP_ENV, backups_kept, backups_on
from .timestamps import UTC

# The UTC time in a backup's name, which sorts as it reads: 20261125T120000123456Z.
STAMP_FORMAT = "%Y%m%dT%H%M%S%fZ"
_STAMP = re.compile(r"\d{8}T\d{12}Z")


def database_file(url: URL) -> Path | None:
    """The SQLite file to back up before migrating `url`, or None: not SQLite, not a
    file yet, or backups switched off."""
    if not backups_on():
        return None
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if url.query.get("mode") == "memory":
        return None
    backups_kept()  # a bad setting is refused before anything is migrated
    path = Path(url.database)
    return path if path.is_file() else None


def back_up(database: Path, revision: str) -> Path:
    """Copy `database` to <name>.<revision>.<UTC time>.bak beside it, consistently.

    SQLite's online backup API reads a consistent snapshot even while other
    connections are open; a plain file copy would not. An existing backup is never
    overwritten, and a copy that fails halfway leaves nothing behind.
    """
    stamp = datetime.now(UTC).strftime(STAMP_FORMAT)
    target = database.with_name(f"{database.name}.{revision}.{stamp}.bak")
    partial = target.with_name(f"{target.name}.partial")
    needed = database.stat().st_size
    try:
        if shutil.disk_usage(database.parent).free < needed:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        source = sqlite3.connect(f"file:{quote(str(database))}?mode=ro", uri=True)
        try:
            copy = sqlite3.connect(partial)
            try:
                source.backup(copy)
            finally:
                copy.close()
        finally:
            source.close()
        os.link(partial, target)  # unlike a rename, fails rather than overwrite
        partial.unlink()
    except (sqlite3.Error, OSError) as error:
        with suppress(OSError):
            partial.unlink(missing_ok=True)
        if _disk_full(error):
            free = shutil.disk_usage(database.parent).free
            reason = (
                f"the disk is full: the backup needs {size(needed)} in "
                f"{database.parent}, which has {size(free)} free"
            )
        else:
            reason = str(error)
        raise DatabaseError(
            f"Could not back up {database} before migrating ({reason}), so nothing "
            f"was migrated. Make room or fix the folder's permissions, or set "
            f"{MIGRATION_BACKUP_ENV}=0 to migrate without a backup."
        ) from error
    return target


def _disk_full(error: Exception) -> bool:
    if isinstance(error, OSError):
        return error.errno == errno.ENOSPC
    return "database or disk is full" in str(error)


def backups(database: Path) -> list[Path]:
    """The database's backups, newest first: by the time in their names, then by the
    files' own times (backups from before the names had one sort oldest)."""

    def age(path: Path) -> tuple[str, int]:
        stamp = path.name.split(".")[-2]
        return (stamp if _STAMP.fullmatch(stamp) else "", path.stat().st_mtime_ns)

    found = database.parent.glob(f"{glob.escape(database.name)}.*.bak")
    return sorted(found, key=age, reverse=True)


def prune(database: Path) -> None:
    for old in backups(database)[backups_kept() :]:
        old.unlink(missing_ok=True)

"""Bringing the schema up to date from the program: Alembic's configuration in code,
and migrate() for start-up, sync or async."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from . import revision_hashes, shortcut
from .errors import DatabaseError
from .names import PROGRAM
from .url import get_url, migration_url_variable, sync_url

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic's configuration for the program; alembic.ini names the same scripts for the
# `alembic` command. migrate()'s shortcut reads the scripts' location from here too.
ALEMBIC_OPTIONS = {
    "script_location": f"{PROGRAM}:migrations",
    "path_separator": "os",
}


def alembic_config() -> Config:
    """Return the Alembic configuration, built in code so it works from any directory.

    The scripts are found as a package resource, so this works the same in a checkout and
    in an installed wheel. alembic.ini at the project root points at the same place for
    the `alembic` command.
    """
    from alembic.config import Config

    config = Config()
    for option, value in ALEMBIC_OPTIONS.items():
        config.set_main_option(option, value)
    return config


def migrate(revision: str = "head") -> None:
    """Upgrade the database to `revision`; call it when the program starts.

    Costs next to nothing when the database is already at head: Alembic is not even
    imported. Safe to call from several processes at once, and from inside a running
    event loop. Raises DatabaseError, with the database left as it was, when the URL is
    unusable, the database cannot be reached or a migration fails.
    """
    if revision == "head":
        edited = _edited_at_head()
        if edited is not None:
            if edited:
                logging.getLogger(__name__).warning(
                    revision_hashes.edited_warning(edited)
                )
            return
    quiet_alembic()
    from alembic import command
    from alembic.util import CommandError

    config = alembic_config()
    # The host program owns logging: env.py must not replace its handlers.
    config.attributes["configure_logger"] = False
    try:
        command.upgrade(config, revision)
    except CommandError as error:
        raise DatabaseError(" ".join(str(error).split())) from None


async def migrate_async(revision: str = "head") -> None:
    """migrate() for an async program's start-up: it runs in a worker thread, so the
    event loop goes on with its other tasks while the database is migrated."""
    import asyncio  # here: a sync program never pays for it

    await asyncio.to_thread(migrate, revision)


def quiet_alembic() -> None:
    """Keep what Alembic says of itself out of the program's log: its "setup plugin"
    lines, unless the program asked for them, and its start-up remarks ("Context impl
    SQLiteImpl.", "Will assume transactional DDL."). Which revisions ran stays."""
    plugins = logging.getLogger("alembic.runtime.plugins")
    if plugins.level == logging.NOTSET:
        plugins.setLevel(logging.WARNING)
    runtime = logging.getLogger("alembic.runtime.migration")
    if _not_a_start_up_remark not in runtime.filters:
        runtime.addFilter(_not_a_start_up_remark)


def _not_a_start_up_remark(record: logging.LogRecord) -> bool:
    return not str(record.msg).startswith(("Context impl", "Will assume"))


def _edited_at_head() -> list[str] | None:
    """When the database is surely at head already (see shortcut.py), the revisions
    edited since it applied them; None if it is not, or unsure."""
    known = {"script_location", "path_separator"}
    package, _, scripts = ALEMBIC_OPTIONS["script_location"].partition(":")
    if package != __package__.partition(".")[0] or set(ALEMBIC_OPTIONS) != known:
        return None  # a layout the shortcut does not know: let Alembic decide
    try:
        versions = Path(__file__).parents[1] / scripts / "versions"
        url = get_url(migration_url_variable())
        return shortcut.edited_at_head(versions, sync_url(url))
    except Exception:  # noqa: BLE001 - any doubt means: let Alembic decide
        return None

"""The history of the revisions applied to a database, in `alembic_history` beside
`alembic_version`: which revision, the one it follows, its phase, a hash of its file,
when, how long it took, which host and process, and whether it went up or down.

Migrations write it in the same transaction as each revision (run.py). A database
migrated before the table existed gets its history started from its current revision
on its first run that migrates.

With it, the release still running in a rolling deploy, or the one a rollback brings
back, can start on a database a newer release migrated: when everything applied after
its own head is expand (phases.py), it starts without migrating (newer_release()).
"""

import datetime as dt
import os
import socket
from collections.abc import Collection
from pathlib import Path

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext, MigrationInfo
from alembic.script import Script, ScriptDirectory
from alembic.util import CommandError

from . import revision_hashes
from .errors import MigrationRefused
from .names import PROGRAM
from .phases import phase_of
from .tables import HISTORY_TABLE

_metadata = sa.MetaData()
history = sa.Table(
    HISTORY_TABLE,
    _metadata,
    sa.Column("id", sa.Integer),
    sa.Column("revision", sa.String(32), nullable=False),
    sa.Column("follows", sa.String(200)),
    sa.Column("phase", sa.String(10), nullable=False),
    sa.Column("file_sha256", sa.String(64)),
    sa.Column("direction", sa.String(10), nullable=False),
    sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("seconds", sa.Float, nullable=False),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    # Named as Alembic names alembic_version's, the same on every database.
    sa.PrimaryKeyConstraint("id", name=f"{HISTORY_TABLE}_pkc"),
)


def start(
    connection: sa.Connection, heads: Collection[str], scripts: ScriptDirectory
) -> None:
    """Make the table if it is missing; start the history of a database that has
    revisions but no history from those revisions."""
    history.create(connection, checkfirst=True)
    if connection.execute(sa.select(history.c.id).limit(1)).first() is not None:
        return
    for head in heads:
        script = _script(scripts, head)
        _insert(connection, head, script, "baseline", 0.0)


def record(ctx: MigrationContext, step: MigrationInfo, seconds: float) -> None:
    """Alembic's on_version_apply, through run.py: a row for each revision `step`
    applies, undoes or stamps."""
    if ctx.as_sql or ctx.connection is None:
        return
    direction = "upgrade" if step.is_upgrade else "downgrade"
    if step.is_stamp:
        direction = "stamp"
    for revision in step.up_revision_ids:
        script = step.revision_map.get_revision(revision)
        known = script if isinstance(script, Script) else None
        _insert(ctx.connection, revision, known, direction, seconds)


def _insert(
    connection: sa.Connection,
    revision: str,
    script: Script | None,
    direction: str,
    seconds: float,
) -> None:
    down = script.down_revision if script is not None else None
    follows = " ".join(down) if isinstance(down, tuple) else down
    connection.execute(
        history.insert().values(
            revision=revision,
            follows=follows,
            phase=phase_of(script) if script is not None else "expand",
            file_sha256=_sha256(script),
            direction=direction,
            applied_at=dt.datetime.now(dt.UTC),
            seconds=seconds,
            host=socket.gethostname(),
            pid=os.getpid(),
        )
    )


def _sha256(script: Script | None) -> str | None:
    if script is None or not script.path:
        return None
    return revision_hashes.sha256(Path(script.path).read_bytes())


def file_hashes(scripts: ScriptDirectory) -> dict[str, str | None]:
    """Each revision's file hash, None for a squashed one (revision_hashes.py)."""
    return {
        script.revision: revision_hashes.compared(Path(script.path).read_bytes())
        for script in scripts.walk_revisions()
    }


def edited(connection: sa.Connection, scripts: ScriptDirectory) -> list[str]:
    """The revisions whose file differs from the one the database applied."""
    applied = revision_hashes.applied_hashes(connection)
    return revision_hashes.edited(applied, file_hashes(scripts)) if applied else []


def _script(scripts: ScriptDirectory, revision: str) -> Script | None:
    try:
        return scripts.get_revision(revision)
    except CommandError:
        return None


def known(scripts: ScriptDirectory, revision: str) -> bool:
    """Whether the history has `revision`."""
    return _script(scripts, revision) is not None


def newer_release(context: MigrationContext, scripts: ScriptDirectory) -> str | None:
    """When the database is at revisions this program does not know: one line to log
    if everything applied after this program's head is expand, so the program may
    start without migrating; MigrationRefused, naming the first contract revision, if
    not. None when the database is at revisions this program knows, or has no
    history to tell."""
    current = context.get_current_heads()
    unknown = [head for head in current if _script(scripts, head) is None]
    connection = context.connection
    if not unknown or connection is None:
        return None
    if not sa.inspect(connection).has_table(HISTORY_TABLE):
        return None
    ours = set(scripts.get_heads())
    rows = connection.execute(
        sa.select(history.c.revision, history.c.phase, history.c.direction).order_by(
            history.c.id
        )
    ).all()
    last_ours = max(
        (i for i, row in enumerate(rows) if row.revision in ours), default=None
    )
    if last_ours is None:
        return None  # our head was never applied here: squash.py says what to do
    later = [row for row in rows[last_ours + 1 :] if row.direction == "upgrade"]
    if not set(unknown) <= {row.revision for row in later}:
        return None  # not reached by recorded upgrades (a stamp, a hand-set version)
    contract = next((row for row in later if row.phase == "contract"), None)
    mine = ", ".join(sorted(ours))
    at = ", ".join(current)
    if contract is not None:
        raise MigrationRefused(
            f"The database is at {at}, newer than this {PROGRAM}'s head {mine}, and "
            f"contract revision {contract.revision} was applied after it: this "
            f"release cannot run on it. Deploy the release that has {at}."
        )
    return (
        f"The database is at {at}, newer than this {PROGRAM}'s head {mine}, by expand "
        "revisions only: starting without migrating."
    )

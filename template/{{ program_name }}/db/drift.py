"""`db drift`: is the database what its own history builds at the revision it is at?

alembic_version says which revision a database is at, not whether it is what that
revision describes: an index added by hand, a column a failed manual fix left behind,
a revision edited after it was applied. The history up to the database's revision is
built on a scratch database of the same kind (scratch.scratch_like()) and the two are
compared by the comparison `db squash` and `db check --scratch` use (snapshot.py).
Neither database is changed. `db check` compares the models with the database instead.
"""

from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.exc import SQLAlchemyError

from . import applied, snapshot, sqlite
from .engines import connect, get_engine
from .errors import DatabaseError, one_line
from .names import PROGRAM
from .scratch import migrating_only, quiet_migrations, scratch_like
from .upgrade import quiet_alembic
from .url import get_url, migration_url_variable, sync_url


@dataclass
class Drift:
    database: str  # its URL, without the password
    revisions: list[str]
    differences: list[snapshot.Difference]
    edited: list[str]  # revisions whose file differs from the one it applied

    def lines(self) -> list[str]:
        return [
            *map(str, self.differences),
            *(
                f"revision {revision}: its file differs from the one the database "
                "applied"
                for revision in self.edited
            ),
        ]

    def as_json(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "revisions": self.revisions,
            "differences": [asdict(each) for each in self.differences],
            "edited_revisions": self.edited,
        }


def database_url() -> sa.URL:
    """The database the `db` commands work on, as migrations reach it; one line if it
    is a SQLite file that does not exist yet."""
    url = sync_url(get_url(migration_url_variable(), create=False))
    missing = sqlite.not_created_yet(url)
    if missing:
        raise DatabaseError(f"No database yet: {missing} does not exist.")
    return url


def revisions(
    url: sa.URL, scripts: ScriptDirectory | None = None
) -> tuple[list[str], list[str]]:
    """The database's revisions, and, given the history's `scripts`, those whose file
    differs from the one it applied."""
    engine = get_engine(url)
    try:
        with connect(engine) as connection:
            heads = list(MigrationContext.configure(connection).get_current_heads())
            edited = applied.edited(connection, scripts) if scripts else []
            return heads, edited
    finally:
        engine.dispose()


def drift(config: Config) -> Drift:
    """Compare the database with what its history builds at its revisions."""
    quiet_alembic()  # its remarks on each connection would bury the answer
    url = database_url()
    where = url.render_as_string(hide_password=True)
    scripts = ScriptDirectory.from_config(config)
    try:
        heads, edited = revisions(url, scripts)
        if not heads:
            raise CommandError(
                f"{where} has no revision in alembic_version: `{PROGRAM} db adopt` "
                "finds the revision whose schema it has, and records it."
            )
        unknown = [head for head in heads if not applied.known(scripts, head)]
        if unknown:
            raise CommandError(
                f"{where} is at {', '.join(unknown)}, which this history does not "
                f"have: run `{PROGRAM} db drift` from the release that applied it."
            )
        found = snapshot.read(url.render_as_string(hide_password=False), rows=False)
        with scratch_like(url) as scratch, migrating_only(scratch), quiet_migrations():
            for head in heads:
                command.upgrade(config, head)
            expected = snapshot.read(scratch, rows=False)
    except SQLAlchemyError as error:
        raise DatabaseError(f"Could not compare {where}: {one_line(error)}") from None
    return Drift(where, heads, snapshot.differences(expected, found), edited)

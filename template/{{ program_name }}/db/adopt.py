"""`db adopt`: bring a database made without the history (by create_all(), an older
tool or by hand) under it, by finding the revision whose schema it has.

`alembic stamp head` is a guess. Here the history is built on a scratch database of the
same kind, one revision at a time, and after each the scratch database is compared
with this one (snapshot.py, as `db drift` compares): the newest revision it equals is
stamped. When none does, nothing is stamped, and the closest revision is named with
its differences. The schema is never changed.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import Script, ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.exc import SQLAlchemyError

from . import snapshot
from .drift import database_url, revisions
from .errors import DatabaseError, one_line
from .names import PROGRAM
from .scratch import migrating_only, move, quiet_migrations, scratch_like
from .upgrade import quiet_alembic


@dataclass
class Step:
    """The scratch database after one more revision: its revisions, and how it differs
    from the database to adopt."""

    script: Script
    heads: tuple[str, ...]
    differences: list[snapshot.Difference]


def adopt(config: Config) -> list[str]:
    """Stamp the revision whose schema the database has; return what to tell. Raise
    CommandError, naming the closest revision and its differences, when none has."""
    quiet_alembic()  # its remarks on each connection would bury the answer
    url = database_url()
    where = url.render_as_string(hide_password=True)
    try:
        at, _ = revisions(url)
        if at:
            raise CommandError(
                f"{where} is at revision {', '.join(at)} already: "
                f"`{PROGRAM} db drift` compares it with its history."
            )
        found = snapshot.read(url.render_as_string(hide_password=False), rows=False)
        if not any(part.startswith("table ") for part in found):
            raise CommandError(
                f"{where} has no tables: `{PROGRAM} db upgrade` builds it from the start."
            )
        steps = _walk(config, url, found)
    except SQLAlchemyError as error:
        raise DatabaseError(f"Could not adopt {where}: {one_line(error)}") from None
    matches = [i for i, step in enumerate(steps) if not step.differences]
    if not matches:
        closest = min(
            reversed(steps), key=lambda step: len(step.differences), default=None
        )
        if closest is None:
            raise CommandError("The history has no revision to adopt the database at.")
        heading = (
            f"No revision's schema is that of {where}; nothing was stamped. "
            f"The closest is {_named(closest)}, from which it differs:"
        )
        lines = [f"  {difference}" for difference in closest.differences]
        raise CommandError("\n".join([heading, *lines]))
    match = steps[matches[-1]]
    command.stamp(config, list(match.heads))
    told = [f"{where} has the schema of {_named(match)}: stamped it."]
    # Revisions that only write rows (a seed) leave the schema as it was: the schema
    # cannot tell whether their rows are there.
    first = matches[-1]
    while first > 0 and not steps[first - 1].differences:
        first -= 1
    if first < matches[-1]:
        earliest = steps[first]
        told.append(
            f"{_named(earliest, first_word=True)} builds the same schema, and the "
            "revisions after it "
            "change only rows: if the database lacks their rows, run "
            f"`{PROGRAM} db stamp --purge {' '.join(earliest.heads)}` and "
            f"`{PROGRAM} db upgrade` instead."
        )
    return told


def _walk(config: Config, url: sa.URL, found: snapshot.State) -> list[Step]:
    """Build the history on a scratch database one revision at a time, comparing it
    with `found` after each."""
    scripts = ScriptDirectory.from_config(config)
    steps = []
    with scratch_like(url) as scratch, migrating_only(scratch), quiet_migrations():
        state, prints = (
            snapshot.read(scratch, rows=False),
            snapshot.fingerprints(scratch),
        )
        for script in reversed(list(scripts.walk_revisions("base", "heads"))):
            move(config, scripts, script.revision, scripts._upgrade_revs)
            now = snapshot.fingerprints(scratch)
            state, prints = snapshot.reread(state, prints, now, scratch), now
            heads = tuple(revisions(sa.make_url(scratch))[0])
            steps.append(Step(script, heads, snapshot.differences(state, found)))
    return steps


def _named(step: Step, *, first_word: bool = False) -> str:
    revision = "Revision" if first_word else "revision"
    return f"{revision} {step.script.revision} ({step.script.doc})"

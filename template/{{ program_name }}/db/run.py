"""One migration run, watched: env.py learns what Alembic is about to do before it does.

When the run is about to apply (or undo) revisions, it says which database, and on
SQLite backs the file up first (backup.py). When the run fails, it says whether a
migration failed and was rolled back, or the database could not even be read.
"""

import logging
import time
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext, MigrationInfo, RevisionStep
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Connection

from . import applied, backup, online, phases, revision_hashes, sqlite
from .errors import (
    INSUFFICIENT_PRIVILEGE,
    MigrationRefused,
    one_line,
    sqlstate,
    with_statement,
)
from .settings import MIGRATION_DATABASE_URL_ENV, migration_phase

log = logging.getLogger(__name__)


class Run:
    """Watch the runs Alembic makes on one database: on PostgreSQL a run whose table lock
    timed out is tried again (table_locks.py), and the tries are one run to watch."""

    url: URL
    database: Path | None
    context: MigrationContext

    def __init__(self) -> None:
        # Read before connecting: a bad value is one line, and nothing is migrated.
        self.phase = migration_phase()
        self.migrating = False
        self.backup: Path | None = None
        self.steps: list[RevisionStep] = []
        self.done = 0
        self.edits_told = False

    def watch(self, context: MigrationContext, scripts: ScriptDirectory) -> None:
        """Watch the run `context` is about to make, of the revisions in `scripts`."""
        self.scripts = scripts
        assert context.connection is not None  # a run has one, or --sql's stand-in
        self.url = context.connection.engine.url
        self.context = context
        self.done = 0
        plan = context._migrations_fn  # what Alembic is about to run (no public hook)
        database = None if context.as_sql else backup.database_file(self.url)
        self.database = database

        def watched_plan(
            heads: tuple[str, ...], migration_context: MigrationContext
        ) -> list[RevisionStep]:
            assert plan is not None  # Alembic asserts as much before it calls it
            steps = list(plan(heads, migration_context))
            if self.phase == "expand":
                steps = phases.stop_before_contract(steps)
            self.steps = steps
            connection = migration_context.connection
            if steps and connection is not None and not migration_context.as_sql:
                # Each attempt: a retried one starts again from a rolled-back state.
                applied.start(connection, heads, self.scripts)
            self.step_started = time.monotonic()
            if steps and not self.migrating:
                self.migrating = True
                log.info("Migrating %s", self.where)
                if database and heads:  # a file that has revisions already
                    self.backup = backup.back_up(database, "+".join(sorted(heads)))
                    log.info("Backed up %s to %s", database, self.backup)
            return steps

        context._migrations_fn = watched_plan

    def applied(
        self,
        ctx: MigrationContext,
        step: MigrationInfo,
        heads: Collection[Any],
        run_args: Mapping[str, Any],
    ) -> None:
        """Alembic's on_version_apply hook: one more revision applied, and recorded in
        the database's history of applied revisions, in the same transaction."""
        self.done += 1
        now = time.monotonic()
        applied.record(ctx, step, now - self.step_started)
        self.step_started = now

    def tell_edits(self, connection: Connection, scripts: ScriptDirectory) -> None:
        """Warn, once per run, of revisions edited since the database applied them."""
        if self.edits_told:
            return
        self.edits_told = True
        edited = applied.edited(connection, scripts)
        if edited:
            log.warning(revision_hashes.edited_warning(edited))

    @property
    def where(self) -> str:
        return self.url.render_as_string(hide_password=True)

    def failure(self, error: Exception) -> str:
        """One line for a database error that ended the run."""
        if isinstance(error, MigrationRefused):
            reason: str | None = str(error)  # one line already
        else:
            reason = sqlite.explain(error, self.url) or self._not_allowed(error)
        if self.migrating:
            failed = reason or with_statement(error)
            if self.context.opts.get(online.COMMITTED):
                return (
                    f"Migration failed{self._at()}, in its steps outside a transaction: "
                    f"the revisions before it are applied, and `upgrade` finishes it "
                    f"once the cause is fixed: {failed}"
                )
            return f"Migration failed and was rolled back{self._at()}: {failed}"
        return reason or f"Could not read {self.where}: {one_line(error)}"

    def _not_allowed(self, error: Exception) -> str | None:
        """A role that may use the data but not change the schema: the program's own,
        where migrations should connect as the schema's owner."""
        if sqlstate(error) != INSUFFICIENT_PRIVILEGE:
            return None
        role = self.url.username or "of this login"
        return (
            f"The role {role} may not change the schema of {self.where} "
            f"({one_line(error)}): migrate as the role that owns it, by setting "
            f"{MIGRATION_DATABASE_URL_ENV} to its URL."
        )

    def _at(self) -> str:
        """Which revision failed: the step after the last one applied."""
        if self.done >= len(self.steps):
            return ""
        script = getattr(self.steps[self.done], "revision", None)
        if script is None:
            return ""
        return f" at revision {script.revision} ({script.doc})"

    def succeeded(self) -> None:
        # Only a run that made a backup, of its database file, makes room for it.
        if self.backup and self.database:
            backup.prune(self.database)

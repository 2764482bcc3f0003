"""`db squash REVISION`: fold the history from its first revision up to REVISION into one
revision, and prove it before keeping it.

Every new database, and every CI run, replays the whole history, and its oldest
revisions may no longer even import. The squashed revision keeps REVISION's id, starts
from nothing, and builds what the old revisions built on an empty database: the schema,
enum types included, and the rows their data migrations inserted. It is written from a
scratch database that the old history built (squashed_revision.py), in the same portable
operations autogenerate writes.

Before the file is kept, scratch databases built by the old history and by the new one
(in a copy of the migrations folder) are compared, schema and rows (snapshot.py): at
REVISION, at the newest revisions, and after the new history goes down to base and back
up. On SQLite, and on PostgreSQL too when TEST_<URL variable> names a server. Only then
does the new file enter versions/ and the old ones leave it (git keeps them); if
anything differs, the checkout is as it was.
"""

import logging
import shutil
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from alembic.util import CommandError, to_tuple
from sqlalchemy import MetaData

from . import applied, scratch, snapshot, versions_lock
from .declared import record_history
from .errors import DatabaseError
from .names import PROGRAM
from .old_history import read_source
from .squashed_revision import SQUASHED, run_write_hooks, write_revision

log = logging.getLogger(__name__)

DEFAULT_MESSAGE = "Squashed history"


def squash(
    config: Config, models: MetaData, revision: str, message: str | None = None
) -> Path:
    """Replace the revisions from base up to `revision` with one; return its path.
    `models` are the program's, whose own default constructs the revision calls.

    Raises CommandError, one line, with the versions folder as it was, when `revision`
    is not on a straight line from base or the new history builds something else.
    """
    scripts = ScriptDirectory.from_config(config)
    chain = straight_chain(scripts, revision)
    target = chain[-1]
    log.info("Squashing %d revisions, up to %s", len(chain), target.revision)
    with (
        tempfile.TemporaryDirectory(prefix=f"{PROGRAM}-squash-") as folder,
        ExitStack() as scratch_databases,
        scratch.quiet_migrations(),
    ):
        work = Path(folder)
        source = f"sqlite:///{work / 'source.db'}"
        declared = record_history(config, source, target.revision)
        tables, rows = read_source(source, declared, models)
        old = {
            name: _history(config, url, target.revision)
            for name, url in _scratch_databases(work, "old", scratch_databases)
        }
        # The new history is proved in a copy: until it is, the checkout is untouched,
        # whatever stops the squash.
        proving = _config_for(config, _copy_without(scripts, chain, work / "new"))
        draft = write_revision(
            ScriptDirectory.from_config(proving),
            target,
            message or DEFAULT_MESSAGE,
            tables,
            rows,
            replaced(chain),
        )
        for name, url in _scratch_databases(work, "new", scratch_databases):
            new = _history(proving, url, target.revision, round_trip=True)
            _compare(name, target.revision, old[name], new)
        path = _replace(chain, draft, scripts)
        removed = {script.revision for script in chain} - {target.revision}
        versions_lock.after_squash(
            ScriptDirectory.from_config(config), removed, target.revision
        )
    log.info("Wrote %s; the %d files it replaces left versions/", path, len(chain))
    return path


def replaced(chain: list[Script]) -> list[str]:
    """The ids the squashed revision replaces: the chain's, and those an earlier squash
    folded into it, so a database at one of those is still told what to do."""
    ids: list[str] = []
    for script in chain:
        ids += [*getattr(script.module, SQUASHED, ()), script.revision]
    return list(dict.fromkeys(ids))


def _replace(chain: list[Script], draft: Path, scripts: ScriptDirectory) -> Path:
    """Put the proved revision in versions/ and take the old ones out; if that fails
    halfway, put versions/ back as it was."""
    old = {Path(script.path): Path(script.path).read_bytes() for script in chain}
    path = Path(scripts.versions, draft.name)
    try:
        shutil.copyfile(draft, path)
        run_write_hooks(path, scripts)
        for file in old:
            if file != path:
                file.unlink()
    except BaseException:
        path.unlink(missing_ok=True)
        for file, content in old.items():
            file.write_bytes(content)
        raise
    return path


def straight_chain(scripts: ScriptDirectory, revision: str) -> list[Script]:
    """The revisions from base up to `revision`, oldest first; CommandError when they
    are not one straight line of plain revisions."""
    target = scripts.get_revision(revision)
    if target is None:
        raise CommandError(f"There is no revision {revision!r} to squash up to.")
    chain = [target]
    while chain[-1].down_revision is not None:
        script = chain[-1]
        if script.is_merge_point:
            merged = ", ".join(script.down_revision or ())
            _refuse(revision, f"{script.revision} merges {merged}")
        parent = scripts.get_revision(str(script.down_revision))
        assert parent is not None  # Alembic's map holds every down_revision
        if len(parent.nextrev) > 1:
            branches = ", ".join(sorted(parent.nextrev))
            _refuse(revision, f"the history branches at {parent.revision} ({branches})")
        chain.append(parent)
    chain.reverse()
    for script in chain:
        if script.dependencies:
            depends = ", ".join(sorted(to_tuple(script.dependencies)))
            _refuse(revision, f"{script.revision} depends on {depends}")
        # The revision that declares a label; Alembic lends it to every ancestor.
        declared_labels = to_tuple(getattr(script.module, "branch_labels", None))
        if declared_labels:
            labels = ", ".join(sorted(declared_labels))
            _refuse(revision, f"{script.revision} carries the branch label {labels}")
    if len(chain) == 1:
        raise CommandError(
            f"{target.revision} is the first revision: there is nothing to squash."
        )
    removed = {script.revision for script in chain[:-1]}
    for script in scripts.walk_revisions():
        needs = removed & set(to_tuple(script.dependencies, default=()))
        if needs and script not in chain:
            _refuse(
                revision, f"{script.revision} depends on {', '.join(sorted(needs))}"
            )
    return chain


def _refuse(revision: str, why: str) -> None:
    raise CommandError(
        f"Cannot squash up to {revision}: it is not on a straight line from base "
        f"({why}). Nothing was changed."
    )


def refuse_squashed_away(context: MigrationContext, scripts: ScriptDirectory) -> None:
    """Raise DatabaseError when the database is at a revision `db squash` folded away:
    no revision leads from it any more."""
    unknown = [
        head for head in context.get_current_heads() if not applied.known(scripts, head)
    ]
    if not unknown:
        return
    for script in scripts.walk_revisions():
        for head in unknown:
            if head in getattr(script.module, SQUASHED, ()):
                raise DatabaseError(
                    f"The database is at revision {head}, which was squashed into "
                    f"revision {script.revision}, so this version of {PROGRAM} cannot "
                    "upgrade it. Upgrade it first with a version from before the "
                    f"squash (one that has revision {head}), then with this one. "
                    "The database was not changed."
                )


def _history(
    config: Config, url: str, revision: str, *, round_trip: bool = False
) -> list[snapshot.State]:
    """The states a history gives an empty database: at `revision`, at its heads, and,
    with `round_trip`, at its heads again after going down to base and back."""
    _migrate(config, url, command.upgrade, revision)
    states = [snapshot.read(url)]
    _migrate(config, url, command.upgrade, "heads")
    states.append(snapshot.read(url))
    if round_trip:
        _migrate(config, url, command.downgrade, "base")
        _migrate(config, url, command.upgrade, "heads")
        states.append(snapshot.read(url))
    return states


def _compare(
    database: str, revision: str, old: list[snapshot.State], new: list[snapshot.State]
) -> None:
    where = [f"at {revision}", "at the newest revisions", "after down to base and up"]
    for at, old_state, new_state in zip(where, [*old, old[-1]], new, strict=False):
        difference = snapshot.difference(old_state, new_state)
        if difference:
            raise CommandError(
                f"The squashed history builds something else than the old one on a "
                f"scratch {database} database, {at}: {difference}. Nothing was changed."
            )
    log.info("On a scratch %s database, the squashed history builds the same", database)


def _migrate(
    config: Config, url: str, run: Callable[[Config, str], None], revision: str
) -> None:
    # Alembic's command reads alembic.ini's logging sections on every run: not here.
    config.attributes["configure_logger"] = False
    with scratch.migrating_only(url):
        run(config, revision)


def _scratch_databases(
    work: Path, name: str, stack: ExitStack
) -> list[tuple[str, str]]:
    """A scratch SQLite file, and a throwaway database on the TEST_ PostgreSQL server
    when one is named, dropped when `stack` closes: (what it is, its URL)."""
    databases = [("SQLite", f"sqlite:///{work / f'{name}.db'}")]
    server = scratch.postgresql_server()
    if server is not None:
        url = stack.enter_context(scratch.throwaway_database(server))
        databases.append(("PostgreSQL", url.render_as_string(hide_password=False)))
    return databases


def _copy_without(scripts: ScriptDirectory, chain: list[Script], folder: Path) -> Path:
    """A copy of the migrations folder, env.py and all, without the revisions in
    `chain`."""
    leave_out = {Path(script.path).name for script in chain}
    return Path(
        shutil.copytree(
            scripts.dir,
            folder,
            ignore=lambda _, names: [
                name for name in names if name in leave_out or name == "__pycache__"
            ],
        )
    )


def _config_for(config: Config, scripts: Path) -> Config:
    """`config`, for the migrations in `scripts`."""
    copy = Config(config.config_file_name, cmd_opts=config.cmd_opts)
    copy.set_main_option("script_location", str(scripts))
    copy.set_main_option("version_locations", str(scripts / "versions"))
    copy.attributes.update(config.attributes)
    return copy

"""`db check --previous REF`: would the previous release (its models at the git revision
REF, the last release tag) still work on the schema at head?

During a rolling deploy the previous release runs on the new schema. On a scratch
SQLite database brought to REF's head, then up one revision at a time to head, after
each revision: every table and column the previous models map must exist, with a type
of the same kind; every NOT NULL column without a default must be one they write; a
SELECT of each previous model and an INSERT of one row of each, with the values they
require, must succeed. Each failure is one line naming the table, the column and the
revision that caused it: a contract change that was marked expand shows up here.
"""

import datetime as dt
import subprocess
import tempfile
import types
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import Script, ScriptDirectory
from alembic.util import CommandError

from .. import models
from .destructive import same_kind
from .engines import get_engine
from .errors import one_line
from .names import PROGRAM
from .scratch import (
    migrating_only,
    postgresql_server,
    quiet_migrations,
    throwaway_database,
)


def check_previous(config: Config, ref: str) -> None:
    """Raise CommandError, a line per failure, when the models at `ref` would fail on
    a database at head: a scratch SQLite file, and a throwaway database on the server
    TEST_<URL variable> names, when it is set."""
    previous = _previous_metadata(ref)
    scripts = ScriptDirectory.from_config(config)
    start = _previous_head(ref, scripts)
    later = list(scripts.iterate_revisions("heads", start.revision))[::-1]
    found: dict[str, Script | None] = {}
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/previous.db"
        _step(config, url, "SQLite", previous, start, later, found)
    server = postgresql_server()
    if server is not None:
        with throwaway_database(server) as database:
            url = database.render_as_string(hide_password=False)
            _step(config, url, "PostgreSQL", previous, start, later, found)
    if found:
        raise CommandError(
            "\n".join(
                f"The models at {ref}, on {failure}, "
                + (
                    f"since revision {s.revision} ({s.doc})"
                    if s
                    else f"at {ref} already"
                )
                for failure, s in found.items()
            )
        )


def _step(
    config: Config,
    url: str,
    database: str,
    previous: sa.MetaData,
    start: Script,
    later: list[Script],
    found: dict[str, Script | None],
) -> None:
    """Bring the scratch database at `url` to `start`, then up one revision at a
    time, noting each failure with the revision it first appeared after."""
    with migrating_only(url), quiet_migrations():
        command.upgrade(config, start.revision)
        for failure in _failures(url, previous):
            found.setdefault(f"{database}: {failure}", None)
        for script in later:
            if script.revision == start.revision:
                continue
            command.upgrade(config, script.revision)
            for failure in _failures(url, previous):
                found.setdefault(f"{database}: {failure}", script)


def _git(*args: str) -> str:
    where = Path(models.__file__).parent
    try:
        return subprocess.run(
            ["git", *args], cwd=where, capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        detail = str(getattr(error, "stderr", "") or error).strip()
        first = detail.splitlines()[0] if detail else str(error)
        raise CommandError(f"Cannot read {args[-1]} from git: {first}") from error


def _in_git(path: Path) -> str:
    top = Path(_git("rev-parse", "--show-toplevel").strip())
    return path.resolve().relative_to(top.resolve()).as_posix()


def _previous_metadata(ref: str) -> sa.MetaData:
    """The models' metadata as models.py declared it at `ref`."""
    source = _git("show", f"{ref}:{_in_git(Path(models.__file__))}")
    module = types.ModuleType(f"{PROGRAM}._models_at_{uuid.uuid4().hex}")
    # The project's own models, from its own git history.
    exec(compile(source, f"{ref}:models.py", "exec"), module.__dict__)  # noqa: S102
    base = getattr(module, "Base", None)
    metadata = getattr(base, "metadata", None)
    if not isinstance(metadata, sa.MetaData):
        raise CommandError(f"models.py at {ref} has no Base with a metadata.")
    return metadata


def _previous_head(ref: str, scripts: ScriptDirectory) -> Script:
    """The newest revision whose file the release at `ref` had."""
    folder = _in_git(Path(scripts.dir) / "versions")
    # --full-tree: from a subfolder, ls-tree would list only what lies under it.
    listed = _git("ls-tree", "--full-tree", "--name-only", f"{ref}:{folder}")
    names = {Path(name).name for name in listed.split()}
    had = [s for s in scripts.walk_revisions() if s.path and Path(s.path).name in names]
    followed = {down for s in had for down in _tuple(s.down_revision)}
    heads = [s for s in had if s.revision not in followed]
    if len(heads) != 1:
        raise CommandError(
            f"The release at {ref} had {len(heads)} heads among today's revisions: "
            "compare with a release that had one."
        )
    return heads[0]


def _tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, tuple | list) else (value,)


def _failures(url: str, previous: sa.MetaData) -> list[str]:
    # The machinery's engine: on SQLite, the transaction recipe savepoints need.
    engine = get_engine(sa.make_url(url))
    try:
        with engine.connect() as connection:
            shape = _shape(connection, previous)
            if shape:
                return shape
            return _use(connection, previous)
    finally:
        engine.dispose()


def _shape(connection: sa.Connection, previous: sa.MetaData) -> list[str]:
    inspector = sa.inspect(connection)
    failures = []
    for table in previous.sorted_tables:
        if not inspector.has_table(table.name):
            failures.append(f"table {table.name} is gone")
            continue
        now = {column["name"]: column for column in inspector.get_columns(table.name)}
        for column in table.columns:
            found = now.get(column.name)
            if found is None:
                failures.append(f"{table.name}.{column.name} is gone")
            elif not same_kind(column.type, found["type"]):
                failures.append(
                    f"{table.name}.{column.name} is {found['type']}, which they read "
                    f"as {column.type}"
                )
        for name, found in now.items():
            if name in table.columns or found["nullable"]:
                continue
            if found.get("default") is None and not found.get("autoincrement"):
                failures.append(
                    f"{table.name}.{name} is NOT NULL with no default, and they never "
                    "write it"
                )
    return failures


def _use(connection: sa.Connection, previous: sa.MetaData) -> list[str]:
    """A SELECT of each table and an INSERT of one row, as the previous models make
    them; all rolled back."""
    failures = []
    keys: dict[str, Any] = {}
    try:
        for table in previous.sorted_tables:
            # A savepoint: on PostgreSQL a failed statement ends the transaction.
            savepoint = connection.begin_nested()
            try:
                connection.execute(sa.select(table).limit(1)).all()
                result = connection.execute(sa.insert(table).values(_row(table, keys)))
                if result.inserted_primary_key:
                    keys[table.name] = result.inserted_primary_key[0]
                savepoint.commit()
            except sa.exc.SQLAlchemyError as error:
                savepoint.rollback()
                failures.append(f"table {table.name}: {one_line(error)}")
    finally:
        connection.rollback()  # the transaction the reads began, and the rows
    return failures


def _row(table: sa.Table, keys: dict[str, Any]) -> dict[str, Any]:
    """The values an INSERT of the previous models must give: NOT NULL columns without
    a default."""
    row = {}
    for column in table.columns:
        if column.nullable or column.default is not None or column.server_default:
            continue
        if column.primary_key and column.autoincrement in (True, "auto"):
            continue
        parent = next(iter(column.foreign_keys), None)
        if parent is not None and parent.column.table.name in keys:
            row[column.name] = keys[parent.column.table.name]
        else:
            row[column.name] = _value(column.type)
    return row


def _value(type_: Any) -> Any:
    if isinstance(type_, sa.Enum) and type_.enums:
        return type_.enums[0]
    if isinstance(type_, sa.Boolean):
        return True
    if isinstance(type_, sa.Integer | sa.Numeric):
        return 1
    if isinstance(type_, sa.DateTime):
        return dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    if isinstance(type_, sa.Date):
        return dt.date(2000, 1, 1)
    if isinstance(type_, sa.String):
        return "x"
    if isinstance(type_, sa.JSON):
        return {}
    if isinstance(type_, sa.Uuid):
        return uuid.uuid4()
    return None

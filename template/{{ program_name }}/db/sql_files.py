"""`db sql`: each revision's upgrade, as PostgreSQL SQL, in a file of its own, for a
reviewer or the lock lint (squawk).

One file per revision, since a run applies and records revisions one at a time: a file
of the whole history would ask every statement to be safe to run twice. With `--since`,
only the revision files added since that git revision: a revision reviewed and merged
once is not linted again.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import Script, ScriptDirectory

from .errors import DatabaseError
from .names import DATABASE_URL_ENV
from .url import get_url, migration_url_variable

# What GitHub gives for the commit before a branch's first push: no base at all.
NO_COMMIT = "0" * 40


def write_sql(config: Config, since: str | None, folder: Path) -> list[Path]:
    """Write `folder/<revision>.sql` for each revision (added since `since`), oldest
    first; return the files."""
    url = get_url(migration_url_variable(), create=False)
    if url.get_backend_name() != "postgresql":
        raise DatabaseError(
            f"`db sql` writes PostgreSQL's SQL: set {DATABASE_URL_ENV} to a "
            "postgresql:// URL (no server is needed)."
        )
    scripts = ScriptDirectory.from_config(config)
    added = _added_since(since, scripts) if since and since != NO_COMMIT else None
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for script in reversed(list(scripts.walk_revisions())):
        if added is not None and Path(script.path).resolve() not in added:
            continue
        if isinstance(script.down_revision, tuple):
            continue  # a merge joins heads: it changes nothing of its own
        path = folder / f"{script.revision}.sql"
        path.write_text(_upgrade_sql(config, script))
        written.append(path)
    return written


def _upgrade_sql(config: Config, script: Script) -> str:
    buffer = io.StringIO()
    config.output_buffer = buffer
    start = script.down_revision
    try:
        command.upgrade(
            config, f"{start}:{script.revision}" if start else script.revision, sql=True
        )
    finally:
        config.output_buffer = None
    return buffer.getvalue()


def _added_since(since: str, scripts: ScriptDirectory) -> set[Path]:
    """The revision files git sees added since `since`, committed or not."""
    folder = Path(scripts.dir).resolve()
    try:
        top = _git(folder, "rev-parse", "--show-toplevel").strip()
        changed = _git(folder, "diff", "--name-only", "--diff-filter=A", since)
        untracked = _git(folder, "ls-files", "--others", "--exclude-standard")
    except (OSError, subprocess.CalledProcessError) as error:
        detail = str(getattr(error, "stderr", None) or error).strip()
        raise DatabaseError(
            f"Cannot tell which revisions were added since {since!r}: "
            f"{detail.splitlines()[0] if detail else error}"
        ) from error
    # git diff names files from the top of the checkout, ls-files from `folder`.
    return {Path(top, name).resolve() for name in changed.splitlines()} | {
        folder.joinpath(name).resolve() for name in untracked.splitlines()
    }


def _git(folder: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=folder, capture_output=True, text=True, check=True
    ).stdout

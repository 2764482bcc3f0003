"""Expand and contract: autogenerate gives each revision its phase, and a run with
MYAPP_MIGRATION_PHASE=expand applies the pending revisions up to the first contract
one, so that the release still running keeps working during a rolling deploy."""

import hashlib

import pytest
from conftest import new_database
from test_real_schema import VERSIONS, edit_models
from test_safe_migrations import SEED_HEAD, error_lines

PHASED = '''"""{revision}"""

import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = "{down_revision}"
branch_labels = None
depends_on = None
phase = "{phase}"


def upgrade():
    {upgrade}


def downgrade():
    pass
'''
# An expand revision, a contract one, and an expand one after it.
HISTORY = [
    ("add_email", SEED_HEAD, "expand",
     'op.add_column("account", sa.Column("email", sa.String(200)))'),
    ("drop_create_date", "add_email", "contract",
     'op.drop_column("account", "create_date")'),
    ("add_team", "drop_create_date", "expand",
     'op.create_table("team", sa.Column("id", sa.Integer, primary_key=True))'),
]  # fmt: skip


def write_history(project) -> None:
    for revision, down_revision, phase, upgrade in HISTORY:
        (project.path / VERSIONS / f"{revision}.py").write_text(
            PHASED.format(
                revision=revision, down_revision=down_revision, phase=phase,
                upgrade=upgrade,
            )
        )  # fmt: skip


def version(database) -> list[tuple]:
    return database.query("SELECT version_num FROM alembic_version")


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_the_expand_phase_stops_before_the_first_contract_revision(
    project, kind, tmp_path, request
):
    postgres = request.getfixturevalue("postgres") if kind == "postgres" else None
    database = new_database(kind, tmp_path, postgres)
    write_history(project)
    env = project.env(MYAPP_DATABASE_URL=database.url)

    expand = project.run(
        "python",
        "-m",
        "myapp",
        "db",
        "upgrade",
        env=env | {"MYAPP_MIGRATION_PHASE": "expand"},
    )
    at_expand = version(database)
    started = project.run(
        "python", "-c", "from myapp.db import migrate; migrate()",
        env=env | {"MYAPP_MIGRATION_PHASE": "expand"},
    )  # fmt: skip
    project.run("python", "-m", "myapp", "db", "upgrade", env=env)

    assert at_expand == [("add_email",)]
    (said,) = [line for line in error_lines(expand) if "contract" in line]
    assert "Stopped before contract revision drop_create_date" in said
    assert "and 1 after it" in said
    assert "`myapp db upgrade` with MYAPP_MIGRATION_PHASE=all" in said
    assert started.returncode == 0
    assert version(database) == [("add_team",)]


def test_a_phase_that_is_neither_is_one_line_and_migrates_nothing(project, tmp_path):
    database = new_database("sqlite", tmp_path, None)
    env = project.env(MYAPP_DATABASE_URL=database.url, MYAPP_MIGRATION_PHASE="contract")

    result = project.run("alembic", "upgrade", "head", env=env, check=False)

    assert result.returncode != 0
    assert error_lines(result) == [
        (
            "FAILED: MYAPP_MIGRATION_PHASE is 'contract': say expand (during a "
            "rolling deploy) or all."
        )
    ]
    assert database.query("SELECT name FROM sqlite_master") == []


def test_autogenerate_gives_each_revision_its_phase(project, tmp_path):
    database = new_database("sqlite", tmp_path, None)
    env = project.env(MYAPP_DATABASE_URL=database.url)
    project.run("alembic", "upgrade", "head", env=env)
    edit_models(project, [
        ("    create_date: Mapped[date]\n",
         "    create_date: Mapped[date]\n    email: Mapped[str | None]\n"),
    ])  # fmt: skip
    project.run("alembic", "revision", "--autogenerate", "-m", "add email", env=env)
    project.run("alembic", "upgrade", "head", env=env)
    edit_models(project, [("    create_date: Mapped[date]\n", "")])
    project.run("alembic", "revision", "--autogenerate", "-m", "drop date", env=env)

    (added,) = (project.path / VERSIONS).glob("*_add_email.py")
    (dropped,) = (project.path / VERSIONS).glob("*_drop_date.py")
    assert 'phase: str = "expand"' in added.read_text()
    text = dropped.read_text()
    assert 'phase: str = "contract"' in text
    assert "# CONTRACT: the release still running may read account.create_date" in text


def history_rows(database) -> list[tuple]:
    """The history, in the order it was written."""
    rows = database.query(
        "SELECT id, revision, follows, phase, direction FROM alembic_history"
    )
    return [row[1:] for row in sorted(rows)]


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_each_revision_applied_or_undone_is_in_the_databases_history(
    project, kind, tmp_path, request
):
    postgres = request.getfixturevalue("postgres") if kind == "postgres" else None
    database = new_database(kind, tmp_path, postgres)
    env = project.env(MYAPP_DATABASE_URL=database.url)
    project.run("alembic", "upgrade", "3f1a9c2b7d10", env=env)
    database.execute("DROP TABLE alembic_history")  # as migrated before it existed
    write_history(project)

    project.run("alembic", "upgrade", "head", env=env)
    project.run("alembic", "downgrade", "-1", env=env)

    assert history_rows(database) == [
        ("3f1a9c2b7d10", None, "expand", "baseline"),
        (SEED_HEAD, "3f1a9c2b7d10", "expand", "upgrade"),
        ("add_email", SEED_HEAD, "expand", "upgrade"),
        ("drop_create_date", "add_email", "contract", "upgrade"),
        ("add_team", "drop_create_date", "expand", "upgrade"),
        ("add_team", "drop_create_date", "expand", "downgrade"),
    ]
    (row,) = database.query(
        "SELECT file_sha256, seconds, host, pid FROM alembic_history"
        " WHERE revision = 'add_team' AND direction = 'upgrade'"
    )
    sha256, seconds, host, pid = row
    added = (project.path / VERSIONS / "add_team.py").read_bytes()
    assert sha256 == hashlib.sha256(added).hexdigest()
    assert seconds >= 0 and host and pid > 0


# A program's start, with its own logging set up; it stops in one line on the
# machinery's error.
START = """
import logging, sys
from myapp.db import DatabaseError, migrate
logging.basicConfig()
try:
    migrate()
except DatabaseError as error:
    sys.exit(str(error))
print("started")
"""


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_the_previous_release_starts_after_expand_and_refuses_after_contract(
    projects, kind, tmp_path, request
):
    """A rolling deploy and its rollback: the previous release, a render of its own,
    starts on the database the new release migrated while that applied only expand
    revisions, and refuses in one line once a contract revision is applied."""
    postgres = request.getfixturevalue("postgres") if kind == "postgres" else None
    database = new_database(kind, tmp_path, postgres)
    previous = projects["default"].copy(tmp_path / "previous")
    new = projects["default"].copy(tmp_path / "new")
    write_history(new)
    env = previous.env(MYAPP_DATABASE_URL=database.url)
    previous.run("python", "-c", START, env=env)

    new.run("python", "-c", START, env=env | {"MYAPP_MIGRATION_PHASE": "expand"})
    beside = previous.run("python", "-c", START, env=env)
    new.run("python", "-c", START, env=env)
    after = previous.run("python", "-c", START, env=env, check=False)

    assert beside.stdout.strip() == "started"
    (warned,) = [line for line in beside.stderr.splitlines() if "newer" in line]
    assert warned.startswith("WARNING") and "at add_email" in warned
    assert f"head {SEED_HEAD}" in warned and "starting without migrating" in warned
    assert after.returncode == 1
    assert after.stderr.count("\n") == 1, after.stderr
    assert "contract revision drop_create_date was applied after it" in after.stderr

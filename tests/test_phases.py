"""Expand and contract: autogenerate gives each revision its phase, and a run with
MYAPP_MIGRATION_PHASE=expand applies the pending revisions up to the first contract
one, so that the release still running keeps working during a rolling deploy."""

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

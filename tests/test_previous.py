"""`db check --previous REF`: the last release's models against the schema at head, as
the previous release meets it during a rolling deploy."""

import subprocess

import pytest
from conftest import lock_revisions
from test_online import revision_of
from test_real_schema import VERSIONS, edit_models
from test_safe_migrations import add_revision
from test_team import checkout, git_env

ACCOUNT = "    create_date: Mapped[date]\n"


def release(project, tag: str) -> None:
    for command in (
        ["add", "-A"],
        ["commit", "--quiet", "--allow-empty", "-m", tag],
        ["tag", tag],
    ):
        subprocess.run(["git", *command], cwd=project.path, env=git_env(project),
                       check=True)  # fmt: skip


def autogenerate(project, message: str) -> None:
    env = project.env(MYAPP_DATABASE_URL=f"sqlite:///{project.path}/dev.db")
    project.run("alembic", "upgrade", "head", env=env)
    project.run("alembic", "revision", "--autogenerate", "-m", message, env=env)


def check_previous(project, ref: str):
    return project.run(
        "python", "-m", "myapp", "db", "check", "--previous", ref, check=False
    )


@pytest.fixture
def released(projects, tmp_path):
    """A checkout whose last release, v1, is the template's example."""
    project = checkout(projects["default"], tmp_path)
    release(project, "v1")
    return project


def drop_create_date(project) -> None:
    edit_models(project, [(ACCOUNT, "")])
    autogenerate(project, "the change")


def require_an_email(project) -> None:
    """A NOT NULL column whose default only filled the rows already there."""
    add_revision(
        project, "the_change",
        """
        op.add_column("account", sa.Column(
            "email", sa.String(200), nullable=False, server_default="none"))
        with op.batch_alter_table("account") as batch_op:
            batch_op.alter_column("email", server_default=None)
        """,
    )  # fmt: skip
    lock_revisions(project)


@pytest.mark.parametrize(
    ("change", "found"),
    [
        (drop_create_date, "account.create_date is gone"),
        (require_an_email,
         "account.email is NOT NULL with no default, and they never write it"),
    ],
    ids=["dropped", "required"],
)  # fmt: skip
def test_a_change_that_breaks_the_previous_release_is_one_line_naming_its_revision(
    released, change, found
):
    change(released)
    (written,) = (released.path / VERSIONS).glob("*the_change.py")
    revision = revision_of(written)

    result = check_previous(released, "v1")

    assert result.returncode != 0
    (said,) = [line for line in result.stdout.splitlines() if "v1" in line]
    assert found in said and f"since revision {revision} (" in said


def test_an_expand_change_passes(released):
    edit_models(released, [(ACCOUNT, ACCOUNT + "    email: Mapped[str | None]\n")])
    autogenerate(released, "add email")

    result = check_previous(released, "v1")

    assert result.returncode == 0, result.stdout + result.stderr


def test_a_ref_git_does_not_know_is_one_line(released):
    result = check_previous(released, "v9")

    assert result.returncode != 0
    assert result.stdout.startswith("FAILED: Cannot read ")
    assert len(result.stdout.strip().splitlines()) == 1


def test_with_a_postgresql_server_named_it_checks_there_too(released, postgres):
    drop_create_date(released)
    env = released.env(TEST_MYAPP_DATABASE_URL=postgres.url())

    result = released.run(
        "python", "-m", "myapp", "db", "check", "--previous", "v1", env=env,
        check=False,
    )  # fmt: skip

    said = [line for line in result.stdout.splitlines() if "v1" in line]
    assert result.returncode != 0
    assert [line.split(", on ")[1].split(":")[0] for line in said] == [
        "SQLite",
        "PostgreSQL",
    ]
    assert all("account.create_date is gone" in line for line in said)

"""What the scratch runs promise, and what the squash proof compares.

`myapp db check --scratch` and `myapp db squash` migrate scratch databases only: a
developer's own database stays exactly as it was, even when the migration URL variable
(MYAPP_MIGRATION_DATABASE_URL), which migrations take over the program's URL, names it.
`db check --scratch` goes up, down to base and up again, so a revision whose downgrade
fails fails the check, in one line naming it. The squash proof compares the old
history's database with the new history's after it went down to base and back up, as
the README says, and it sees an index's SQLite WHERE clause.
"""

import uuid
from pathlib import Path

import pytest
from conftest import lock_revisions
from pg_server import database_url
from test_safe_migrations import error_lines
from test_squash import CREATE_ACCOUNT, SEED, squash, versions, write_revision

SCRATCH_RUNS = {
    "check --scratch": ("check", "--scratch"),
    "squash": ("squash", SEED),
}


def contents(database) -> tuple:
    """The database's schema and rows, and a SQLite file's bytes."""
    if database.url.startswith("sqlite"):
        file = Path(database.url.removeprefix("sqlite:///")).read_bytes()
        return database.snapshot(), file
    return database.snapshot(), None


@pytest.mark.parametrize("run", SCRATCH_RUNS.values(), ids=SCRATCH_RUNS.keys())
def test_scratch_runs_never_touch_the_database_the_migration_url_names(
    project, database, request, run
):
    """A developer's database, one revision behind, with a row of its own, named by
    both URL variables. A scratch run that followed the migration URL would migrate it
    (check --scratch up, down to base and up again; squash up, and the new history down
    and up), with backups off."""
    env = project.env(MYAPP_DATABASE_URL=database.url)
    project.run("alembic", "upgrade", CREATE_ACCOUNT, env=env)
    database.execute(
        "INSERT INTO account (name, create_date) VALUES ('Ada', '2024-12-10')"
    )
    before, file_before = contents(database)
    env["MYAPP_MIGRATION_DATABASE_URL"] = database.url
    if "postgres" in database.url:  # and on throwaway databases on the same server
        env["TEST_MYAPP_DATABASE_URL"] = request.getfixturevalue("postgres").url()

    project.run("python", "-m", "myapp", "db", *run, env=env)

    after, file_after = contents(database)
    assert after == before
    assert file_after == file_before  # not even written to


def test_check_scratch_fails_on_a_downgrade_that_fails_and_names_the_revision(
    project,
):
    """The upgrade is harmless and the models match; only the way down is broken."""
    write_revision(
        project.path, "0dd0c0ffee00", "Archive old accounts", SEED,
        'op.execute("UPDATE account SET name = name")',
        'op.drop_table("account_archive")',
    )  # fmt: skip
    lock_revisions(project)

    result = project.run(
        "python", "-m", "myapp", "db", "check", "--scratch", check=False
    )

    assert result.returncode != 0
    assert error_lines(result) == [
        "No new upgrade operations detected.",  # the way up, checked against the models
        (
            "FAILED: On a scratch SQLite database: Migration failed and was rolled back "
            "at revision 0dd0c0ffee00 (Archive old accounts): (sqlite3.OperationalError) "
            "no such table: account_archive, in: DROP TABLE account_archive"
        ),
    ]


def test_check_scratch_without_createdb_says_the_role_needs_it_in_one_line(
    project, postgres
):
    """TEST_MYAPP_DATABASE_URL names a role that may log in but not create databases,
    as a managed server's application role often is: the check says what to grant, or
    which URL to give instead, and shows no password."""
    role, password = f"no_createdb_{uuid.uuid4().hex[:8]}", "pw-no-createdb-secret"
    postgres.admin(f"CREATE ROLE {role} LOGIN NOCREATEDB PASSWORD '{password}'")
    try:
        result = project.run(
            "python", "-m", "myapp", "db", "check", "--scratch", check=False,
            env=project.env(
                TEST_MYAPP_DATABASE_URL=database_url(
                    postgres.port, "postgres", role, password
                )
            ),
        )  # fmt: skip
    finally:
        postgres.admin(f"DROP ROLE {role}")

    assert result.returncode != 0
    assert error_lines(result) == [
        "No new upgrade operations detected.",  # SQLite's check passed first
        (
            f"FAILED: Cannot create a scratch database on postgresql+psycopg://{role}:***"
            f"@127.0.0.1:{postgres.port}/postgres (TEST_MYAPP_DATABASE_URL): "
            "(psycopg.errors.InsufficientPrivilege) permission denied to create "
            f"database; the role {role} needs CREATEDB: ALTER ROLE {role} CREATEDB, "
            "or point TEST_MYAPP_DATABASE_URL at a role that has it"
        ),
    ]
    assert password not in result.stdout + result.stderr


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_check_scratch_proves_each_downgrade_gives_back_the_schema_before(
    project, postgres, dialect
):
    """A downgrade that runs but leaves an index behind, on one database only: going
    down to base passes, and so does the upgrade after it; stepping down one revision
    and comparing the schema does not."""
    write_revision(
        project.path, "0dd0c0ffee01", "Tidy account names", SEED,
        'op.execute("UPDATE account SET name = name")',
        f"""
        if op.get_bind().dialect.name == "{dialect}":
            op.create_index("ix_account_name", "account", ["name"])
        """,
    )  # fmt: skip
    lock_revisions(project)
    env = project.env(TEST_MYAPP_DATABASE_URL=postgres.url())

    result = project.run(
        "python", "-m", "myapp", "db", "check", "--scratch", env=env, check=False
    )

    database = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[dialect]
    assert error_lines(result)[-1] == (
        f"FAILED: On a scratch {database} database: the downgrade of 0dd0c0ffee01 "
        "(Tidy account names) does not give back the schema it started from: table "
        "account: index ix_account_name is extra (ON (name))"
    )


# The squash proof after down to base and up ------------------------------------------
# A revision after the squash point, kept as it is, whose downgrade leaves a table of its
# own behind: the squashed revision's downgrade drops only the tables it made, so going
# down to base and up again meets what the first upgrade left.
AFTER_THE_SQUASH = "ee1a5e0c0ffe"
ROUND_TRIP_REFUSED = (
    "FAILED: The squashed history builds something else than the old one on a scratch "
    "SQLite database, after down to base and up: "
)
NOTHING_CHANGED = ". Nothing was changed."


def refused_after_down_and_up(project, upgrade: str, downgrade: str) -> str:
    """Squash up to SEED under a later revision; return the refusal, with versions/ as
    it was."""
    write_revision(
        project.path, AFTER_THE_SQUASH, "An audit log", SEED, upgrade, downgrade
    )
    before = versions(project.path)

    result = squash(project, SEED, check=False)

    assert result.returncode != 0
    assert versions(project.path) == before
    (failed,) = error_lines(result)
    assert failed.startswith(ROUND_TRIP_REFUSED)
    assert failed.endswith(NOTHING_CHANGED)
    return failed.removeprefix(ROUND_TRIP_REFUSED).removesuffix(NOTHING_CHANGED)


def test_the_squash_proof_goes_down_to_base_and_up_before_it_compares(project):
    """The audit log's upgrade creates its table if it is not there and writes its first
    entry; its downgrade keeps the log. Up once, the log has one entry, as the old
    history's; down and up, it has two."""
    difference = refused_after_down_and_up(
        project,
        """
        op.execute(
            "CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY, event TEXT)"
        )
        op.execute("INSERT INTO audit (event) VALUES ('audit log started')")
        """,
        "pass  # the audit log is kept",
    )

    # Only the rows that differ are named: the second entry, which the old history lacks.
    assert difference == "table audit: row (2, 'audit log started') is extra"


def test_the_squash_proof_tells_sqlite_indexes_apart_by_their_where_clause(project):
    """The log's index covers the open entries only; its downgrade widens it back to
    every entry, and the upgrade, which creates it only if it is not there, keeps that.
    Down and up, only the index's WHERE differs."""
    difference = refused_after_down_and_up(
        project,
        """
        op.execute(
            "CREATE TABLE IF NOT EXISTS audit"
            " (id INTEGER PRIMARY KEY, event TEXT, open BOOLEAN)"
        )
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_audit_event ON audit (event) WHERE open"
        )
        """,
        """
        op.execute("DROP INDEX ix_audit_event")
        op.execute("CREATE INDEX ix_audit_event ON audit (event)")
        """,
    )

    assert difference == (
        "table audit: index ix_audit_event is ON (event), not ON (event) WHERE open"
    )

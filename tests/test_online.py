"""The lock-safe operations for a table an earlier revision made (db/online.py): on a
live PostgreSQL, an index is built concurrently, a constraint added NOT VALID and
validated apart, NOT NULL proved from a validated CHECK; squawk passes on them, robust
statements included; SQLite applies the same revisions; and a run that dies between the
steps is finished by the next one."""

import re
import signal
import subprocess
import textwrap
import time

import pytest
from conftest import new_database
from test_real_schema import VERSIONS, edit_models

IMPORTS = (
    "from sqlalchemy import MetaData, String",
    "from sqlalchemy import CheckConstraint, ForeignKey, MetaData, String",
)
ACCOUNT = "    create_date: Mapped[date]\n"
TEAM = (
    "\n\nclass Team(Base):\n"
    "    __tablename__ = 'team'\n\n"
    "    id: Mapped[int] = mapped_column(primary_key=True)\n"
)
COLUMNS = (
    "    email: Mapped[str | None] = mapped_column(String(200))\n"
    "    team_id: Mapped[int | None]\n"
)
# The models after the two revisions below: every change with an online form, on the
# account table the first revision made, and a new column beside them.
SAFE_CHANGES = [
    ("    name: Mapped[str] = mapped_column(String(100))",
     "    name: Mapped[str] = mapped_column(String(100), index=True)"),
    (COLUMNS, (
     "    email: Mapped[str] = mapped_column(String(200), unique=True)\n"
     "    team_id: Mapped[int | None] = mapped_column(ForeignKey('team.id'))\n"
     "    nickname: Mapped[str | None] = mapped_column(String(40))\n"
     "    __table_args__ = (CheckConstraint('length(name) >= 2', name='name_long'),)\n"
    )),
]  # fmt: skip
FILL = "UPDATE account SET email = 'a' || id || '@example.com', team_id = NULL"
PLAIN_ID, ONLINE_ID = "a1b2c3d4e5f6", "f6e5d4c3b2a1"
REVISION = '''"""{message}"""

import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = "{down_revision}"
branch_labels = None
depends_on = None


def upgrade():
{upgrade}


def downgrade():
{downgrade}
'''
# The new column, plainly, in a revision before the online steps.
PLAIN = (
    """
    with op.batch_alter_table("account") as batch_op:
        batch_op.add_column(sa.Column("nickname", sa.String(40), nullable=True))
    """,
    """
    with op.batch_alter_table("account") as batch_op:
        batch_op.drop_column("nickname")
    """,
)
ONLINE = (
    """
    op.create_index_online(op.f("ix_account_name"), "account", ["name"], unique=False)
    op.create_unique_constraint_online(op.f("uq_account_email"), "account", ["email"])
    op.create_foreign_key_online(
        op.f("fk_account_team_id_team"), "account", "team", ["team_id"], ["id"]
    )
    op.create_check_constraint_online(
        op.f("ck_account_name_long"), "account", "length(name) >= 2"
    )
    op.set_not_null_online("account", "email")
    """,
    """
    with op.batch_alter_table("account") as batch_op:
        batch_op.alter_column("email", existing_type=sa.String(200), nullable=True)
        batch_op.drop_constraint(batch_op.f("ck_account_name_long"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_account_team_id_team"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_account_email"), type_="unique")
    op.drop_index_online(op.f("ix_account_name"), table_name="account")
    """,
)


def write_revision(project, revision, down_revision, message, upgrade, downgrade):
    def body(code):
        return textwrap.indent(textwrap.dedent(code).strip(), "    ")

    (project.path / VERSIONS / f"{revision}_{message.replace(' ', '_')}.py").write_text(
        REVISION.format(
            message=message, revision=revision, down_revision=down_revision,
            upgrade=body(upgrade), downgrade=body(downgrade),
        )
    )  # fmt: skip


def revisions(project) -> set:
    return set((project.path / VERSIONS).glob("*.py"))


def revision_id(path) -> str:
    return path.name.split("-")[1].split("_")[0]


@pytest.fixture
def changed(project, postgres, tmp_path):
    """The project, with a first revision (a team table, two account columns), a plain
    revision and the online steps after it; the PostgreSQL database, with rows, at the
    first revision."""
    database = new_database("postgres", tmp_path, postgres)
    env = project.env(MYAPP_DATABASE_URL=database.url)
    project.run("alembic", "upgrade", "head", env=env)
    edit_models(project, [IMPORTS, (ACCOUNT, ACCOUNT + COLUMNS + TEAM)])
    before = revisions(project)
    project.run("alembic", "revision", "--autogenerate", "-m", "add email", env=env)
    (path,) = revisions(project) - before
    first = revision_id(path)
    project.run("alembic", "upgrade", "head", env=env)
    database.execute(FILL)
    edit_models(project, SAFE_CHANGES)
    write_revision(project, PLAIN_ID, first, "add nickname", *PLAIN)
    write_revision(project, ONLINE_ID, PLAIN_ID, "index and constrain", *ONLINE)
    return project, database, env, first


ONLINE_OPS = (
    'op.create_index_online(op.f("ix_account_name"), "account", ["name"]',
    'op.create_unique_constraint_online(op.f("uq_account_email"), "account"',
    'op.create_foreign_key_online(\n        op.f("fk_account_team_id_team"), "account"',
    'op.create_check_constraint_online(\n        op.f("ck_account_name_long"), "account"',
    'op.set_not_null_online("account", "email")',
)


@pytest.mark.parametrize("made_on", ["sqlite", "postgres"])
def test_autogenerate_writes_the_online_forms_in_a_revision_of_their_own(
    changed, made_on, tmp_path, request
):
    """What the hand-written revisions above hold, autogenerate writes: the new column
    plainly, the rest in their online forms in a revision after it, on either
    database. Applied as written on the other one, it checks clean."""
    project, _, _, first = changed
    for path in revisions(project):
        if path.name.startswith((PLAIN_ID, ONLINE_ID)):
            path.unlink()
    postgres = request.getfixturevalue("postgres")
    made = new_database(made_on, tmp_path, postgres)
    env = project.env(MYAPP_DATABASE_URL=made.url)
    project.run("alembic", "upgrade", "head", env=env)
    made.execute(FILL)

    before = revisions(project)
    project.run("alembic", "revision", "--autogenerate", "-m", "constrain", env=env)
    written = sorted(
        revisions(project) - before, key=lambda path: "online" in path.name
    )

    plain, online = written
    assert online.name.endswith("_constrain_online.py")
    steps, plainly = online.read_text(), plain.read_text()
    assert f"down_revision: str | Sequence[str] | None = '{revision_id(plain)}'" in (
        steps.replace('"', "'")
    )
    for call in ONLINE_OPS:
        assert call in steps, steps
    assert "nickname" in plainly and "nickname" not in steps
    assert "_online(" not in plainly
    other = new_database(
        "postgres" if made_on == "sqlite" else "sqlite", tmp_path, postgres
    )
    up_down_and_up(project, other, first)


def up_down_and_up(project, database, first: str) -> None:
    """On `database`: up to the first revision, rows filled in, up to head and checked
    clean, down to the first revision, and up and checked again."""
    env = project.env(MYAPP_DATABASE_URL=database.url)
    project.run("alembic", "upgrade", first, env=env)
    database.execute(FILL)
    project.run("alembic", "upgrade", "head", env=env)
    project.run("alembic", "check", env=env)
    project.run("alembic", "downgrade", first, env=env)
    project.run("alembic", "upgrade", "head", env=env)
    project.run("alembic", "check", env=env)


def lint(project, env, start: str, *options: str):
    """squawk, with the project's settings, on the SQL of the revisions after `start`."""
    sql = project.run(
        "python", "-m", "myapp", "db", "upgrade", f"{start}:head", "--sql", env=env
    ).stdout
    return subprocess.run(
        [str(project.venv / "bin/squawk"), "--reporter", "gcc", *options],
        input=sql, cwd=project.path, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_the_online_revision_passes_the_lock_lint_and_its_steps_are_robust(
    changed, tmp_path
):
    project, _, env, first = changed
    strict = tmp_path / "squawk.toml"
    settings = (project.path / ".squawk.toml").read_text()
    strict.write_text(settings.replace('"prefer-robust-stmts",', ""))

    linted = lint(project, env, first)
    robust = lint(project, env, PLAIN_ID, "--config", str(strict))

    assert linted.returncode == 0, linted.stdout
    assert robust.returncode == 0, robust.stdout


def constraints(database) -> list[tuple]:
    return database.query(
        "SELECT conname, contype, convalidated FROM pg_constraint"
        " WHERE conrelid = 'account'::regclass ORDER BY conname"
    )


def settled(database) -> dict:
    """What the online steps leave: every constraint valid, every index valid, email
    NOT NULL, and no CHECK that stood in for it."""
    return {
        "constraints": constraints(database),
        "indexes": database.query(
            "SELECT indexrelid::regclass::text, indisvalid FROM pg_index"
            " WHERE indrelid = 'account'::regclass ORDER BY 1"
        ),
        "email nullable": database.query(
            "SELECT is_nullable FROM information_schema.columns"
            " WHERE table_name = 'account' AND column_name = 'email'"
        ),
    }


SETTLED = {
    "constraints": [
        ("ck_account_name_long", "c", True),
        ("fk_account_team_id_team", "f", True),
        ("pk_account", "p", True),
        ("uq_account_email", "u", True),
    ],
    "indexes": [
        ("ix_account_name", True),
        ("pk_account", True),
        ("uq_account_email", True),
    ],
    "email nullable": [("NO",)],
}


def test_the_revisions_apply_as_written_on_postgres_with_rows_and_on_sqlite(
    changed, tmp_path
):
    project, database, env, first = changed

    project.run("alembic", "upgrade", "head", env=env)
    project.run("alembic", "check", env=env)
    assert settled(database) == SETTLED
    project.run("alembic", "downgrade", first, env=env)
    project.run("alembic", "upgrade", "head", env=env)
    assert settled(database) == SETTLED
    assert database.query("SELECT count(*) FROM account") == [(3,)]

    sqlite = new_database("sqlite", tmp_path, None)
    up_down_and_up(project, sqlite, first)
    (account,) = sqlite.query("SELECT sql FROM sqlite_master WHERE name = 'account'")
    assert "email VARCHAR(200) NOT NULL" in account[0]


# Rows that stop one step after the ones before it have committed; the repair that
# lets the next run finish.
BAD_ROWS = {
    "unique index": (
        "UPDATE account SET email = 'same@example.com'",
        "could not create unique index",
        FILL,
    ),
    "foreign key": (
        "UPDATE account SET team_id = 99",
        "fk_account_team_id_team",
        "UPDATE account SET team_id = NULL",
    ),
    "check": (
        "UPDATE account SET name = 'x' WHERE id = 1",
        "ck_account_name_long",
        "UPDATE account SET name = 'xy' WHERE id = 1",
    ),
    "not null": (
        "UPDATE account SET email = NULL WHERE id = 1",
        "account_email_not_null",
        "UPDATE account SET email = 'one@example.com' WHERE id = 1",
    ),
}


@pytest.mark.parametrize("step", BAD_ROWS)
def test_a_run_that_fails_between_the_steps_is_finished_by_the_next(changed, step):
    project, database, env, _ = changed
    bad, named, repair = BAD_ROWS[step]
    database.execute(bad)

    failed = project.run("alembic", "upgrade", "head", env=env, check=False)

    assert failed.returncode != 0
    said = failed.stdout.splitlines()[-1]
    assert named in said, failed.stdout
    assert "outside a transaction" in said and "`upgrade` finishes it" in said
    assert "rolled back" not in said
    # The plain revision committed whole; the online one is not recorded as applied.
    assert database.query("SELECT version_num FROM alembic_version") == [(PLAIN_ID,)]
    database.execute(repair)
    project.run("alembic", "upgrade", "head", env=env)
    assert database.query("SELECT version_num FROM alembic_version") == [(ONLINE_ID,)]
    assert settled(database) == SETTLED
    project.run("alembic", "check", env=env)


def kill_while_waiting(project, postgres, database, env, held: str, waiting: str):
    """Upgrade to head in a process of its own while another transaction holds what
    `held` (an UPDATE) locks; once a statement like `waiting` waits, SIGKILL the process
    and end its backend, as the server does when it next writes to a dead client."""
    writer = postgres.connect(database.url.rsplit("/", 1)[1])
    writer.execute(held)  # stays open
    slow = env | {"MYAPP_MIGRATION_LOCK_TIMEOUT": "60"}
    migration = subprocess.Popen(
        [str(project.venv / "bin/alembic"), "upgrade", "head"],
        cwd=project.path, env=slow, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    query = (
        "SELECT pid FROM pg_stat_activity"
        f" WHERE query LIKE '{waiting}%' AND wait_event_type = 'Lock'"
    )
    try:
        deadline = time.monotonic() + 60
        while not database.query(query):
            assert time.monotonic() < deadline, f"no {waiting} ever waited"
            time.sleep(0.1)
        ((backend,),) = database.query(query)
        migration.send_signal(signal.SIGKILL)
        migration.wait(timeout=10)
        database.execute(f"SELECT pg_terminate_backend({backend})")
    finally:
        migration.kill()
        writer.rollback()
        writer.close()


def test_an_index_build_killed_while_it_waits_is_built_again(changed, postgres):
    """SIGKILL while CREATE INDEX CONCURRENTLY waits for a writer's transaction: the
    index it leaves INVALID is dropped and built again by the next run."""
    project, database, env, _ = changed
    project.run("alembic", "upgrade", PLAIN_ID, env=env)

    kill_while_waiting(
        project, postgres, database, env,
        held="UPDATE account SET name = name WHERE id = 1", waiting="CREATE INDEX",
    )  # fmt: skip

    assert ("ix_account_name", False) in settled(database)["indexes"]

    project.run("alembic", "upgrade", "head", env=env)

    assert settled(database) == SETTLED


NO_SAFE_FORM = [
    ("    name: Mapped[str] = mapped_column(String(100))",
     "    name: Mapped[int] = mapped_column()"),
    ("    team_id: Mapped[int | None]\n", ""),
]  # fmt: skip


def test_what_has_no_safe_form_is_marked_and_one_line_accepts_it_for_the_lint(
    changed, tmp_path
):
    """A type change that rewrites the table, and a dropped column, are written as
    before, each alone in its batch below why and the line that accepts it; with those
    lines above their batches, the lint passes."""
    project, _, _, first = changed
    for path in revisions(project):
        if path.name.startswith((PLAIN_ID, ONLINE_ID)):
            path.unlink()
    # The models back at the first revision.
    edit_models(project, [(new, old) for old, new in SAFE_CHANGES])
    edit_models(project, NO_SAFE_FORM)
    database = new_database("sqlite", tmp_path, None)
    env = project.env(MYAPP_DATABASE_URL=database.url)
    project.run("alembic", "upgrade", "head", env=env)
    before = revisions(project)
    project.run("alembic", "revision", "--autogenerate", "-m", "retype", env=env)
    (written,) = revisions(project) - before
    text = written.read_text()

    assert "# LOCKS account: changing the type of account.name rewrites" in text
    assert "# BREAKS THE RUNNING RELEASE if it still reads account.team_id" in text
    upgrade = text.split("def upgrade")[1].split("def downgrade")[0]
    assert upgrade.count("with op.batch_alter_table") == 2
    offline = project.env(MYAPP_DATABASE_URL="postgresql://localhost/myapp")
    flagged = lint(project, offline, first)
    assert {"changing-column-type", "ban-drop-column"} <= set(flagged.stdout.split())
    # What a user does once the change is reviewed: each hint, uncommented, above its
    # batch.
    blocks = upgrade.split("    with op.batch_alter_table")
    accepted = blocks[0]
    for block in blocks[1:]:
        (hint,) = [line for line in block.splitlines() if "op.squawk_ignore(" in line]
        accepted += f"    {hint.strip().removeprefix('# ')}\n"
        accepted += "    with op.batch_alter_table" + block
    written.write_text(text.replace(upgrade, accepted))

    linted = lint(project, offline, first)

    assert linted.returncode == 0, linted.stdout
    project.run("alembic", "upgrade", "head", env=env)
    project.run("alembic", "check", env=env)


def lint_findings(project) -> set[tuple[str, str]]:
    """(revision, rule) for each of squawk's findings, with the project's settings, on
    each revision's PostgreSQL SQL."""
    env = project.env(MYAPP_DATABASE_URL="postgresql://localhost/myapp")
    files = project.run(
        "python", "-m", "myapp", "db", "sql", "--to", "sql", env=env
    ).stdout.split()
    result = subprocess.run(
        [str(project.venv / "bin/squawk"), "--reporter", "gcc", *files],
        cwd=project.path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    found = re.findall(r"(\w+)\.sql:\d+:\d+: warning: ([\w-]+)", result.stdout)
    return set(found)


def unmarked(project, findings) -> list[tuple[str, str]]:
    """The findings whose revision has no op.squawk_ignore() line for the rule."""
    texts = {revision_of(path): path.read_text() for path in revisions(project)}
    return sorted(
        (revision, rule)
        for revision, rule in findings
        if f'op.squawk_ignore("{rule}"' not in texts[revision]
    )


def revision_of(path) -> str:
    (found,) = re.findall(
        r'^revision(?:: str)? = "(\w+)"', path.read_text(), re.MULTILINE
    )
    return found


def test_an_index_build_that_times_out_past_the_budget_is_one_line_and_built_next_run(
    changed, postgres
):
    """A writer's transaction stays open: each attempt's build waits for it, times out
    and is tried again, until the wait budget is spent. The failure is one line; the
    next run, with the writer gone, drops what the builds left and builds the index."""
    project, database, env, _ = changed
    project.run("alembic", "upgrade", PLAIN_ID, env=env)
    writer = postgres.connect(database.url.rsplit("/", 1)[1])
    writer.execute("UPDATE account SET name = name WHERE id = 1")  # stays open
    short = env | {"MYAPP_MIGRATION_LOCK_TIMEOUT": "0.5", "MYAPP_MIGRATION_WAIT": "3"}
    try:
        failed = project.run(
            "alembic", "upgrade", "head", env=short, check=False, timeout=60
        )
    finally:
        writer.rollback()
        writer.close()

    assert failed.returncode != 0
    (said,) = [line for line in failed.stdout.splitlines() if line.startswith("FAILED")]
    assert "another transaction to end" in said, failed.stdout
    assert "Traceback" not in failed.stdout + failed.stderr
    assert "(attempt 2;" in failed.stderr
    assert database.query("SELECT version_num FROM alembic_version") == [(PLAIN_ID,)]

    project.run("alembic", "upgrade", "head", env=env)

    assert settled(database) == SETTLED


def test_the_sql_says_where_each_transaction_ends(changed):
    project = changed[0]
    offline = project.env(MYAPP_DATABASE_URL="postgresql://localhost/myapp")

    sql = project.run(
        "alembic", "upgrade", f"{PLAIN_ID}:{ONLINE_ID}", "--sql", env=offline
    ).stdout

    steps = [part.strip() for part in sql.split(";") if part.strip()]
    build = steps.index(next(s for s in steps if "CREATE INDEX CONCURRENTLY" in s))
    assert steps[build - 1].endswith("COMMIT")
    assert "run outside a transaction" in steps[build]
    assert "IF NOT EXISTS ix_account_name" in steps[build]
    assert steps[-2].startswith("UPDATE alembic_version")  # after the last step
    assert steps[-1] == "COMMIT"

"""`myapp db squash`: an old history folded into one revision that builds the same schema
and rows, proved on scratch databases, with databases in the field told what to do.

The history squashed here has five revisions: the example's table and seed rows, then
an invoice table with an enum, a partial index and an expression index, then a change
of the enum's values, a unique column added in batch mode and seed invoices. A sixth
revision comes after the squash point and must come through untouched.
"""

import ast
import subprocess
import textwrap
from pathlib import Path

import pytest
from conftest import Project, new_database, once_per_run, sqlite_query
from pg_server import SUPERUSER_PASSWORD
from test_safe_migrations import MIGRATE, error_lines, last_line

VERSIONS = "myapp/migrations/versions"
CREATE_ACCOUNT, SEED = "3f1a9c2b7d10", "8c4e2d6a1b57"
INVOICES, VOID, NOTE = "a1b2c3d4e5f6", "b2c3d4e5f6a7", "c3d4e5f6a7b8"
SQUASHED = (CREATE_ACCOUNT, SEED, INVOICES, VOID)

REVISION = '''"""{message}

Revision ID: {revision}
Revises: {down_revision}
Create Date: 2026-12-01 00:00:00.000000

"""

from datetime import datetime, timezone
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = {down_revision!r}
branch_labels = {branch_labels!r}
depends_on = {depends_on!r}

invoice = sa.table(
    "invoice",
    sa.column("account_id", sa.Integer),
    sa.column("status", sa.Enum("draft", "sent", "void", name="invoice_status")),
    sa.column("total", sa.Numeric(10, 2)),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def upgrade():
{upgrade}


def downgrade():
{downgrade}
'''

HISTORY = {
    INVOICES: (
        "Add invoices with a status",
        SEED,
        """
        op.create_table(
            "invoice",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("account_id", sa.Integer(), nullable=False),
            sa.Column(
                "status", sa.Enum("draft", "sent", name="invoice_status"),
                nullable=False, server_default="draft",
            ),
            sa.Column("paid", sa.Boolean(), nullable=False, server_default=sa.false()),
            sa.Column("total", sa.Numeric(10, 2), nullable=True),
            sa.Column(
                "created_at", sa.DateTime(timezone=True),
                server_default=sa.func.now(), nullable=False,
            ),
            sa.ForeignKeyConstraint(
                ["account_id"], ["account.id"], ondelete="CASCADE",
                name=op.f("fk_invoice_account_id_account"),
            ),
            sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice")),
            # SQLite stores it as `paid = 0 OR ...`, which PostgreSQL refuses.
            sa.CheckConstraint(
                sa.or_(sa.column("paid") == sa.false(), sa.column("total").is_not(None)),
                name=op.f("ck_invoice_paid_has_total"),
            ),
        )
        op.create_index(
            "ix_invoice_open", "invoice", ["account_id"],
            sqlite_where=sa.text("status = 'draft'"),
            postgresql_where=sa.text("status = 'draft'"),
        )
        op.create_index("ix_account_lower_name", "account", [sa.text("lower(name)")])
        """,
        """
        op.drop_index("ix_account_lower_name", table_name="account")
        op.drop_index("ix_invoice_open", table_name="invoice")
        op.drop_table("invoice")
        sa.Enum(name="invoice_status").drop(op.get_bind(), checkfirst=True)
        """,
    ),
    VOID: (
        "Invoices may be void; accounts get an email; seed two invoices",
        INVOICES,
        """
        op.change_enum_values(
            "invoice_status", ["draft", "sent"], ["draft", "sent", "void"],
            columns=[("invoice", "status")],
        )
        with op.batch_alter_table("account") as batch_op:
            batch_op.add_column(sa.Column("email", sa.String(200), nullable=True))
            batch_op.create_unique_constraint("uq_account_email", ["email"])
        op.bulk_insert(invoice, [
            {"account_id": 1, "status": "sent", "total": Decimal("12.50"),
             "created_at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)},
            {"account_id": 2, "status": "draft", "total": None,
             "created_at": datetime(2026, 2, 3, 4, 5, 6, tzinfo=timezone.utc)},
        ])
        """,
        """
        op.execute(invoice.delete())
        with op.batch_alter_table("account") as batch_op:
            batch_op.drop_constraint("uq_account_email", type_="unique")
            batch_op.drop_column("email")
        op.change_enum_values(
            "invoice_status", ["draft", "sent", "void"], ["draft", "sent"],
            columns=[("invoice", "status")],
        )
        """,
    ),
    NOTE: (
        "Invoices get a note",
        VOID,
        """
        with op.batch_alter_table("invoice") as batch_op:
            batch_op.add_column(sa.Column("note", sa.String(40), nullable=True))
        """,
        """
        with op.batch_alter_table("invoice") as batch_op:
            batch_op.drop_column("note")
        """,
    ),
}


def squash_the_whole_history(history, postgres, tmp_path) -> tuple[Project, list[dict]]:
    """Fold every revision of a grown history of real models into one, proved on both
    databases; then, on a fresh database of each kind, the squashed history must build
    what `alembic check` finds equal to the models. Returns the project and the two
    databases' environments, at head."""
    project = history.project_at(len(history.steps), tmp_path)
    head = project.run("alembic", "heads").stdout.split()[0]
    kinds = ("sqlite", "postgres")
    in_the_field = [new_database(kind, tmp_path, postgres) for kind in kinds]
    for database in in_the_field:  # at head before the squash
        project.run("alembic", "upgrade", "head", env=env_of(project, database))

    squash(project, head, TEST_MYAPP_DATABASE_URL=postgres.url())

    (squashed,) = (project.path / VERSIONS).glob("*.py")
    assert f"-{head}_squashed_history.py" in squashed.name
    for database in in_the_field:  # as before: at head, so a start is free
        started = project.run(
            "python", "-c", MIGRATE_AT_HEAD, env=env_of(project, database), fresh=True
        )
        assert started.stdout.strip() == "alembic loaded: False"
    envs = []
    for kind in kinds:
        env = env_of(project, new_database(kind, tmp_path, postgres))
        project.run("alembic", "upgrade", "head", env=env)
        project.run("alembic", "check", env=env)
        envs.append(env)
    return project, envs


# A start with nothing to do takes the shortcut, which never imports Alembic.
MIGRATE_AT_HEAD = (
    "import sys; from myapp.db import migrate; migrate(); "
    "print('alembic loaded:', 'alembic' in sys.modules)"
)


def env_of(project: Project, database) -> dict:
    return project.env(MYAPP_DATABASE_URL=database.url)


def write_revision(
    project: Path, revision, message, down_revision, upgrade, downgrade="pass",
    depends_on=None, branch_labels=None,
) -> Path:  # fmt: skip
    path = project / VERSIONS / f"{revision}.py"
    path.write_text(
        REVISION.format(
            message=message, revision=revision, down_revision=down_revision,
            depends_on=depends_on, branch_labels=branch_labels,
            upgrade=textwrap.indent(textwrap.dedent(upgrade).strip(), "    "),
            downgrade=textwrap.indent(textwrap.dedent(downgrade).strip(), "    "),
        )
    )  # fmt: skip
    return path


def grow(project: Path, history: dict = HISTORY) -> None:
    for revision, (message, down, upgrade, downgrade) in history.items():
        write_revision(project, revision, message, down, upgrade, downgrade)


def versions(project: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((project / VERSIONS).glob("*.py"))}


def squash(project: Project, *args: str, check=True, **env):
    return project.run(
        "python", "-m", "myapp", "db", "squash", *args, check=check,
        env=project.env(**env),
    )  # fmt: skip


@pytest.fixture(scope="session")
def squashed(projects, postgres, tmp_path_factory) -> dict[str, Project]:
    """The grown history, once as it was ("before") and once squashed up to VOID with
    the proof on SQLite and PostgreSQL ("after"); built once per run."""
    default = projects["default"]

    def build(folder: Path) -> dict:
        before = default.copy(folder / "before")
        grow(before.path)
        after = before.copy(folder / "after")
        result = squash(after, VOID, "-m", "Squash the first year",
                        TEST_MYAPP_DATABASE_URL=postgres.url())  # fmt: skip
        return {"before": str(before.path), "after": str(after.path),
                "output": result.stdout + result.stderr}  # fmt: skip

    built = once_per_run(tmp_path_factory, "squashed", build)
    home = tmp_path_factory.mktemp("home-squashed")
    paths = {name: Path(built[name]) for name in ("before", "after")}
    result = {
        name: Project(path, default.answers, default.venv, home)
        for name, path in paths.items()
    }
    result["output"] = built["output"]
    return result


# Two tables whose rows point at each other, the foreign key that closes the cycle added
# after both; then two of their columns renamed, as users write it on SQLite, in a batch
# and not. Squashed on SQLite alone, as without a PostgreSQL server: the revision must
# still build all of it on PostgreSQL.
TEAMS, RENAME = "d4e5f6a7b8c9", "e5f6a7b8c9d0"
CYCLE_HISTORY = {
    TEAMS: (
        "Teams and their members; each team's captain is a member",
        SEED,
        """
        team = sa.table(
            "team", sa.column("id", sa.Integer), sa.column("captain_id", sa.Integer),
            sa.column("level", sa.Enum("junior", "senior", name="team_level")),
            sa.column("formed", sa.DateTime(timezone=True)),
        )
        member = sa.table(
            "member", sa.column("id", sa.Integer), sa.column("team_id", sa.Integer)
        )
        op.create_table(
            "team",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("captain_id", sa.Integer(), nullable=True),
            sa.Column(
                "level", sa.Enum("junior", "senior", name="team_level"), nullable=False
            ),
            sa.Column("formed", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id", name=op.f("pk_team")),
        )
        op.create_table(
            "member",
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("team_id", sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(
                ["team_id"], ["team.id"], name=op.f("fk_member_team_id_team")
            ),
            sa.PrimaryKeyConstraint("id", name=op.f("pk_member")),
        )
        with op.batch_alter_table("team") as batch_op:
            batch_op.create_foreign_key(
                op.f("fk_team_captain_id_member"), "member", ["captain_id"], ["id"]
            )
        formed = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
        op.bulk_insert(team, [
            {"id": 1, "level": "senior", "formed": formed},
            {"id": 2, "level": "junior", "formed": formed},
        ])
        op.bulk_insert(member, [
            {"id": 1, "team_id": 1}, {"id": 2, "team_id": 2}, {"id": 3, "team_id": 1},
        ])
        op.execute(team.update().where(team.c.id == 1).values(captain_id=3))
        op.execute(team.update().where(team.c.id == 2).values(captain_id=2))
        """,
        """
        with op.batch_alter_table("team") as batch_op:
            batch_op.drop_constraint(op.f("fk_team_captain_id_member"), type_="foreignkey")
        op.drop_table("member")
        op.drop_table("team")
        sa.Enum(name="team_level").drop(op.get_bind(), checkfirst=True)
        """,
    ),
    RENAME: (
        "A team's level is its grade; it was founded at a time",
        TEAMS,
        """
        with op.batch_alter_table("team") as batch_op:
            batch_op.alter_column("level", new_column_name="grade")
        op.alter_column("team", "formed", new_column_name="founded_at")
        """,
        """
        op.alter_column("team", "founded_at", new_column_name="formed")
        with op.batch_alter_table("team") as batch_op:
            batch_op.alter_column("grade", new_column_name="level")
        """,
    ),
}


@pytest.fixture(scope="session")
def cycle_squashed(projects, tmp_path_factory) -> Project:
    """CYCLE_HISTORY squashed, on SQLite alone; built once per run."""
    default = projects["default"]

    def build(folder: Path) -> str:
        project = default.copy(folder)
        grow(project.path, CYCLE_HISTORY)
        squash(project, RENAME)
        (only,) = versions(project.path)  # the tests run the squashed revision
        assert only.endswith(f"-{RENAME}_squashed_history.py")
        return str(project.path)

    built = Path(once_per_run(tmp_path_factory, "cycle_squashed", build))
    home = tmp_path_factory.mktemp("home-cycle-squashed")
    return Project(built, default.answers, default.venv, home)


def the_new_file(project: Project) -> Path:
    (path,) = [p for p in (project.path / VERSIONS).glob("*.py") if VOID in p.name]
    return path


def test_the_squash_writes_one_revision_and_keeps_the_rest_byte_for_byte(squashed):
    before, after = squashed["before"], squashed["after"]
    new = the_new_file(after)

    assert sorted(versions(after.path)) == sorted([new.name, f"{NOTE}.py"])
    assert versions(after.path)[f"{NOTE}.py"] == versions(before.path)[f"{NOTE}.py"]
    assert new.name.endswith(f"-{VOID}_squash_the_first_year.py")
    module = ast.parse(new.read_text())
    values = {
        node.target.id: ast.literal_eval(node.value)
        for node in module.body
        if isinstance(node, ast.AnnAssign) and node.value is not None
    }
    assert values["revision"] == VOID
    assert values["down_revision"] is None
    assert values["squashed"] == SQUASHED
    assert ast.get_docstring(module).startswith("Squash the first year")
    # It said what it proved, where.
    for database in ("SQLite", "PostgreSQL"):
        assert (
            f"On a scratch {database} database, the squashed history builds the same"
            in squashed["output"]
        )


def test_the_new_file_is_lint_and_format_clean(squashed):
    new = str(the_new_file(squashed["after"]))

    lint = squashed["after"].run("ruff", "check", new, check=False)
    layout = squashed["after"].run("ruff", "format", "--check", new, check=False)

    assert lint.returncode == 0, lint.stdout
    assert layout.returncode == 0, layout.stdout


def describe(database) -> dict:
    """The database's schema and rows, read with the database's own tools (pg_dump,
    SQLite's pragmas), not with the code under test."""
    tables = [name for (name,) in database.query(database.tables_sql)]
    rows = {name: database.query(f"SELECT * FROM {name}") for name in tables}
    if database.url.startswith("sqlite"):
        path = database.url.removeprefix("sqlite:///")
        schema = {}
        for name in tables:
            indexes = sqlite_query(path, f"PRAGMA index_list('{name}')")
            schema[name] = {
                "columns": sqlite_query(path, f"PRAGMA table_info('{name}')"),
                "foreign keys": sqlite_query(
                    path, f"PRAGMA foreign_key_list('{name}')"
                ),
                "indexes": [
                    (index[1:], sqlite_query(path, f"PRAGMA index_xinfo('{index[1]}')"))
                    for index in indexes
                ],
                "index sql": sqlite_query(
                    path,
                    "SELECT name, sql FROM sqlite_master"
                    f" WHERE type = 'index' AND tbl_name = '{name}'",
                ),
            }
        return {"schema": schema, "rows": rows}
    dump = subprocess.run(
        ["pg_dump", "--schema-only", "--no-owner", database.url.replace("+psycopg", "")],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    # pg_dump guards its output with a \restrict line holding a random key.
    lines = [
        line
        for line in dump.splitlines()
        if line and not line.startswith(("--", "\\restrict", "\\unrestrict"))
    ]
    # alembic_history's ids count the runs, which differ between the two histories.
    sequences = database.query(
        "SELECT sequencename, last_value FROM pg_sequences"
        " WHERE sequencename <> 'alembic_history_id_seq'"
    )
    return {"schema": lines, "rows": rows, "sequences": sequences}


@pytest.mark.parametrize("revision", [VOID, "head"])
def test_the_new_history_builds_what_the_old_one_built(
    squashed, database, tmp_path, request, revision
):
    """Checked here with the databases' own tools, apart from the squash's proof."""
    postgres = (
        request.getfixturevalue("postgres") if "postgres" in database.url else None
    )
    kind = "postgres" if postgres else "sqlite"
    old = new_database(kind, tmp_path, postgres)
    squashed["before"].run(
        "alembic",
        "upgrade",
        revision,
        env=squashed["before"].env(MYAPP_DATABASE_URL=old.url),
    )

    squashed["after"].run(
        "alembic",
        "upgrade",
        revision,
        env=squashed["after"].env(MYAPP_DATABASE_URL=database.url),
    )

    assert describe(database) == describe(old)
    assert database.query("SELECT count(*) FROM invoice") == [(2,)]


def test_a_check_comes_through_as_its_revision_wrote_it(squashed):
    """Not as SQLite, where the squash reads the old history's tables, stores it: the
    proof on PostgreSQL, which refuses `paid = 0`, passed on the way."""
    (path,) = (squashed["after"].path / VERSIONS).glob("*squash_the_first_year.py")
    text = path.read_text()

    assert "paid = false OR total IS NOT NULL" in text
    assert "paid = 0" not in text


def test_down_to_base_and_back_up(squashed, database):
    after = squashed["after"]
    env = after.env(MYAPP_DATABASE_URL=database.url)
    after.run("alembic", "upgrade", "head", env=env)
    full = describe(database)

    after.run("alembic", "downgrade", "base", env=env)
    left = [name for (name,) in database.query(database.tables_sql)]
    after.run("alembic", "upgrade", "head", env=env)

    assert left == ["alembic_version"]
    assert describe(database) == full
    if (
        "postgres" in database.url
    ):  # the enum type went with the downgrade, and came back
        assert database.query(
            "SELECT typname FROM pg_type WHERE typname = 'invoice_status'"
        ) == [("invoice_status",)]


def test_the_program_inserts_after_the_squashed_seed_rows(squashed, database):
    """The rows came with their ids; the next id the database gives follows them."""
    after = squashed["after"]
    env = after.env(MYAPP_DATABASE_URL=database.url)
    after.run("alembic", "upgrade", "head", env=env)

    database.execute(
        "INSERT INTO account (name, create_date) VALUES ('Ada', '2024-12-10')"
    )
    database.execute("INSERT INTO invoice (account_id) VALUES (4)")

    assert database.query("SELECT id FROM account WHERE name = 'Ada'") == [(4,)]
    assert database.query("SELECT id, status FROM invoice WHERE account_id = 4") == [
        (3, "draft")
    ]


TEAMS_AND_MEMBERS = (
    "SELECT id, captain_id, grade::text FROM team ORDER BY id",
    "SELECT id, team_id FROM member ORDER BY id",
)


def test_rows_that_point_at_each_other_across_a_cycle_come_through_on_postgresql(
    cycle_squashed, postgres, tmp_path
):
    """The squashed revision inserts the rows before it adds the foreign key that
    closes the cycle: PostgreSQL checks a foreign key at once."""
    database = new_database("postgres", tmp_path, postgres)
    env = env_of(cycle_squashed, database)

    cycle_squashed.run("alembic", "upgrade", "head", env=env)
    rows = [database.query(sql) for sql in TEAMS_AND_MEMBERS]
    cycle_squashed.run("alembic", "downgrade", "base", env=env)
    left = [name for (name,) in database.query(database.tables_sql)]
    cycle_squashed.run("alembic", "upgrade", "head", env=env)

    assert rows == [
        [(1, 3, "senior"), (2, 2, "junior")],
        [(1, 1), (2, 2), (3, 1)],
    ]
    assert left == ["alembic_version"]
    assert [database.query(sql) for sql in TEAMS_AND_MEMBERS] == rows
    assert database.query("SELECT conname FROM pg_constraint WHERE contype = 'f'") == [
        ("fk_member_team_id_team",),
        ("fk_team_captain_id_member",),
    ]


def test_a_renamed_column_keeps_the_type_its_revision_declared(
    cycle_squashed, postgres, tmp_path
):
    """SQLite reads an enum back as VARCHAR and a timestamp with its time zone as
    DATETIME; the squash takes the types from the operations, renamed with the column."""
    database = new_database("postgres", tmp_path, postgres)

    cycle_squashed.run(
        "alembic", "upgrade", "head", env=env_of(cycle_squashed, database)
    )

    assert database.query(
        "SELECT column_name, data_type, udt_name FROM information_schema.columns"
        " WHERE table_name = 'team' AND column_name IN ('grade', 'founded_at')"
    ) == [
        ("founded_at", "timestamp with time zone", "timestamptz"),
        ("grade", "USER-DEFINED", "team_level"),
    ]
    assert database.query(
        "SELECT enumlabel FROM pg_enum JOIN pg_type ON pg_type.oid = enumtypid"
        " WHERE typname = 'team_level' ORDER BY enumsortorder"
    ) == [("junior",), ("senior",)]


@pytest.mark.parametrize("at", [VOID, NOTE])
def test_a_database_at_the_squash_point_or_later_works_as_before(
    squashed, database, at
):
    env = squashed["after"].env(MYAPP_DATABASE_URL=database.url)
    squashed["before"].run("alembic", "upgrade", at, env=env)

    upgraded = squashed["after"].run("alembic", "upgrade", "head", env=env)
    current = squashed["after"].run("python", "-m", "myapp", "db", "current", env=env)
    squashed["after"].run("python", "-c", MIGRATE, env=env)

    assert database.query("SELECT version_num FROM alembic_version") == [(NOTE,)]
    assert current.stdout.strip() == f"{NOTE} (head)"
    assert ("Running upgrade" in upgraded.stderr) == (at == VOID)


@pytest.mark.parametrize("at", [CREATE_ACCOUNT, INVOICES])
def test_a_database_at_a_squashed_away_revision_is_told_what_to_do(
    squashed, database, at
):
    env = squashed["after"].env(MYAPP_DATABASE_URL=database.url)
    squashed["before"].run("alembic", "upgrade", at, env=env)
    before = database.snapshot()

    cli = squashed["after"].run("alembic", "upgrade", "head", env=env, check=False)
    db = squashed["after"].run(
        "python", "-m", "myapp", "db", "upgrade", env=env, check=False
    )
    code = squashed["after"].run("python", "-c", MIGRATE, env=env, check=False)

    expected = (
        f"The database is at revision {at}, which was squashed into revision {VOID}, "
        "so this version of myapp cannot upgrade it. Upgrade it first with a version "
        f"from before the squash (one that has revision {at}), then with this one. "
        "The database was not changed."
    )
    assert error_lines(cli) == error_lines(db) == [f"FAILED: {expected}"]
    assert last_line(code) == f"myapp.db.DatabaseError: {expected}"
    assert database.snapshot() == before
    if database.url.startswith("sqlite"):  # not even a backup was made
        folder = Path(database.url.removeprefix("sqlite:///")).parent
        assert list(folder.glob("*.bak")) == []


# Refusals -------------------------------------------------------------------------------


def branch(project: Path) -> None:
    write_revision(project, "b1", "one branch", SEED, "pass")
    write_revision(project, "b2", "another", SEED, "pass")


def merge(project: Path) -> None:
    branch(project)
    write_revision(project, "m1", "merge", ("b1", "b2"), "pass")


def depended_on(project: Path) -> None:
    write_revision(project, "x1", "later", SEED, "pass", depends_on=CREATE_ACCOUNT)


def labelled(project: Path) -> None:
    write_revision(project, "l1", "labelled", SEED, "pass", branch_labels=("work",))


def depends(project: Path) -> None:
    write_revision(project, "d1", "depends", SEED, "pass", depends_on=CREATE_ACCOUNT)


NOT_STRAIGHT = (
    "Cannot squash up to {}: it is not on a straight line from base ({}). "
    "Nothing was changed."
)


@pytest.mark.parametrize(
    ("shape", "revision", "refusal"),
    [
        (branch, "b1", NOT_STRAIGHT.format("b1", f"the history branches at {SEED} (b1, b2)")),
        (merge, "m1", NOT_STRAIGHT.format("m1", "m1 merges b1, b2")),
        (depends, "d1", NOT_STRAIGHT.format("d1", f"d1 depends on {CREATE_ACCOUNT}")),
        (labelled, "l1", NOT_STRAIGHT.format("l1", "l1 carries the branch label work")),
        (depended_on, SEED, NOT_STRAIGHT.format(SEED, f"x1 depends on {CREATE_ACCOUNT}")),
        (None, CREATE_ACCOUNT,
         f"{CREATE_ACCOUNT} is the first revision: there is nothing to squash."),
        (None, "deadbeef", "Can't locate revision identified by 'deadbeef'"),
    ],
)  # fmt: skip
def test_what_cannot_be_squashed_is_refused_in_one_line(
    project, shape, revision, refusal
):
    if shape:
        shape(project.path)
    before = versions(project.path)

    result = squash(project, revision, check=False)

    assert result.returncode != 0
    assert error_lines(result) == [f"FAILED: {refusal}"]
    assert versions(project.path) == before


def test_a_squash_that_builds_something_else_is_refused_and_changes_nothing(
    project, postgres
):
    """An old revision that did more on PostgreSQL than on SQLite: an index and a row
    the squashed revision, written from SQLite, would not have. The proof on the TEST_
    server sees it, and nothing changes, on disk or on the server."""
    write_revision(
        project.path, "p1", "PostgreSQL only", SEED,
        """
        if op.get_context().dialect.name == "postgresql":
            op.create_index("ix_account_name", "account", ["name"])
            op.execute("INSERT INTO account (name, create_date) VALUES ('pg', now())")
        """,
    )  # fmt: skip
    before = versions(project.path)
    databases = "SELECT datname FROM pg_database"
    servers = postgres.query("postgres", databases)

    on_sqlite = project.copy(project.path.parent / "sqlite-only")
    squash(
        on_sqlite, "p1"
    )  # without the TEST_ server, SQLite alone proves nothing wrong
    result = squash(project, "p1", check=False, TEST_MYAPP_DATABASE_URL=postgres.url())

    (failed,) = error_lines(result)
    assert failed.startswith(
        "FAILED: The squashed history builds something else than the old one on a "
        "scratch PostgreSQL database, at p1: table account: index ix_account_name is "
        "missing (ON (name))"
    )
    assert failed.endswith("Nothing was changed.")
    assert SUPERUSER_PASSWORD not in result.stdout + result.stderr
    assert versions(project.path) == before
    assert postgres.query("postgres", databases) == servers


def test_a_squash_whose_rows_differ_on_postgresql_is_refused_naming_the_row(
    project, postgres
):
    """Same schema on both databases, one more row on PostgreSQL: only the rows tell
    the squashed history (written from SQLite) from the old one."""
    write_revision(
        project.path, "r1", "One more account on PostgreSQL", SEED,
        """
        if op.get_bind().dialect.name == "postgresql":
            op.execute(
                "INSERT INTO account (name, create_date)"
                " VALUES ('Only on PostgreSQL', '2020-02-02')"
            )
        """,
    )  # fmt: skip
    before = versions(project.path)

    result = squash(project, "r1", check=False, TEST_MYAPP_DATABASE_URL=postgres.url())

    refusal = (
        "The squashed history builds something else than the old one on a scratch "
        "PostgreSQL database, at r1: table account: row (4, 'Only on PostgreSQL', "
        "datetime.date(2020, 2, 2)) is missing. Nothing was changed."
    )
    assert error_lines(result) == [f"FAILED: {refusal}"]
    assert versions(project.path) == before


def test_what_the_squash_cannot_write_again_is_caught_on_sqlite(project):
    """A view made with op.execute(): no table shows it, and the squashed revision
    would not have it. The proof sees it go, and nothing changes."""
    write_revision(
        project.path, "v1", "a view", SEED,
        'op.execute("CREATE VIEW named AS SELECT name FROM account")',
    )  # fmt: skip
    before = versions(project.path)

    result = squash(project, "v1", check=False)

    (failed,) = error_lines(result)
    assert failed.startswith(
        "FAILED: The squashed history builds something else than the old one on a "
        "scratch SQLite database, at v1: view named is missing. Nothing was changed."
    )
    assert versions(project.path) == before


def test_a_second_squash_still_names_what_the_first_replaced(squashed, tmp_path):
    again = squashed["after"].copy(tmp_path)
    squash(again, NOTE)
    (path,) = (again.path / VERSIONS).glob("*.py")
    database = new_database("sqlite", tmp_path, None)
    env = again.env(MYAPP_DATABASE_URL=database.url)
    squashed["before"].run("alembic", "upgrade", CREATE_ACCOUNT, env=env)

    result = again.run("alembic", "upgrade", "head", env=env, check=False)

    assert f'"{CREATE_ACCOUNT}"' in path.read_text().split("squashed:")[1]
    assert error_lines(result)[0].startswith(
        f"FAILED: The database is at revision {CREATE_ACCOUNT}, which was squashed into "
        f"revision {NOTE}"
    )


# The rest of the project ------------------------------------------------------------------


@pytest.mark.parametrize("on", ["sqlite", "postgres"])
def test_the_rendered_suite_passes_after_squashing_the_example(
    project, tmp_path, request, on
):
    squash(project, SEED)
    env = {}
    if on == "postgres":
        postgres = request.getfixturevalue("postgres")
        env["TEST_MYAPP_DATABASE_URL"] = new_database(
            "postgres", tmp_path, postgres
        ).url

    result = project.run(
        "pytest", "-q", "-p", "no:cacheprovider", env=project.env(**env), check=False
    )

    assert result.returncode == 0, result.stdout[-3000:]
    assert " passed" in result.stdout and "failed" not in result.stdout


def test_the_squashed_revision_keeps_its_date_and_sorts_before_later_revisions(
    project,
):
    """Revision files are named by date; the squashed one takes the date of the revision
    whose id it keeps, so versions/ still lists in the order the history reads."""
    project.run("alembic", "revision", "-m", "later")  # named with today's date
    squash(project, SEED)

    names = sorted(p.name for p in (project.path / VERSIONS).glob("*.py"))

    assert len(names) == 2
    assert names[0].startswith("2026_11_25_1201")  # the seed revision's create date
    assert f"-{SEED}_squashed_history" in names[0]
    assert names[1].endswith("_later.py")

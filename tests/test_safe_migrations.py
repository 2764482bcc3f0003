"""Safe migrations on SQLite and PostgreSQL: atomic runs, concurrent starters, batch
rebuilds that keep child rows, and errors that are one line with no password in them."""

import re
import subprocess
import textwrap
import uuid
from urllib.parse import quote

import pytest
from conftest import add_invoice_model, new_database, without_root_privileges
from conftest import sqlite_query as query
from pg_server import free_port

SEED_HEAD = "8c4e2d6a1b57"
MIGRATE = "from myapp.db import migrate; migrate()"


REVISION = '''"""{revision}"""

import time

import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = "{down_revision}"
branch_labels = None
depends_on = None


def upgrade():
{body}


def downgrade():
    pass
'''


def add_revision(project, revision, upgrade, down_revision=SEED_HEAD):
    """Write a revision file on top of `down_revision`, as a user would."""
    body = textwrap.indent(textwrap.dedent(upgrade).strip(), "    ")
    path = project.path / f"myapp/migrations/versions/{revision}.py"
    path.write_text(
        REVISION.format(revision=revision, down_revision=down_revision, body=body)
    )


def url_env(project, url):
    return project.env(MYAPP_DATABASE_URL=url)


def error_lines(result):
    """Everything a failed command printed but Alembic's INFO lines on its progress."""
    output = result.stdout + result.stderr
    return [line for line in output.splitlines() if not line.startswith("INFO ")]


def last_line(result):
    return result.stderr.strip().splitlines()[-1]


# A revision that creates a table, adds a column and inserts a row, then fails.
BROKEN = """
op.create_table("audit", sa.Column("id", sa.Integer, primary_key=True))
op.add_column("account", sa.Column("email", sa.String(200)))
op.execute("INSERT INTO audit (id) VALUES (1)")
op.execute("INSERT INTO no_such_table (id) VALUES (1)")
"""


def test_a_failing_revision_leaves_the_database_as_it_was(project, database):
    env = url_env(project, database.url)
    project.run("alembic", "upgrade", "3f1a9c2b7d10", env=env)  # the table, no seed
    add_revision(project, "broken", BROKEN)
    before = database.snapshot()

    cli = project.run("alembic", "upgrade", "head", env=env, check=False)
    code = project.run("python", "-c", MIGRATE, env=env, check=False)

    assert cli.returncode != 0
    (failed,) = error_lines(cli)
    # The revision, the database's reason and the statement, with no values.
    assert failed.startswith(
        "FAILED: Migration failed and was rolled back at revision broken (broken): "
    )
    assert failed.endswith(", in: INSERT INTO no_such_table (id) VALUES (1)")
    assert (
        last_line(code) == f"myapp.db.DatabaseError: {failed.removeprefix('FAILED: ')}"
    )
    assert database.snapshot() == before
    assert database.query("SELECT version_num FROM alembic_version") == [
        ("3f1a9c2b7d10",)
    ]


def start_together(project, code, env, timeout=120) -> list[tuple[int, str]]:
    """Run `code` in six processes started at once; each one's exit status and stderr.

    A process still running after `timeout` seconds counts as hung: the test fails.
    """
    python = str(project.venv / "bin/python")
    starters = [
        subprocess.Popen(
            [python, "-c", code],
            cwd=project.path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    try:
        errors = [starter.communicate(timeout=timeout)[1] for starter in starters]
        return [(starter.returncode, error) for starter, error in zip(starters, errors)]
    finally:
        for starter in starters:
            starter.kill()


def test_processes_that_start_together_all_succeed(project, database):
    # A slow last revision keeps the first starter busy while the others wait, longer
    # than SQLite's default busy timeout of 5 seconds.
    add_revision(project, "slow", "time.sleep(6)")
    env = url_env(project, database.url)

    results = start_together(project, MIGRATE, env)

    assert results == [(0, "")] * 6
    assert len(database.query("SELECT name FROM account")) == 3
    assert database.query("SELECT version_num FROM alembic_version") == [("slow",)]


def add_family_revisions(project):
    """A parent table with ON DELETE CASCADE children, then a revision that rebuilds
    the parent in batch mode on SQLite: copy, DROP, rename."""
    add_revision(
        project,
        "family",
        """
        op.create_table(
            "parent",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.String(50)),
        )
        op.create_table(
            "child",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column(
                "parent_id",
                sa.Integer,
                sa.ForeignKey("parent.id", ondelete="CASCADE", name="fk_child_parent"),
            ),
        )
        op.execute("INSERT INTO parent (id, name) VALUES (1, 'p')")
        op.execute("INSERT INTO child (id, parent_id) VALUES (1, 1), (2, 1)")
        """,
    )
    add_revision(
        project,
        "widen",
        """
        with op.batch_alter_table("parent") as batch:
            batch.alter_column("name", type_=sa.String(200))
        """,
        down_revision="family",
    )


def test_batch_rebuild_of_a_parent_keeps_its_cascade_children(project, tmp_path):
    """SQLite only: PostgreSQL alters a table in place, it never rebuilds one."""
    database = new_database("sqlite", tmp_path, None)
    add_family_revisions(project)
    env = url_env(project, database.url)

    project.run("alembic", "upgrade", "head", env=env)

    assert database.query("SELECT id, parent_id FROM child") == [(1, 1), (2, 1)]
    assert database.query("SELECT version_num FROM alembic_version") == [("widen",)]


# A program that hands Alembic its own connection, from the program's engine, which
# enforces foreign keys.
WITH_OWN_CONNECTION = """
import sys
from alembic import command
from sqlalchemy import text
from myapp import db

config = db.alembic_config()
config.attributes["configure_logger"] = False
with db.get_engine().connect() as connection:
    if sys.argv[1] == "in a transaction":
        connection.begin()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
    print("foreign keys:", connection.execute(text("PRAGMA foreign_keys")).scalar())
"""


def test_a_callers_connection_with_foreign_keys_on_keeps_cascade_children(project):
    path = project.path.parent / "app.db"
    env = url_env(project, f"sqlite:///{path}")
    add_family_revisions(project)
    project.run("alembic", "upgrade", "family", env=env)

    result = project.run("python", "-c", WITH_OWN_CONNECTION, "idle", env=env)

    assert query(path, "SELECT id, parent_id FROM child") == [(1, 1), (2, 1)]
    assert query(path, "SELECT version_num FROM alembic_version") == [("widen",)]
    assert result.stdout.strip() == "foreign keys: 1"  # the caller's setting is back


def test_a_callers_transaction_with_foreign_keys_on_is_refused(project):
    path = project.path.parent / "app.db"
    env = url_env(project, f"sqlite:///{path}")
    add_family_revisions(project)
    project.run("alembic", "upgrade", "family", env=env)
    before = path.read_bytes()

    result = project.run(
        "python", "-c", WITH_OWN_CONNECTION, "in a transaction", env=env, check=False
    )

    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        "myapp.db.DatabaseError: The connection given to Alembic has SQLite's foreign "
        "keys on inside a transaction, where they cannot be turned off, and a batch "
        "operation would delete child rows: pass a connection from "
        "db.migration_engine(), or one that has not begun a transaction."
    )
    assert path.read_bytes() == before


@pytest.mark.parametrize("keyword", ["PASSWORD", "password", "Password"])
def test_a_refused_statement_is_named_with_no_password(project, database, keyword):
    add_revision(
        project,
        "role",
        f"op.execute(\"CREATE ROLE reader LOGIN {keyword} 'hunter2-secret' LIMIT x\")",
    )

    cli = project.run(
        "alembic", "upgrade", "head", env=url_env(project, database.url), check=False
    )

    (failed,) = error_lines(cli)
    assert failed.endswith(f", in: CREATE ROLE reader LOGIN {keyword} '***' LIMIT x")
    assert "hunter2" not in cli.stdout + cli.stderr


def test_postgresqls_detail_names_the_object_in_the_way(project, postgres, tmp_path):
    database = new_database("postgres", tmp_path, postgres)
    add_revision(
        project,
        "drop",
        """
        op.create_table(
            "child",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("account_id", sa.Integer, sa.ForeignKey("account.id")),
        )
        op.drop_table("account")
        """,
    )

    cli = project.run(
        "alembic", "upgrade", "head", env=url_env(project, database.url), check=False
    )

    (failed,) = error_lines(cli)
    assert "cannot drop table account because other objects depend on it (" in failed
    assert (
        "constraint fk_child_account_id_account on table child depends on table account"
        in failed
    )
    assert failed.endswith(", in: DROP TABLE account")


def test_an_error_without_a_telling_message_keeps_its_class(project, database):
    add_revision(
        project,
        "reflect",
        'sa.Table("topics", sa.MetaData(), autoload_with=op.get_bind())',
    )
    env = url_env(project, database.url)

    cli = project.run("alembic", "upgrade", "head", env=env, check=False)

    assert error_lines(cli) == [
        (
            "FAILED: Migration failed and was rolled back at revision reflect (reflect): "
            "NoSuchTableError: topics"
        )
    ]


def test_sql_mode_explains_what_sqlite_cannot_render(project):
    add_revision(
        project,
        "drop_date",
        """
        with op.batch_alter_table("account") as batch:
            batch.drop_column("create_date")
        """,
    )
    sqlite = url_env(project, f"sqlite:///{project.path.parent / 'app.db'}")
    postgres = url_env(project, "postgresql://localhost/myapp")

    on_sqlite = project.run(
        "alembic", "upgrade", "head", "--sql", env=sqlite, check=False
    )
    on_postgres = project.run("alembic", "upgrade", "head", "--sql", env=postgres)

    assert on_sqlite.returncode != 0
    assert all(line.startswith("INFO ") for line in on_sqlite.stderr.splitlines())
    assert on_sqlite.stdout.splitlines()[-1:] == [
        (
            "FAILED: --sql cannot write SQLite's SQL for this history: a batch operation "
            "rebuilds table account, which needs the live database. Run the upgrade on the "
            "database itself, or write PostgreSQL's SQL, which needs no server: "
            "MYAPP_DATABASE_URL=postgresql://localhost/myapp alembic upgrade head --sql"
        )
    ]
    assert "ALTER TABLE account DROP COLUMN create_date;" in on_postgres.stdout


def test_postgres_upgrade_autogenerate_check_and_downgrade(project, postgres):
    name = f"app_{uuid.uuid4().hex[:12]}"
    postgres.admin(f"CREATE DATABASE {name}")
    env = url_env(project, postgres.url(name))
    project.run("alembic", "upgrade", "head", env=env)
    add_invoice_model(project.path / "myapp/models.py")

    project.run("alembic", "revision", "--autogenerate", "-m", "add invoice", env=env)
    project.run("alembic", "upgrade", "head", env=env)
    project.run("alembic", "check", env=env)
    tables = postgres.query(
        name, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    )
    project.run("alembic", "downgrade", "base", env=env)

    assert tables == [
        ("account",),
        ("alembic_history",),
        ("alembic_version",),
        ("invoice",),
    ]
    assert postgres.query(
        name, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    ) == [("alembic_history",), ("alembic_version",)]


# Every character that means something in a URL, plus the one that breaks ConfigParser.
SPECIAL_PASSWORD = "p%a@s/s:w#o?r&d"


def test_a_password_full_of_url_special_characters_works(project, postgres):
    name = f"app_{uuid.uuid4().hex[:12]}"
    role = f"role_{uuid.uuid4().hex[:8]}"
    postgres.admin(
        f"CREATE ROLE {role} LOGIN PASSWORD '{SPECIAL_PASSWORD}'",
        f"CREATE DATABASE {name} OWNER {role}",
    )
    env = url_env(project, postgres.url(name, user=role, password=SPECIAL_PASSWORD))

    outputs = [
        project.run("alembic", "upgrade", "head", env=env),
        project.run("alembic", "current", env=env),
        project.run("python", "-c", MIGRATE, env=env),
    ]

    assert f"{SEED_HEAD} (head)" in outputs[1].stdout
    assert postgres.query(name, "SELECT count(*) FROM account") == [(3,)]
    assert_no_password(outputs, SPECIAL_PASSWORD)


def assert_no_password(results, password):
    for result in results:
        for secret in (password, quote(password, safe="")):
            assert secret not in result.stdout + result.stderr


MALFORMED = "postgresql+psycopg://app:s3cret-pw@db.example:port/app"
MALFORMED_ERROR = (
    "MYAPP_DATABASE_URL is not a valid database URL: expected "
    "dialect+driver://user:password@host:port/database, with special "
    "characters in the password percent-encoded (@ as %40, % as %25)."
)


def test_a_malformed_url_is_one_clear_line(project):
    env = url_env(project, MALFORMED)

    cli = project.run("alembic", "upgrade", "head", env=env, check=False)
    code = project.run("python", "-c", MIGRATE, env=env, check=False)

    assert cli.returncode != 0
    assert (cli.stdout + cli.stderr).strip() == f"FAILED: {MALFORMED_ERROR}"
    assert last_line(code) == f"myapp.db.DatabaseError: {MALFORMED_ERROR}"
    assert_no_password([cli, code], "s3cret-pw")


@pytest.mark.parametrize(
    "migrations",
    ["postgresql+psycopg://owner:s3cret-pw@127.0.0.1:1/app", "sqlite:///other.db"],
)
def test_a_migration_url_that_names_another_database_is_refused(project, migrations):
    """The program's SQLite file and a PostgreSQL database, or two SQLite files:
    migrations would change one and the program query the other."""
    env = project.env(
        MYAPP_DATABASE_URL=f"sqlite:///{project.path / 'program.db'}",
        MYAPP_MIGRATION_DATABASE_URL=migrations,
    )

    # Bounded: were it not refused, the start would wait for the server on port 1.
    cli = project.run("alembic", "upgrade", "head", env=env, check=False, timeout=60)
    code = project.run("python", "-c", MIGRATE, env=env, check=False, timeout=60)

    refusal = (
        "MYAPP_MIGRATION_DATABASE_URL and MYAPP_DATABASE_URL name different databases ("
        f"{migrations.replace('s3cret-pw', '***')} and sqlite:///{project.path}"
        "/program.db): the two may differ in the user and password, and in the host "
        "and port of a pooler in front of the same server, not in the database. "
        "Nothing was migrated."
    )
    assert error_lines(cli) == [f"FAILED: {refusal}"]
    assert last_line(code) == f"myapp.db.DatabaseError: {refusal}"
    assert_no_password([cli, code], "s3cret-pw")
    assert not (project.path / "program.db").exists()
    assert not (project.path / "other.db").exists()


@pytest.mark.parametrize(
    ("where", "driver"),
    [("unreachable", "psycopg"), ("wrong password", "psycopg"),
     ("unreachable", "asyncpg")],
)  # fmt: skip
def test_a_database_that_cannot_be_reached_is_one_line_without_the_password(
    project, postgres, where, driver
):
    """The line names the URL as the user wrote it, asyncpg's too, though migrations
    connect with psycopg. A refused connection may be a server still starting: it is
    waited for within the budget, then given up on in one line; a wrong password is
    not waited for."""
    password = "s3cr@t-pw"
    port = free_port() if where == "unreachable" else postgres.port
    url = f"postgresql+{driver}://app:{quote(password, safe='')}@127.0.0.1:{port}/app"
    env = {**url_env(project, url), "MYAPP_MIGRATION_WAIT": "1"}

    cli = project.run("alembic", "upgrade", "head", env=env, check=False)
    code = project.run("python", "-c", MIGRATE, env=env, check=False)

    assert cli.returncode != 0
    # One line, though psycopg's message has several.
    (failed,) = error_lines(cli)
    where_to = f"postgresql+{driver}://app:***@127.0.0.1:{port}/app"
    assert failed.startswith(
        f"FAILED: Gave up after 1 s (MYAPP_MIGRATION_WAIT) waiting for {where_to} to "
        "accept connections: "
        if where == "unreachable"
        else f"FAILED: Cannot connect to {where_to}: "
    )
    assert (
        last_line(code) == f"myapp.db.DatabaseError: {failed.removeprefix('FAILED: ')}"
    )
    assert_no_password([cli, code], password)


# A password with every character that means something in a URL, unencoded, and a
# space. Each piece between them is distinctive, so no fragment can hide in the output.
RAW_PASSWORD = "Kq7@Zx9:Wm3/Tb8#Ry5?Hn2%Vc6 Pj4"
TOO_MANY_ATS = (
    "MYAPP_DATABASE_URL has more than one @ before the host: write an @ in the user "
    "name or password as %40 (and a % as %25)."
)


@pytest.mark.parametrize("password", [RAW_PASSWORD, RAW_PASSWORD.replace("@", "")])
def test_an_unencoded_password_never_shows(project, postgres, password):
    name, role = f"app_{uuid.uuid4().hex[:12]}", f"role_{uuid.uuid4().hex[:8]}"
    postgres.admin(
        f"CREATE ROLE {role} LOGIN PASSWORD '{password}'",
        f"CREATE DATABASE {name} OWNER {role}",
    )
    url = f"postgresql+psycopg://{role}:{password}@127.0.0.1:{postgres.port}/{name}"
    env = url_env(project, url)

    outputs = [
        project.run("alembic", "upgrade", "head", env=env, check=False),
        project.run("python", "-m", "myapp", "db", "current", env=env, check=False),
        project.run("python", "-c", MIGRATE, env=env, check=False),
    ]

    if "@" in password:  # the parser would take the rest of it for the host
        assert [result.returncode for result in outputs] == [255, 255, 1]
        for result in outputs[:2]:
            assert (result.stdout + result.stderr).strip() == f"FAILED: {TOO_MANY_ATS}"
        assert last_line(outputs[2]) == f"myapp.db.DatabaseError: {TOO_MANY_ATS}"
    else:
        assert [result.returncode for result in outputs] == [0, 0, 0]
        assert f"Migrating postgresql+psycopg://{role}:***@" in outputs[0].stderr
        assert f"{SEED_HEAD} (head)" in outputs[1].stdout
    for result in outputs:
        for fragment in re.split(r"[@:/#?% ]", RAW_PASSWORD):
            assert fragment not in result.stdout + result.stderr


@pytest.mark.parametrize("command", ["current", "check"])
def test_a_command_that_only_reads_says_what_failed(project, database, command):
    env = url_env(project, database.url)
    project.run("alembic", "upgrade", "head", env=env)
    database.execute(
        "DROP TABLE alembic_version; CREATE TABLE alembic_version (other INTEGER)"
    )

    result = project.run("alembic", command, env=env, check=False)

    assert result.returncode == 255
    (failed,) = error_lines(result)
    assert failed.startswith(f"FAILED: Could not read {database.url.split(':')[0]}")
    assert "version_num" in failed
    assert "Migration failed" not in failed


def corrupt(path, how):
    if how == "not a database":
        path.write_bytes(b"these bytes are no SQLite file " * 200)
    else:  # damage the first page's schema, after the file header
        with path.open("r+b") as file:
            file.seek(100)
            file.write(b"\xff" * 3000)


@pytest.mark.parametrize(
    ("how", "words"),
    [
        ("not a database", "file is not a database"),
        ("damaged", "database disk image is malformed"),
    ],
)
def test_a_damaged_sqlite_file_names_the_newest_backup(project, how, words):
    path = project.path.parent / "app.db"
    env = url_env(project, f"sqlite:///{path}")
    project.run("alembic", "upgrade", "3f1a9c2b7d10", env=env)
    project.run("alembic", "upgrade", "head", env=env)  # backs up the first time
    project.run("alembic", "downgrade", "-1", env=env)  # and the second
    (newest,) = [p for p in path.parent.glob("app.db.8c4e2d6a1b57.*.bak")]
    corrupt(path, how)
    expected = (
        f"{path} is not a SQLite database, or is damaged ({words}): stop the program, "
        f"restore the newest backup, {newest}, by copying it over the file, or move "
        "the file away to start afresh."
    )

    cli = project.run("alembic", "upgrade", "head", env=env, check=False)
    current = project.run(
        "python", "-m", "myapp", "db", "current", env=env, check=False
    )
    code = project.run("python", "-c", MIGRATE, env=env, check=False)

    assert error_lines(cli) == error_lines(current) == [f"FAILED: {expected}"]
    assert last_line(code) == f"myapp.db.DatabaseError: {expected}"


@pytest.mark.parametrize("where", ["missing folder", "read-only folder"])
def test_a_sqlite_file_that_cannot_be_opened_says_why(project, tmp_path, where):
    folder = tmp_path / "data"
    if where == "read-only folder":
        folder.mkdir(mode=0o555)
    path = folder / "app.db"
    env = url_env(project, f"sqlite:///{path}")
    expected = {
        "missing folder": f"Cannot open the SQLite database {path}: its folder "
        f"{folder} does not exist. Create the folder, or use another file.",
        "read-only folder": f"Cannot create the SQLite database {path}: its folder "
        f"{folder} is not writable. Make it writable, or use another folder.",
    }[where]
    alembic = str(project.venv / "bin/alembic")

    result = subprocess.run(
        without_root_privileges([alembic, "upgrade", "head"]),
        cwd=project.path, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert (result.stdout + result.stderr).strip() == f"FAILED: {expected}"
    assert not path.exists()


def test_starters_wait_without_blocking_a_concurrent_index(project, postgres, tmp_path):
    """CREATE INDEX CONCURRENTLY waits for every older snapshot to end: a starter that
    waited for the lock inside a statement would hold one, and wait for the holder."""
    database = new_database("postgres", tmp_path, postgres)
    add_revision(
        project,
        "index_concurrently",
        """
        time.sleep(2)  # the other starters are waiting by now
        with op.get_context().autocommit_block():
            op.create_index(
                "ix_account_name", "account", ["name"], postgresql_concurrently=True
            )
        """,
    )
    env = url_env(project, database.url)

    results = start_together(project, MIGRATE, env, timeout=60)

    assert [code for code, _ in results] == [0] * 6
    assert database.query(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'account'"
    ) == [("ix_account_name",), ("pk_account",)]
    assert database.query("SELECT version_num FROM alembic_version") == [
        ("index_concurrently",)
    ]


def test_a_read_only_folder_without_backups_is_one_line(project, tmp_path):
    """SQLite writes its journal beside the file: the folder is what must be writable."""
    folder = tmp_path / "readonly"
    folder.mkdir()
    path = folder / "app.db"
    env = project.env(
        MYAPP_DATABASE_URL=f"sqlite:///{path}", MYAPP_MIGRATION_BACKUP="0"
    )
    project.run("alembic", "upgrade", "3f1a9c2b7d10", env=env)
    folder.chmod(0o555)
    command = [str(project.venv / "bin/alembic"), "upgrade", "head"]
    try:
        result = subprocess.run(
            without_root_privileges(command), cwd=project.path, env=env,
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    finally:
        folder.chmod(0o755)

    assert result.returncode != 0
    assert error_lines(result) == [
        (
            "FAILED: Migration failed and was rolled back at revision 8c4e2d6a1b57 "
            f"(Seed example accounts): Cannot write the SQLite database {path}: its "
            f"folder {folder} is "
            "read-only, and SQLite writes its journal beside the file. Make the folder "
            "writable, or move the database to one that is."
        )
    ]
    assert query(path, "SELECT version_num FROM alembic_version") == [("3f1a9c2b7d10",)]

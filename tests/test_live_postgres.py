"""A live service on PostgreSQL: a migration URL and role of its own, table-lock waits
that never stall traffic, one bounded budget for every wait at start, many replicas
starting at once, and PgBouncer in front."""

import os
import select
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from itertools import pairwise

import psycopg
import pytest
from conftest import new_database
from pg_server import PostgresServer, free_port
from test_safe_migrations import MIGRATE, SEED_HEAD, add_revision, error_lines

ADD_EMAIL = 'op.add_column("account", sa.Column("email", sa.String(200)))'
# A start with the program's logging on, as a service's would be.
MIGRATE_LOGGED = (
    "import logging; logging.basicConfig(level=logging.INFO, format='%(message)s'); "
    + MIGRATE
)


def wait_for(condition, what: str, timeout: float = 30):
    """Poll `condition` until it returns something true; fail naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    pytest.fail(f"gave up after {timeout} s waiting for {what}")


def start(project, env, code=MIGRATE_LOGGED, command=None):
    """Start `code` in the project's Python, or `command` (its own argv) instead."""
    return subprocess.Popen(
        command or [str(project.venv / "bin/python"), "-c", code],
        cwd=project.path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def outcome(process, timeout=90) -> subprocess.CompletedProcess:
    """Wait for `process` to end, killing it after `timeout` s; what it printed."""
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    finally:
        process.kill()
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def finish(process, timeout=90) -> tuple[int, str]:
    result = outcome(process, timeout)
    return result.returncode, result.stderr


def printed_until(process, words: str, timeout: float = 60) -> str:
    """What `process` printed on stderr up to a line that starts with `words`. Read from
    the pipe itself, so that outcome() later reads the rest."""
    seen, deadline = b"", time.monotonic() + timeout
    pipe = process.stderr.fileno()
    while not any(line.startswith(words) for line in seen.decode().splitlines()):
        left = max(deadline - time.monotonic(), 0)
        chunk = os.read(pipe, 65536) if select.select([pipe], [], [], left)[0] else b""
        if not chunk:
            pytest.fail(f"no line starting {words!r} within {timeout} s: {seen!r}")
        seen += chunk
    return seen.decode()


def waiting_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("Waiting for")]


def migration_backend(
    postgres, database: str, condition: str = "wait_event_type = 'Lock'"
):
    """The pid of a migrating backend of `database` that meets `condition`."""
    rows = postgres.query(
        "postgres",
        "SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'myapp migration%%'"
        f" AND datname = '{database}' AND {condition}",
    )
    return rows[0][0] if rows else None


@pytest.fixture
def at_seed_head(project, postgres, tmp_path):
    """A PostgreSQL database at the example's head, and a revision that adds a column."""
    database = new_database("postgres", tmp_path, postgres)
    env = project.env(MYAPP_DATABASE_URL=database.url)
    project.run("alembic", "upgrade", SEED_HEAD, env=env)
    add_revision(project, "email", ADD_EMAIL)
    return database, env


def report(postgres, database) -> psycopg.Connection:
    """A long report: a transaction that has read the account table, still open."""
    connection = postgres.connect(database, application_name="nightly report")
    connection.execute("SELECT count(*) FROM account")
    return connection


def name_of(database) -> str:
    return database.url.rsplit("/", 1)[1]


# Roles ----------------------------------------------------------------------------------

# The README's SQL for the two roles, with this test's names.
ROLES_SQL = """
CREATE ROLE {owner} LOGIN PASSWORD 'owner-pw';
CREATE ROLE {program} LOGIN PASSWORD 'program-pw';
CREATE DATABASE {database} OWNER {owner};
"""


@dataclass
class Roles:
    """A database owned by a role that migrations run as, and a program role that has
    only what migrations grant it; `env` sets both URLs."""

    postgres: PostgresServer
    database: str
    owner: str
    program: str
    env: dict

    def as_program(self, sql: str):
        with psycopg.connect(
            host="127.0.0.1", port=self.postgres.port, dbname=self.database,
            user=self.program, password="program-pw", autocommit=True,
        ) as connection:  # fmt: skip
            cursor = connection.execute(sql)
            return cursor.fetchall() if cursor.description else None


@pytest.fixture
def roles(project, postgres) -> Roles:
    suffix = uuid.uuid4().hex[:8]
    owner, program, database = f"owner_{suffix}", f"program_{suffix}", f"app_{suffix}"
    postgres.admin(
        *ROLES_SQL.format(owner=owner, program=program, database=database)
        .strip()
        .splitlines()
    )
    env = project.env(
        MYAPP_DATABASE_URL=postgres.url(database, program, "program-pw"),
        MYAPP_MIGRATION_DATABASE_URL=postgres.url(database, owner, "owner-pw"),
    )
    return Roles(postgres, database, owner, program, env)


def test_migrations_run_as_the_owner_and_grant_the_program_only_rows(
    project, postgres, roles
):
    env, as_program = roles.env, roles.as_program
    # The alembic command, then `myapp db`, then migrate(): each uses the migration URL.
    project.run("alembic", "upgrade", SEED_HEAD, env=env)
    add_revision(
        project,
        "invoice",
        'op.create_table("invoice", sa.Column("id", sa.Integer, primary_key=True),'
        ' sa.Column("note", sa.String(20)))',
    )
    project.run("myapp", "db", "upgrade", env=env)
    add_revision(project, "email", ADD_EMAIL, down_revision="invoice")
    project.run("python", "-c", MIGRATE, env=env)

    assert as_program("SELECT version_num FROM alembic_version") == [("email",)]
    as_program("INSERT INTO account (name, create_date) VALUES ('x', now())")
    as_program("UPDATE account SET email = 'x@example.com' WHERE name = 'x'")
    as_program("DELETE FROM account WHERE name = 'x'")
    # A table from a later revision, with its id sequence.
    as_program("INSERT INTO invoice (note) VALUES ('n')")
    assert as_program("SELECT note FROM invoice") == [("n",)]
    for refused in (
        "UPDATE alembic_version SET version_num = 'x'",
        "DELETE FROM alembic_version",
        "DROP TABLE account",
        "ALTER TABLE account ADD COLUMN y int",
        "CREATE TABLE mine (id int)",
        "TRUNCATE account",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            as_program(refused)
    owners = postgres.query(
        roles.database,
        "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'",
    )
    assert owners == [(roles.owner,)]


def test_upgrading_as_the_programs_role_says_to_migrate_as_the_owner(project, roles):
    env = {**roles.env}
    del env["MYAPP_MIGRATION_DATABASE_URL"]  # as if it were not set in this shell

    result = project.run("alembic", "upgrade", "head", env=env, check=False)

    where = roles.postgres.url(roles.database, roles.program, "pw").replace(
        "pw@", "***@"
    )
    expected = (
        f"FAILED: The role {roles.program} may not change the schema of {where} "
        "((psycopg.errors.InsufficientPrivilege) permission denied for schema public): "
        "migrate as the role that owns it, by setting MYAPP_MIGRATION_DATABASE_URL "
        "to its URL."
    )
    assert error_lines(result) == [expected]
    assert "program-pw" not in result.stdout + result.stderr


def test_the_program_reads_the_views_and_materialized_views_migrations_create(
    project, roles
):
    add_revision(
        project,
        "views",
        """
        op.execute("CREATE VIEW account_name AS SELECT name FROM account")
        op.execute(
            "CREATE MATERIALIZED VIEW account_total AS SELECT count(*) AS n FROM account"
        )
        """,
    )

    project.run("python", "-c", MIGRATE, env=roles.env)

    assert len(roles.as_program("SELECT name FROM account_name")) == 3
    assert roles.as_program("SELECT n FROM account_total") == [(3,)]


# Table locks ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "expected"),
    [({}, "2s"), ({"MYAPP_MIGRATION_LOCK_TIMEOUT": "0.5"}, "500ms")],
)
def test_each_attempt_runs_with_the_lock_timeout(
    project, postgres, tmp_path, settings, expected
):
    database = new_database("postgres", tmp_path, postgres)
    add_revision(
        project,
        "seen",
        "op.execute(\"CREATE TABLE seen AS SELECT current_setting('lock_timeout') AS t\")",
    )
    env = project.env(MYAPP_DATABASE_URL=database.url, **settings)

    project.run("python", "-c", MIGRATE, env=env)

    assert database.query("SELECT t FROM seen") == [(expected,)]


def test_a_lock_timeout_of_zero_is_bounded_by_the_wait_budget(
    project, postgres, tmp_path
):
    database = new_database("postgres", tmp_path, postgres)
    add_revision(
        project,
        "seen",
        "op.execute(\"CREATE TABLE seen AS SELECT current_setting('lock_timeout') AS t\")",
    )
    env = project.env(
        MYAPP_DATABASE_URL=database.url,
        MYAPP_MIGRATION_LOCK_TIMEOUT="0",
        MYAPP_MIGRATION_WAIT="30",
    )

    project.run("python", "-c", MIGRATE, env=env)

    ((seen,),) = database.query("SELECT t FROM seen")
    assert seen.endswith("ms") and 20_000 < int(seen.removesuffix("ms")) <= 30_000


# Not a number, or not one a wait can last: an endless or negative wait, or NaN.
@pytest.mark.parametrize("value", ["soon", "inf", "nan", "-1"])
@pytest.mark.parametrize(
    "variable", ["MYAPP_MIGRATION_LOCK_TIMEOUT", "MYAPP_MIGRATION_WAIT"]
)
def test_a_setting_that_is_not_a_number_of_seconds_is_one_line(
    project, postgres, tmp_path, variable, value
):
    database = new_database("postgres", tmp_path, postgres)
    env = project.env(MYAPP_DATABASE_URL=database.url, **{variable: value})
    alembic = [str(project.venv / "bin/alembic"), "upgrade", "head"]

    result = outcome(start(project, env, command=alembic), timeout=30)

    default, zero = (
        (2, "0 turns it off") if "LOCK" in variable else (600, "0 waits for nothing")
    )
    refusal = (
        f"FAILED: {variable} must be a number of seconds, such as {default} ({zero}), "
        f"not '{value}'."
    )
    assert error_lines(result) == [refusal]
    assert database.query(database.tables_sql) == []


def test_queries_behind_a_waiting_migration_wait_no_longer_than_the_lock_timeout(
    project, postgres, at_seed_head
):
    database, env = at_seed_head
    name = name_of(database)
    blocker = report(postgres, name)
    (blocker_pid,) = blocker.execute("SELECT pg_backend_pid()").fetchone()
    starter = start(project, {**env, "MYAPP_MIGRATION_LOCK_TIMEOUT": "1"})
    try:
        wait_for(lambda: migration_backend(postgres, name), "the migration to queue")
        # Queries that arrive meanwhile: each gives up if it waits 4 s for its lock,
        # which it would do behind a migration waiting with no lock timeout.
        for _ in range(4):
            with postgres.connect(name) as probe:
                probe.execute("SET lock_timeout = '4s'")
                assert probe.execute("SELECT count(*) FROM account").fetchone() == (3,)
            time.sleep(1)
    finally:
        blocker.close()
    code, stderr = finish(starter)

    assert code == 0, stderr
    (waited,) = waiting_lines(stderr)
    assert waited.startswith(
        f"Waiting for a lock on account (backend {blocker_pid} ('nightly report') holds"
        " it, in a transaction open for "
    )
    assert waited.endswith("), for up to 600 s (MYAPP_MIGRATION_WAIT)")
    # The revision ran once; each retry of it says which attempt it is.
    running = [line for line in stderr.splitlines() if line.startswith("Running ")]
    assert len(running) >= 3, stderr
    assert running == [running[0]] + [
        f"{running[0]} (attempt {number}; the ones before it were rolled back)"
        for number in range(2, len(running) + 1)
    ]
    assert database.query(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_name = 'account' AND column_name = 'email'"
    ) == [("email",)]


def test_a_table_lock_that_outlasts_the_budget_names_its_holder(
    project, postgres, at_seed_head
):
    database, env = at_seed_head
    before = database.snapshot()
    blocker = report(postgres, name_of(database))
    (blocker_pid,) = blocker.execute("SELECT pg_backend_pid()").fetchone()
    alembic = [str(project.venv / "bin/alembic"), "upgrade", "head"]
    try:
        # With no bound it would wait for the report, and the report for it: forever.
        result = subprocess.run(
            alembic, cwd=project.path, capture_output=True, text=True, timeout=60,
            check=False,
            env={**env, "MYAPP_MIGRATION_WAIT": "3", "MYAPP_MIGRATION_LOCK_TIMEOUT": "1"},
        )  # fmt: skip
    finally:
        blocker.close()

    (failed,) = error_lines(result)
    assert failed.startswith(
        "FAILED: Gave up after 3 s (MYAPP_MIGRATION_WAIT) waiting for a lock on account:"
        f" backend {blocker_pid} ('nightly report') holds it, in a transaction open for"
    )
    assert database.snapshot() == before


def test_a_lock_timeout_longer_than_the_budget_waits_only_for_what_is_left(
    project, postgres, at_seed_head
):
    database, env = at_seed_head
    name = name_of(database)
    blocker = report(postgres, name)
    settings = {"MYAPP_MIGRATION_LOCK_TIMEOUT": "10", "MYAPP_MIGRATION_WAIT": "3"}
    alembic = [str(project.venv / "bin/alembic"), "upgrade", "head"]
    starter = start(project, {**env, **settings}, command=alembic)
    try:
        wait_for(lambda: migration_backend(postgres, name), "the migration to queue")
        queued = time.monotonic()
        # A query that arrives behind the waiting migration (bounded, should it hang).
        with postgres.connect(name) as probe:
            probe.execute("SET lock_timeout = '30s'")
            assert probe.execute("SELECT count(*) FROM account").fetchone() == (3,)
        served = time.monotonic() - queued
        result = outcome(starter, timeout=60)
        gave_up = time.monotonic() - queued
    finally:
        starter.kill()
        blocker.close()

    # The 3 s budget bounds the attempt, not the 10 s lock timeout.
    assert served < 7 and gave_up < 7, (
        f"the query waited {served:.1f} s and the start gave up {gave_up:.1f} s after"
        " the migration queued"
    )
    (failed,) = error_lines(result)
    assert failed.startswith(
        "FAILED: Gave up after 3 s (MYAPP_MIGRATION_WAIT) waiting for a lock on account:"
    )
    assert database.query(
        "SELECT count(*) FROM information_schema.columns"
        " WHERE table_name = 'account' AND column_name = 'email'"
    ) == [(0,)]


# The migration lock ---------------------------------------------------------------------


def test_a_starter_behind_another_migration_names_its_host_and_pid(
    project, postgres, tmp_path
):
    database = new_database("postgres", tmp_path, postgres)
    add_revision(project, "slow", "time.sleep(8)")
    env = project.env(MYAPP_DATABASE_URL=database.url)
    first = start(project, env)
    wait_for(
        lambda: migration_backend(
            postgres, name_of(database), "state = 'idle in transaction'"
        ),
        "the first starter to migrate",
    )

    second = start(project, {**env, "MYAPP_MIGRATION_WAIT": "2"})
    code, stderr = finish(second)

    holder = f"'myapp migration pid {first.pid} on {socket.gethostname()}'"
    assert code == 1
    (waited,) = waiting_lines(stderr)
    assert waited.startswith(
        f"Waiting for another process's migration to finish ({holder} holds the "
        "migration lock (backend "
    )
    assert (
        stderr.strip()
        .splitlines()[-1]
        .startswith(
            "myapp.db.DatabaseError: Gave up after 2 s (MYAPP_MIGRATION_WAIT) waiting for "
            f"another process's migration to finish: {holder} holds the migration lock"
        )
    )
    assert finish(first)[0] == 0
    assert database.query("SELECT version_num FROM alembic_version") == [("slow",)]


# The project's key for the migration lock, printed.
PRINT_LOCK_KEY = "from myapp.db.postgres import MIGRATION_LOCK_KEY as k; print(k)"


def test_a_starter_behind_another_migration_tries_the_lock_less_and_less_often(
    project, start_private_postgres
):
    printer = start(project, project.env(), PRINT_LOCK_KEY)  # while the server starts
    # Every statement the server runs, logged with its time and its client's name.
    server = start_private_postgres(log_statement="all", log_line_prefix="%n [%a] ")
    server.admin("CREATE DATABASE app")
    key = int(outcome(printer).stdout)
    env = project.env(MYAPP_DATABASE_URL=server.url("app"), MYAPP_MIGRATION_WAIT="4")
    # Another replica migrates all along.
    with server.connect(
        "app", autocommit=True, application_name="another replica"
    ) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (key,))
        starter = start(project, env)
        code, stderr = finish(starter, timeout=60)

    assert code == 1
    (waited,) = waiting_lines(stderr)
    assert waited.startswith(
        "Waiting for another process's migration to finish ('another replica' holds"
    )
    log = (server.root / "server.log").read_text().splitlines()
    tries = [
        float(line.split()[0])
        for line in log
        if f" [myapp migration pid {starter.pid} on " in line
        and "pg_try_advisory_lock(" in line
    ]
    pauses = [round(later - earlier, 2) for earlier, later in pairwise(tries)]
    # A poll every 0.1 s would try about 40 times in the 4 s; pauses that double from
    # 0.2 s, each cut by up to half at random, try fewer than 10 times.
    assert 3 <= len(tries) <= 12, pauses
    assert max(pauses) > 0.6, pauses


# The server -----------------------------------------------------------------------------


def test_a_start_waits_for_the_server_to_accept_connections(project, private_postgres):
    server = private_postgres
    server.admin("CREATE DATABASE app")
    env = project.env(MYAPP_DATABASE_URL=server.url("app"))
    server.halt()
    starter = start(project, env)
    # Resumed only once the start has been refused and says it waits: a fixed sleep
    # lost that race on a busy machine, where Python alone takes seconds to start.
    seen = printed_until(starter, "Waiting for")
    server.resume()
    code, rest = finish(starter)
    stderr = seen + rest

    assert code == 0, stderr
    (waited,) = waiting_lines(stderr)
    assert waited.startswith(
        f"Waiting for postgresql+psycopg://postgres:***@127.0.0.1:{server.port}/app to "
        "accept connections ("
    )
    assert "Connection refused" in waited
    assert "super-secret-pw" not in stderr
    assert server.query("app", "SELECT version_num FROM alembic_version") == [
        (SEED_HEAD,)
    ]


def test_a_server_that_stays_down_is_one_line_after_the_budget(
    project, private_postgres
):
    server = private_postgres
    env = project.env(MYAPP_DATABASE_URL=server.url(), MYAPP_MIGRATION_WAIT="2")
    server.halt()

    result = project.run("alembic", "upgrade", "head", env=env, check=False)

    (failed,) = error_lines(result)
    assert failed.startswith(
        "FAILED: Gave up after 2 s (MYAPP_MIGRATION_WAIT) waiting for "
        f"postgresql+psycopg://postgres:***@127.0.0.1:{server.port}/postgres to accept "
        "connections: "
    )
    assert "Connection refused" in failed and "super-secret-pw" not in failed


@pytest.mark.parametrize(
    "command",
    [("alembic", "current"), ("alembic", "check"), ("python", "-m", "myapp", "db", "current")],
)  # fmt: skip
def test_a_command_that_only_reads_does_not_wait_for_a_server_that_is_not_there(
    project, command
):
    """The wait budget is for services starting beside their database; a person asking
    where a database is gets the answer at once (here, well before the 600 s)."""
    where = f"127.0.0.1:{free_port()}/app"
    env = project.env(MYAPP_DATABASE_URL=f"postgresql+psycopg://app:secret-pw@{where}")

    result = project.run(*command, env=env, check=False, timeout=60)

    (failed,) = error_lines(result)
    assert failed.startswith(
        f"FAILED: Cannot connect to postgresql+psycopg://app:***@{where}: "
    )
    assert "Connection refused" in failed
    assert "Waiting for" not in result.stderr
    assert "secret-pw" not in result.stdout + result.stderr


def test_forty_starters_share_a_server_of_ten_connections(
    project, start_private_postgres
):
    server = start_private_postgres(max_connections=10)
    server.admin("CREATE DATABASE app")
    add_revision(
        project,
        "once",
        """
        op.create_table("applied", sa.Column("id", sa.Integer, primary_key=True))
        op.execute("INSERT INTO applied (id) VALUES (1)")
        time.sleep(2)  # the others arrive while it migrates
        """,
    )
    env = project.env(MYAPP_DATABASE_URL=server.url("app"))

    starters = [start(project, env, MIGRATE) for _ in range(40)]
    results = [finish(starter, timeout=240) for starter in starters]

    assert results == [(0, "")] * 40
    assert server.query("app", "SELECT id FROM applied") == [(1,)]
    assert server.query("app", "SELECT version_num FROM alembic_version") == [("once",)]


# PgBouncer ------------------------------------------------------------------------------

# The program's own work after migrate(): the same query often enough that psycopg
# prepares it, and a write.
PROGRAM_WORK = """
from sqlalchemy import text
from myapp.db import get_engine, migrate

migrate()
with get_engine().begin() as connection:
    for _ in range(10):
        connection.execute(text("SELECT count(*) FROM account")).scalar()
    connection.execute(text("INSERT INTO visit DEFAULT VALUES"))
"""


def test_starters_through_pgbouncer_with_a_direct_migration_url_all_succeed(
    project, postgres, pgbouncer, tmp_path
):
    database = new_database("postgres", tmp_path, postgres)
    name = name_of(database)
    add_revision(
        project,
        "visit",
        """
        op.create_table("visit", sa.Column("id", sa.Integer, primary_key=True))
        op.execute("INSERT INTO visit (id) VALUES (1000)")  # once, however many start
        time.sleep(1)
        """,
    )
    env = project.env(
        MYAPP_DATABASE_URL=pgbouncer.url(name),
        MYAPP_MIGRATION_DATABASE_URL=database.url,
    )

    starters = [start(project, env, PROGRAM_WORK) for _ in range(6)]
    results = [finish(starter) for starter in starters]

    assert results == [(0, "")] * 6
    assert database.query("SELECT count(*) FROM visit WHERE id = 1000") == [(1,)]
    assert database.query("SELECT count(*) FROM visit") == [(7,)]
    assert database.query("SELECT version_num FROM alembic_version") == [("visit",)]


@pytest.mark.parametrize("through", ["program", "migration"])
def test_migrating_through_pgbouncer_is_refused_in_one_line(
    project, postgres, pgbouncer, tmp_path, through
):
    database = new_database("postgres", tmp_path, postgres)
    pooled = pgbouncer.url(name_of(database))
    if through == "program":
        env = project.env(MYAPP_DATABASE_URL=pooled)
        variable, fix = "MYAPP_DATABASE_URL", "set MYAPP_MIGRATION_DATABASE_URL to a"
    else:
        env = project.env(
            MYAPP_DATABASE_URL=pooled, MYAPP_MIGRATION_DATABASE_URL=pooled
        )
        variable, fix = (
            "MYAPP_MIGRATION_DATABASE_URL",
            "point it straight at the server",
        )

    starters = [start(project, env, MIGRATE) for _ in range(6)]
    results = [finish(starter) for starter in starters]
    cli = project.run("alembic", "upgrade", "head", env=env, check=False)

    refusal = (
        f"{variable} reaches PostgreSQL through a connection pooler (such as "
        f"PgBouncer), where migrations cannot hold their lock: {fix}"
    )
    for code, stderr in results:
        assert code == 1
        assert (
            stderr.strip()
            .splitlines()[-1]
            .startswith(f"myapp.db.DatabaseError: {refusal}")
        )
    (failed,) = error_lines(cli)
    assert failed.startswith(f"FAILED: {refusal}")
    assert database.query(database.tables_sql) == []
    assert postgres.query(
        "postgres",
        "SELECT count(*) FROM pg_locks JOIN pg_database ON pg_database.oid = database"
        f" WHERE locktype = 'advisory' AND datname = '{name_of(database)}'",
    ) == [(0,)]

"""Faults in the middle of a migration, on real servers and real disks: a killed process,
a restarting server, a full disk, another process's write lock. Each ends in one line,
and loses nothing."""

import signal
import sqlite3

from conftest import new_database, sqlite_execute
from conftest import sqlite_query as query
from test_live_postgres import (
    MIGRATE_LOGGED,
    finish,
    migration_backend,
    name_of,
    start,
    wait_for,
    waiting_lines,
)
from test_safe_migrations import MIGRATE, SEED_HEAD, add_revision, error_lines

# A revision that does its work, then, in the first start only, stops halfway: in a
# statement on the server, or in Python, where SQLite's transaction is open.
HALFWAY = """
import os
op.create_table("audit", sa.Column("id", sa.Integer, primary_key=True))
op.execute("INSERT INTO audit (id) VALUES (1)")
if os.environ.get("STOP_HALFWAY") == "server":
    op.execute("SELECT pg_sleep(600)")
if os.environ.get("STOP_HALFWAY") == "python":
    open(os.environ["HALFWAY_MARKER"], "w").close()
    time.sleep(600)
"""


def test_a_killed_start_on_postgres_leaves_nothing_and_the_next_gets_through(
    project, postgres, tmp_path
):
    database = new_database("postgres", tmp_path, postgres)
    add_revision(project, "halfway", HALFWAY)
    env = project.env(MYAPP_DATABASE_URL=database.url)
    killed = start(project, {**env, "STOP_HALFWAY": "server"}, MIGRATE)
    wait_for(
        lambda: migration_backend(
            postgres, name_of(database), "query LIKE '%%pg_sleep%%'"
        ),
        "the migration to reach its pg_sleep",
    )
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=10)

    # The killed client's backend is still in its pg_sleep, holding the migration
    # lock: the next start must get it within its budget.
    code, stderr = finish(start(project, {**env, "MYAPP_MIGRATION_WAIT": "30"}), 60)

    assert code == 0, stderr
    assert database.query("SELECT id FROM audit") == [(1,)]
    assert database.query("SELECT version_num FROM alembic_version") == [("halfway",)]


def test_a_killed_start_on_sqlite_leaves_nothing_and_the_next_applies_once(
    project, tmp_path
):
    path = tmp_path / "app.db"
    env = project.env(MYAPP_DATABASE_URL=f"sqlite:///{path}")
    project.run("alembic", "upgrade", SEED_HEAD, env=env)
    add_revision(project, "halfway", HALFWAY)
    marker = tmp_path / "halfway"
    killed = start(
        project, {**env, "STOP_HALFWAY": "python", "HALFWAY_MARKER": str(marker)}
    )
    wait_for(marker.exists, "the migration to get halfway")
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=10)

    # SQLite's journal undoes the half-done transaction when the file is next opened.
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        tables = connection.execute("SELECT name FROM sqlite_master").fetchall()
    assert ("audit",) not in tables
    assert query(path, "SELECT version_num FROM alembic_version") == [(SEED_HEAD,)]

    project.run("python", "-c", MIGRATE, env=env)

    assert query(path, "SELECT id FROM audit") == [(1,)]
    assert query(path, "SELECT version_num FROM alembic_version") == [("halfway",)]


def test_a_server_restart_mid_migration_rolls_back_and_the_next_start_succeeds(
    project, private_postgres
):
    server = private_postgres
    server.admin("CREATE DATABASE app")
    add_revision(project, "halfway", HALFWAY)
    env = project.env(MYAPP_DATABASE_URL=server.url("app"))
    project.run("alembic", "upgrade", SEED_HEAD, env=env)
    starter = start(project, {**env, "STOP_HALFWAY": "server"}, MIGRATE)
    wait_for(
        lambda: migration_backend(server, "app", "query LIKE '%%pg_sleep%%'"),
        "the migration to reach its pg_sleep",
    )

    server.restart()
    code, stderr = finish(starter)

    assert code == 1
    last = stderr.strip().splitlines()[-1]
    assert last.startswith(
        "myapp.db.DatabaseError: Migration failed and was rolled back at revision "
        "halfway (halfway): "
    )
    assert server.query("app", "SELECT version_num FROM alembic_version") == [
        (SEED_HEAD,)
    ]
    project.run("python", "-c", MIGRATE, env=env)
    assert server.query("app", "SELECT id FROM audit") == [(1,)]


def fill(path, megabytes: float) -> None:
    """Make the SQLite file at `path` about `megabytes` big, in a table of its own."""
    sqlite_execute(
        path,
        "CREATE TABLE filler (b BLOB);"
        f"INSERT INTO filler VALUES (randomblob({int(megabytes * 1_000_000)}));",
    )


def test_a_disk_too_full_for_the_backup_says_how_much_it_needs(project, small_disk):
    path = small_disk / "app.db"
    env = project.env(MYAPP_DATABASE_URL=f"sqlite:///{path}")
    project.run("alembic", "upgrade", "3f1a9c2b7d10", env=env)
    fill(path, 1.7)
    before = path.read_bytes()

    result = project.run("alembic", "upgrade", "head", env=env, check=False)

    (failed,) = error_lines(result)
    assert failed.startswith(
        f"FAILED: Could not back up {path} before migrating (the disk is full: the "
        f"backup needs 1.7 MB in {small_disk}, which has "
    )
    assert "MYAPP_MIGRATION_BACKUP=0" in failed
    assert sorted(p.name for p in small_disk.iterdir()) == ["app.db"]
    assert path.read_bytes() == before


def test_a_disk_that_fills_up_during_the_migration_rolls_it_back(project, small_disk):
    path = small_disk / "app.db"
    env = project.env(
        MYAPP_DATABASE_URL=f"sqlite:///{path}", MYAPP_MIGRATION_BACKUP="0"
    )
    project.run("alembic", "upgrade", SEED_HEAD, env=env)
    fill(path, 1.0)
    add_revision(
        project,
        "big",
        """
        op.create_table("big", sa.Column("b", sa.LargeBinary))
        for _ in range(5):
            op.execute("INSERT INTO big VALUES (randomblob(500000))")
        """,
    )
    before = {
        table: query(path, f"SELECT * FROM {table}")
        for table in ("account", "alembic_version", "sqlite_master")
    }

    result = project.run("alembic", "upgrade", "head", env=env, check=False)

    (failed,) = error_lines(result)
    assert failed.startswith(
        f"FAILED: Migration failed and was rolled back: The disk that holds {path} is "
        f"full ("
    )
    assert failed.endswith(
        f"free in {small_disk}): SQLite needs room for the changes and for its journal "
        "beside the file. Make room, then migrate again."
    )
    assert query(path, "PRAGMA integrity_check") == [("ok",)]
    assert {table: query(path, f"SELECT * FROM {table}") for table in before} == before
    assert sorted(p.name for p in small_disk.iterdir()) == ["app.db"]


def test_another_process_write_lock_on_sqlite_is_waited_for_within_the_budget(
    project, tmp_path
):
    path = tmp_path / "app.db"
    env = project.env(MYAPP_DATABASE_URL=f"sqlite:///{path}", MYAPP_MIGRATION_WAIT="2")
    project.run("alembic", "upgrade", "3f1a9c2b7d10", env=env)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        code, stderr = finish(start(project, env), timeout=60)
    finally:
        holder.close()

    what = (
        f"the write lock on {path} (another process holds it: a migration, or a long "
        "write)"
    )
    assert code == 1
    assert waiting_lines(stderr) == [
        f"Waiting for {what}, for up to 2 s (MYAPP_MIGRATION_WAIT)"
    ]
    assert stderr.strip().splitlines()[-1] == (
        f"myapp.db.DatabaseError: Gave up after 2 s (MYAPP_MIGRATION_WAIT) waiting for "
        f"the write lock on {path}: another process holds it: a migration, or a long "
        "write"
    )
    assert query(path, "SELECT version_num FROM alembic_version") == [("3f1a9c2b7d10",)]
    # Once the lock is free, the same start gets through.
    assert finish(start(project, env, MIGRATE_LOGGED))[0] == 0
    assert query(path, "SELECT version_num FROM alembic_version") == [(SEED_HEAD,)]

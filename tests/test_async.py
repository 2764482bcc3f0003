"""Async programs: any driver in the URL, an async engine beside the sync one, a
migrate_async() that leaves the event loop running, and the sync path's guarantees with
async-driver URLs on SQLite and PostgreSQL."""

import re
import subprocess
import textwrap
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import Database, new_database
from test_data_safety import DROP_CREATE_DATE
from test_safe_migrations import (
    BROKEN,
    SEED_HEAD,
    SPECIAL_PASSWORD,
    add_family_revisions,
    add_revision,
    assert_no_password,
    error_lines,
    last_line,
    start_together,
    url_env,
)

# The URL's scheme for each driver, and the database it reaches.
DRIVERS = {
    "sqlite": ("sqlite", "sqlite"),
    "aiosqlite": ("sqlite+aiosqlite", "sqlite"),
    "psycopg": ("postgresql+psycopg", "postgres"),
    "asyncpg": ("postgresql+asyncpg", "postgres"),
    "postgresql": ("postgresql", "postgres"),  # psycopg 3 for both engines
}
# The drivers the program's sync and async engines take for each.
ENGINES = {
    "sqlite": ("sqlite", "sqlite+aiosqlite"),
    "aiosqlite": ("sqlite", "sqlite+aiosqlite"),
    "psycopg": ("postgresql+psycopg", "postgresql+psycopg"),
    "asyncpg": ("postgresql+psycopg", "postgresql+asyncpg"),
    "postgresql": ("postgresql+psycopg", "postgresql+psycopg"),
}
SEEDED = "Ed Williams, John Smith, Wendy Jones"

MIGRATE_ASYNC = """
import asyncio
from myapp.db import migrate_async

asyncio.run(migrate_async())
"""

# Both engines of the program, on the URL in the environment.
QUERY_BOTH_ENGINES = """
import asyncio
from sqlalchemy import text
from myapp.db import get_async_engine, get_engine

COUNT = text("SELECT count(*) FROM account")

async def count_async():
    engine = get_async_engine()
    async with engine.connect() as connection:
        count = await connection.scalar(COUNT)
    await engine.dispose()
    return engine.url.drivername, count

with get_engine().connect() as connection:
    print(connection.engine.url.drivername, connection.scalar(COUNT))
print(*asyncio.run(count_async()))
"""

# An asyncio program that goes on with its work while it migrates.
TICKING_PROGRAM = """
import asyncio
from sqlalchemy import text
from myapp.db import get_async_engine, migrate_async

async def main():
    ticks = 0

    async def tick():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    await migrate_async()
    ticker.cancel()
    engine = get_async_engine()
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT name FROM account ORDER BY name"))
        names = ", ".join(name for (name,) in rows)
    await engine.dispose()
    print(ticks)
    print(names)

asyncio.run(main())
"""


def with_driver(database: Database, driver: str) -> str:
    """The database's URL, with the driver's scheme."""
    scheme, _ = DRIVERS[driver]
    return re.sub(r"^[\w+]+://", f"{scheme}://", database.url)


@pytest.fixture
def database_for(tmp_path, request):
    """A function that makes a fresh database for a driver; returns it and its URL."""

    def make(driver: str) -> tuple[Database, str]:
        _, kind = DRIVERS[driver]
        postgres = request.getfixturevalue("postgres") if kind == "postgres" else None
        database = new_database(kind, tmp_path, postgres)
        return database, with_driver(database, driver)

    return make


@pytest.mark.parametrize("driver", DRIVERS)
def test_every_driver_works_everywhere(project, database_for, driver):
    _, url = database_for(driver)
    env = url_env(project, url)

    project.run("alembic", "upgrade", "head", env=env)
    current = project.run("python", "-m", "myapp", "db", "current", env=env)
    project.run("python", "-c", MIGRATE_ASYNC, env=env)  # at head: the shortcut
    engines = project.run("python", "-c", QUERY_BOTH_ENGINES, env=env)

    sync_driver, async_driver = ENGINES[driver]
    assert f"{SEED_HEAD} (head)" in current.stdout
    assert engines.stdout.splitlines() == [f"{sync_driver} 3", f"{async_driver} 3"]


@pytest.mark.parametrize("driver", DRIVERS)
def test_an_async_program_keeps_working_while_it_migrates(
    project, database_for, driver
):
    _, url = database_for(driver)
    add_revision(project, "slow", "time.sleep(1)")

    result = project.run("python", "-c", TICKING_PROGRAM, env=url_env(project, url))

    ticks, names = result.stdout.splitlines()
    # A second of 10 ms ticks: a loop blocked by the migration would have none.
    assert int(ticks) >= 20
    assert names == SEEDED


def readme_snippet(project) -> str:
    """The async start-up from the project's README, exactly as written there."""
    readme = (project.path / "README.md").read_text()
    section = readme.split("## Async programs")[1]
    return section.split("```python\n")[1].split("```")[0]


@pytest.mark.parametrize("driver", ["aiosqlite", "asyncpg"])
def test_the_readme_async_start_up_runs(project, database_for, driver):
    _, url = database_for(driver)
    script = project.path / "start.py"
    script.write_text(readme_snippet(project))

    result = project.run("python", str(script), env=url_env(project, url))

    assert "await migrate_async()" in script.read_text()
    assert result.stdout.strip() == SEEDED


@pytest.mark.parametrize("driver", ["aiosqlite", "asyncpg"])
def test_a_failing_revision_leaves_nothing_behind(project, database_for, driver):
    database, url = database_for(driver)
    env = url_env(project, url)
    project.run("alembic", "upgrade", "3f1a9c2b7d10", env=env)
    add_revision(project, "broken", BROKEN)
    before = database.snapshot()

    program = project.run("python", "-c", MIGRATE_ASYNC, env=env, check=False)
    cli = project.run("alembic", "upgrade", "head", env=env, check=False)

    (failed,) = error_lines(cli)
    assert failed.startswith(
        "FAILED: Migration failed and was rolled back at revision broken (broken): "
    )
    assert last_line(program) == f"myapp.db.DatabaseError: {failed[len('FAILED: ') :]}"
    assert database.snapshot() == before
    assert database.query("SELECT version_num FROM alembic_version") == [
        ("3f1a9c2b7d10",)
    ]


@pytest.mark.parametrize("driver", ["aiosqlite", "asyncpg"])
def test_six_async_programs_starting_together_all_succeed(
    project, database_for, driver
):
    database, url = database_for(driver)
    add_revision(project, "slow", "time.sleep(2)")
    env = url_env(project, url)

    results = start_together(project, MIGRATE_ASYNC, env)

    assert results == [(0, "")] * 6
    assert len(database.query("SELECT name FROM account")) == 3  # seeded once
    assert database.query("SELECT version_num FROM alembic_version") == [("slow",)]


def test_a_batch_rebuild_keeps_its_cascade_children(project, database_for):
    database, url = database_for("aiosqlite")
    add_family_revisions(project)

    project.run("python", "-c", MIGRATE_ASYNC, env=url_env(project, url))

    assert database.query("SELECT id, parent_id FROM child") == [(1, 1), (2, 1)]
    assert database.query("SELECT version_num FROM alembic_version") == [("widen",)]


def test_a_sqlite_file_is_backed_up_before_pending_revisions(project, database_for):
    database, url = database_for("aiosqlite")
    env = url_env(project, url)
    project.run("python", "-c", MIGRATE_ASYNC, env=env)
    add_revision(project, "drop_date", DROP_CREATE_DATE)
    path = Path(database.url.removeprefix("sqlite:///"))

    project.run("python", "-c", MIGRATE_ASYNC, env=env)

    backups = [p.name for p in path.parent.glob(f"{path.name}.*.bak")]
    assert len(backups) == 1 and backups[0].startswith(f"{path.name}.{SEED_HEAD}.")
    assert database.query("SELECT version_num FROM alembic_version") == [("drop_date",)]


@pytest.mark.parametrize("driver", ["psycopg", "asyncpg"])
def test_a_password_full_of_url_special_characters_works(project, postgres, driver):
    name, role = f"app_{uuid.uuid4().hex[:12]}", f"role_{uuid.uuid4().hex[:8]}"
    postgres.admin(
        f"CREATE ROLE {role} LOGIN PASSWORD '{SPECIAL_PASSWORD}'",
        f"CREATE DATABASE {name} OWNER {role}",
    )
    password = quote(SPECIAL_PASSWORD, safe="")
    url = f"{DRIVERS[driver][0]}://{role}:{password}@127.0.0.1:{postgres.port}/{name}"
    env = url_env(project, url)

    outputs = [
        project.run("alembic", "upgrade", "head", env=env),
        project.run("python", "-c", MIGRATE_ASYNC, env=env),
        project.run("python", "-c", QUERY_BOTH_ENGINES, env=env),
    ]

    assert outputs[2].stdout.split()[1::2] == ["3", "3"]
    assert_no_password(outputs, SPECIAL_PASSWORD)


def test_without_the_async_extra_the_async_engine_says_what_to_install(
    projects, runtime_venv, tmp_path
):
    """The installed wheel alone: no aiosqlite, no greenlet."""
    project = projects["default"]
    python = str(runtime_venv / "bin/python")
    code = textwrap.dedent(
        """
        from myapp.db import get_async_engine
        get_async_engine()
        """
    )
    env = project.env(MYAPP_DATABASE_URL=f"sqlite:///{tmp_path / 'app.db'}")

    result = subprocess.run(
        [python, "-c", code], env=env, capture_output=True, text=True, check=False
    )

    assert last_line(result) == (
        "myapp.db.DatabaseError: MYAPP_DATABASE_URL needs the Python package "
        "'greenlet', which is not installed (pip install 'myapp[async]')."
    )

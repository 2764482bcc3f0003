"""op.batched_update(): a backfill in batches by primary key, each batch committed on
PostgreSQL, its progress recorded so that a killed run resumes after the last finished
batch; on SQLite, in the migration's transaction."""

import pytest
from conftest import new_database
from test_online import kill_while_waiting
from test_phases import PHASED
from test_real_schema import VERSIONS
from test_safe_migrations import SEED_HEAD

ROWS = 20
HISTORY = [
    ("add_visits", SEED_HEAD,
     'op.add_column("account", sa.Column("visits", sa.Integer, server_default="0"))'),
    # Not idempotent: a row updated twice would say 2.
    ("count_a_visit", "add_visits",
     'op.batched_update("account", "visits = visits + 1", batch_size=4)'),
]  # fmt: skip
MORE_ROWS = (
    "INSERT INTO account (id, name, create_date) "
    "SELECT 100 + n, 'name ' || n, '2020-01-01' FROM ({series}) AS t"
)
SERIES = {
    "sqlite": "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s"
    f" WHERE n < {ROWS - 3}) SELECT n FROM s",
    "postgres": f"SELECT generate_series(1, {ROWS - 3}) AS n",
}


def write_history(project) -> None:
    for revision, down_revision, upgrade in HISTORY:
        (project.path / VERSIONS / f"{revision}.py").write_text(
            PHASED.format(
                revision=revision, down_revision=down_revision, phase="expand",
                upgrade=upgrade,
            )
        )  # fmt: skip


def filled(project, database, kind: str) -> dict:
    env = project.env(MYAPP_DATABASE_URL=database.url)
    write_history(project)
    project.run("alembic", "upgrade", "add_visits", env=env)
    database.execute(MORE_ROWS.format(series=SERIES[kind]))
    return env


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_backfill_updates_every_row_once_in_batches(project, kind, tmp_path, request):
    postgres = request.getfixturevalue("postgres") if kind == "postgres" else None
    database = new_database(kind, tmp_path, postgres)
    env = filled(project, database, kind)

    result = project.run("alembic", "upgrade", "head", env=env)

    assert database.query("SELECT visits, count(*) FROM account GROUP BY visits") == [
        (1, ROWS)
    ]
    assert database.query("SELECT rows_done FROM alembic_backfills") == [(ROWS,)]
    assert f"Backfill of account done: {ROWS} rows." in result.stderr


def test_a_killed_backfill_resumes_after_its_last_finished_batch(
    project, postgres, tmp_path
):
    """A writer holds a row of the third batch: the backfill waits there, and is
    killed. Two batches stay done and recorded; the next run does the rest, and no row
    is counted twice."""
    database = new_database("postgres", tmp_path, postgres)
    env = filled(project, database, "postgres")
    # Batches of 4 by id: 1, 2, 3, 101; then 102 to 105; then 106 to 109.
    kill_while_waiting(
        project, postgres, database, env,
        held="UPDATE account SET name = name WHERE id = 106",
        waiting="UPDATE account SET visits",
    )  # fmt: skip
    assert database.query("SELECT rows_done FROM alembic_backfills") == [(8,)]
    assert database.query("SELECT version_num FROM alembic_version") == [
        ("add_visits",)
    ]

    project.run("alembic", "upgrade", "head", env=env)

    assert database.query("SELECT visits, count(*) FROM account GROUP BY visits") == [
        (1, ROWS)
    ]

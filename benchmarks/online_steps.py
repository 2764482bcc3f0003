"""How long a steady writer waits while a revision changes a big table in use, with
Alembic's plain operations and with the template's online forms (db/online.py).

This renders the template (with any uncommitted changes), installs it, starts a
throwaway PostgreSQL server and, per run and per variant, on a fresh database:

- migrates to a base revision that gives `account` an email and a team_id column and
  adds a `team` table, then fills `account` with --rows rows;
- starts a writer that inserts one account row at a time, in autocommit, timing each
  insert, from before the migration starts until it ends;
- runs `alembic upgrade head` as a whole process, with one revision that makes one
  change on `account`: an index, a unique constraint, a foreign key, a CHECK, or NOT
  NULL on email; in Alembic's plain form or in its online form.

Every variant runs in every run, interleaved. Per variant it reports the median of each
run's longest insert and of the migration process's whole time, prints them as a
Markdown table and writes them, with the machine they came from, to
benchmarks/online_steps.md.

    .venv/bin/python benchmarks/online_steps.py [--runs 3] [--rows 1000000]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from lock_wait import install, machine, run, versions

ROOT = Path(__file__).resolve().parents[1]
TOOLS = Path(sys.executable).parent
HEAD_OF_EXAMPLE = "8c4e2d6a1b57"
BASE_ID, CHANGE_ID = "6a0b1c2d3e4f", "7b1c2d3e4f5a"

sys.path.insert(0, str(ROOT / "tests"))
from pg_server import PostgresServer

HEADER = '''"""{message}"""

import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = "{down_revision}"
branch_labels = None
depends_on = None


def upgrade() -> None:
{upgrade}


def downgrade() -> None:
    pass
'''
BASE = """    op.create_table("team", sa.Column("id", sa.Integer, primary_key=True))
    op.execute("INSERT INTO team (id) VALUES (1)")
    op.add_column("account", sa.Column("email", sa.String(200)))
    op.add_column("account", sa.Column("team_id", sa.Integer))"""
# Each change: its label, and its upgrade in Alembic's plain form and in the online one.
CHANGES = {
    "index": (
        "an index",
        'op.create_index("ix_account_name", "account", ["name"])',
        'op.create_index_online("ix_account_name", "account", ["name"])',
    ),
    "unique": (
        "a unique constraint",
        'op.create_unique_constraint("uq_account_email", "account", ["email"])',
        'op.create_unique_constraint_online("uq_account_email", "account", ["email"])',
    ),
    "foreign key": (
        "a foreign key",
        'op.create_foreign_key("fk_account_team", "account", "team", ["team_id"], ["id"])',
        (
            'op.create_foreign_key_online("fk_account_team", "account", "team", '
            '["team_id"], ["id"])'
        ),
    ),
    "check": (
        "a CHECK",
        'op.create_check_constraint("ck_account_long", "account", "length(name) >= 2")',
        (
            'op.create_check_constraint_online("ck_account_long", "account", '
            '"length(name) >= 2")'
        ),
    ),
    "not null": (
        "NOT NULL",
        'op.alter_column("account", "email", nullable=False)',
        'op.set_not_null_online("account", "email")',
    ),
}
FORMS = ("plain", "online")
# The example's rows get what the changes need too.
FILL = (
    "UPDATE account SET email = 'seed' || id || '@example.com', team_id = 1",
    (
        "INSERT INTO account (name, create_date, email, team_id) "
        "SELECT 'name ' || g, date '2020-01-01', 'a' || g || '@example.com', 1 "
        "FROM generate_series(1, {rows}) AS g"
    ),
)


def build(work: Path) -> tuple[Path, Path]:
    """Render and install the template, add the base revision."""
    bin, project = install(work)
    write(project, BASE_ID, HEAD_OF_EXAMPLE, "Add email and teams", BASE)
    return bin, project


def write(project: Path, revision: str, down: str, message: str, upgrade: str) -> None:
    versions = project / "myapp/migrations/versions"
    (versions / f"2026_12_07_0000-{revision}.py").write_text(
        HEADER.format(
            message=message, revision=revision, down_revision=down, upgrade=upgrade
        )
    )


class Writer(threading.Thread):
    """Inserts one account row at a time on a connection of its own, timing each,
    until told to stop; an insert that is blocked finishes before the stop is seen."""

    def __init__(self, server: PostgresServer, database: str) -> None:
        super().__init__(daemon=True)
        self.connection = server.connect(
            database, autocommit=True, application_name="writer"
        )
        self.times: list[float] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            n = 0
            while not self.stop.is_set():
                n += 1
                start = time.perf_counter()
                self.write(n)
                self.times.append(time.perf_counter() - start)
                self.stop.wait(0.01)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            self.error = error
        finally:
            self.connection.close()

    def write(self, n: int) -> None:
        self.connection.execute(
            "INSERT INTO account (name, create_date, email, team_id) "
            "VALUES (%s, date '2020-01-01', %s, 1)",
            (f"writer {n}", f"w{n}@example.com"),
        )


def measure_once(
    server: PostgresServer, bin: Path, project: Path, change: str, form: str,
    database: str, rows: int,
) -> tuple[float, float]:  # fmt: skip
    """One run of one variant: its longest insert, and its migration's time."""
    server.admin(f'CREATE DATABASE "{database}"')
    env = {**os.environ, "MYAPP_DATABASE_URL": server.url(database)}
    env.pop("PYTHONPATH", None)
    # A migration that waits longer than this for a lock is a finding, not a retry.
    env["MYAPP_MIGRATION_LOCK_TIMEOUT"] = "600"
    upgrade = CHANGES[change][1 + FORMS.index(form)]
    write(project, CHANGE_ID, BASE_ID, f"{change}, {form}", f"    {upgrade}")
    run(bin / "alembic", "upgrade", BASE_ID, cwd=project, env=env, capture_output=True)
    update, insert = FILL
    server.admin(
        update, insert.format(rows=rows), "VACUUM ANALYZE account", database=database
    )
    writer = Writer(server, database)
    writer.start()
    time.sleep(0.5)  # the writer's pace before the migration
    started = time.perf_counter()
    result = subprocess.run(
        [bin / "alembic", "upgrade", "head"], cwd=project, env=env,
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    migration = time.perf_counter() - started
    writer.stop.set()
    writer.join(timeout=120)
    if writer.error is not None:
        raise SystemExit(f"{change}, {form}: an insert failed: {writer.error!r}")
    if result.returncode != 0:
        raise SystemExit(f"{change}, {form}: the migration failed:\n{result.stdout}")
    server.admin(f'DROP DATABASE "{database}"')
    return max(writer.times), migration


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    samples = {
        (change, form): {"worst": [], "migration": []}
        for change in CHANGES
        for form in FORMS
    }
    with tempfile.TemporaryDirectory(prefix="online-bench-") as work:
        bin, project = build(Path(work))
        server = PostgresServer().start()
        try:
            names = list(samples)
            for n in range(args.runs):
                # Interleaved, in an order that turns round from one run to the next.
                shift = n % len(names)
                for change, form in names[shift:] + names[:shift]:
                    database = f"bench_{n}_{change.replace(' ', '_')}_{form}"
                    worst, migration = measure_once(
                        server, bin, project, change, form, database, args.rows
                    )
                    print(
                        f"run {n + 1}, {change}, {form}: longest insert {worst:.3f} s,"
                        f" migration {migration:.2f} s",
                        file=sys.stderr,
                    )
                    samples[change, form]["worst"].append(worst)
                    samples[change, form]["migration"].append(migration)
            about = versions(bin, server)
        finally:
            server.stop()
    report = render(samples, args.runs, args.rows, about)
    print(report)
    (ROOT / "benchmarks/online_steps.md").write_text(report)


def render(samples, runs: int, rows: int, about: str) -> str:
    median = {
        key: {kind: statistics.median(values) for kind, values in kinds.items()}
        for key, kinds in samples.items()
    }
    lines = [
        "# A writer's longest wait while a revision changes a big table in use",
        "",
        (
            f"Medians of {runs} interleaved runs per variant, all measured in one run"
            f" of `benchmarks/online_steps.py` on {time.strftime('%Y-%m-%d')}."
        ),
        f"Machine: {machine()}; {about}.",
        "",
        (
            f"`account` holds {rows:,} rows; a writer inserts one row at a time"
            " (autocommit, 10 ms apart) while `alembic upgrade head` runs, as a whole"
            " process, one revision that makes the change, in Alembic's plain form or"
            " in the template's online form."
        ),
        "",
        (
            "| change | longest insert, plain | longest insert, online | ratio |"
            " migration, plain | migration, online |"
        ),
        "|---|---:|---:|---:|---:|---:|",
    ]
    for change, (label, _, _) in CHANGES.items():
        plain, online = median[change, "plain"], median[change, "online"]
        lines.append(
            f"| {label} | {plain['worst']:.3f} s | {online['worst']:.3f} s "
            f"| {plain['worst'] / online['worst']:.0f} "
            f"| {plain['migration']:.2f} s | {online['migration']:.2f} s |"
        )
    lines += ["", "Every run, in seconds (longest insert):", "",
              "| change | plain | online |", "|---|---|---|"]  # fmt: skip
    for change, (label, _, _) in CHANGES.items():
        plain = ", ".join(f"{t:.3f}" for t in samples[change, "plain"]["worst"])
        online = ", ".join(f"{t:.3f}" for t in samples[change, "online"]["worst"])
        lines.append(f"| {label} | {plain} | {online} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()

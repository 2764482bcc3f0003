"""How long a steady writer waits while a revision backfills a column of a big table in
use: one UPDATE, against op.batched_update() (db/backfill.py).

Renders and installs the template (with any uncommitted changes) and starts a throwaway
PostgreSQL server. Per run and per variant, on a fresh database at the base revision of
benchmarks/online_steps.py with --rows rows in `account`: a writer updates one random
row at a time (autocommit, 10 ms apart), timing each, while `alembic upgrade head` runs,
as a whole process, a revision that sets every row's email from its name.

Every variant runs in every run, interleaved. Writes the medians of each run's longest
write and of the migration's time to benchmarks/backfill.md.

    .venv/bin/python benchmarks/backfill.py [--runs 3] [--rows 1000000]
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lock_wait import machine, versions
from online_steps import BASE_ID, CHANGE_ID, FILL, ROOT, Writer, build, write
from pg_server import PostgresServer

SET = "email = lower(name) || '@example.com'"
VARIANTS = {
    "one UPDATE": f'op.execute("UPDATE account SET {SET}")',
    "op.batched_update(), 10,000 rows a batch": (
        f'op.batched_update("account", "{SET}", batch_size=10_000)'
    ),
}


class RowWriter(Writer):
    """Updates one random existing row at a time."""

    def __init__(self, server: PostgresServer, database: str, rows: int) -> None:
        super().__init__(server, database)
        self.rows = rows

    def write(self, n: int) -> None:
        self.connection.execute(
            "UPDATE account SET name = name WHERE id = %s",
            (random.randint(4, self.rows),),
        )


def measure_once(
    server: PostgresServer, bin: Path, project: Path, variant: str, database: str,
    rows: int,
) -> tuple[float, float]:  # fmt: skip
    server.admin(f'CREATE DATABASE "{database}"')
    env = {**os.environ, "MYAPP_DATABASE_URL": server.url(database)}
    env.pop("PYTHONPATH", None)
    env["MYAPP_MIGRATION_LOCK_TIMEOUT"] = "600"
    write(project, CHANGE_ID, BASE_ID, variant, f"    {VARIANTS[variant]}")
    subprocess.run([bin / "alembic", "upgrade", BASE_ID], cwd=project, env=env,
                   capture_output=True, check=True)  # fmt: skip
    update, insert = FILL
    server.admin(update, insert.format(rows=rows), "VACUUM ANALYZE account",
                 database=database)  # fmt: skip
    writer = RowWriter(server, database, rows)
    writer.start()
    time.sleep(0.5)
    started = time.perf_counter()
    result = subprocess.run(
        [bin / "alembic", "upgrade", "head"], cwd=project, env=env,
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    migration = time.perf_counter() - started
    writer.stop.set()
    writer.join(timeout=120)
    if writer.error is not None or result.returncode != 0:
        raise SystemExit(f"{variant}: {writer.error!r}\n{result.stdout}")
    server.admin(f'DROP DATABASE "{database}"')
    return max(writer.times), migration


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    samples = {name: {"worst": [], "migration": []} for name in VARIANTS}
    with tempfile.TemporaryDirectory(prefix="backfill-bench-") as work:
        bin, project = build(Path(work))
        server = PostgresServer().start()
        try:
            names = list(VARIANTS)
            for n in range(args.runs):
                for variant in names[n % 2 :] + names[: n % 2]:
                    database = f"bench_{n}_{names.index(variant)}"
                    worst, migration = measure_once(
                        server, bin, project, variant, database, args.rows
                    )
                    print(f"run {n + 1}, {variant}: longest write {worst:.3f} s, "
                          f"migration {migration:.2f} s", file=sys.stderr)  # fmt: skip
                    samples[variant]["worst"].append(worst)
                    samples[variant]["migration"].append(migration)
            about = versions(bin, server)
        finally:
            server.stop()
    lines = [
        "# A writer's longest wait while a revision backfills a big table in use",
        "",
        (
            f"Medians of {args.runs} interleaved runs per variant, all measured in one"
            f" run of `benchmarks/backfill.py` on {time.strftime('%Y-%m-%d')}."
        ),
        f"Machine: {machine()}; {about}.",
        "",
        (
            f"`account` holds {args.rows:,} rows; a writer updates one random row at a"
            " time (autocommit, 10 ms apart) while `alembic upgrade head` runs, as a"
            f" whole process, a revision that sets `{SET}` on every row."
        ),
        "",
        "| | longest write | migration process |",
        "|---|---:|---:|",
    ]
    for variant, kinds in samples.items():
        worst = statistics.median(kinds["worst"])
        migration = statistics.median(kinds["migration"])
        lines.append(f"| {variant} | {worst:.3f} s | {migration:.2f} s |")
    report = "\n".join(lines) + "\n"
    print(report)
    (ROOT / "benchmarks/backfill.md").write_text(report)


if __name__ == "__main__":
    main()

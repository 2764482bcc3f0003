"""How long the program's own queries wait while a migration waits for a table lock.

A migration that needs ACCESS EXCLUSIVE on a table (here ALTER TABLE account ADD COLUMN)
queues behind any long transaction that holds a lock on it, and every new query on the
table queues behind the migration. This renders the template (with any uncommitted
changes), gives the project one such revision on top of the example history, starts a
throwaway PostgreSQL server and, per run, on a fresh database at the example head:

- a "report" connection begins a transaction, reads the account table, and holds the
  transaction open for --report-seconds;
- the migration starts as a whole separate process: `migrate()`; plain Alembic as the
  note sets it up, its snippet `command.upgrade(Config("alembic.ini"), "head")` with the
  note's own env.py (create_engine(get_url()), one transaction) over the same revision
  files; or, as a control, `migrate()` with its lock timeout turned off
  (MYAPP_MIGRATION_LOCK_TIMEOUT=0);
- a prober connection, in autocommit, runs `SELECT count(*) FROM account` over and over
  from 0.5 s after the migration started until the migration process exits, timing each
  query.

Every variant runs in every run, interleaved. Per variant it reports the median of each
run's worst probe and of the migration process's whole time, prints them as a Markdown
table and writes them, with the machine they came from, to benchmarks/lock_wait.md.

    .venv/bin/python benchmarks/lock_wait.py [--runs 5] [--report-seconds 8]
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOLS = Path(sys.executable).parent
HEAD_OF_EXAMPLE = "8c4e2d6a1b57"
REVISION_ID = "5b1d0e7c3a92"
PROBE_FROM = 0.5  # seconds after the migration process started
PROBE_EVERY = 0.05  # pause between probes

sys.path.insert(0, str(ROOT / "tests"))
from pg_server import PostgresServer

REVISION = f'''"""Add account.email

Revision ID: {REVISION_ID}
Revises: {HEAD_OF_EXAMPLE}
Create Date: 2026-12-01 00:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "{REVISION_ID}"
down_revision: str | Sequence[str] | None = "{HEAD_OF_EXAMPLE}"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("account", sa.Column("email", sa.String(200)))


def downgrade() -> None:
    op.drop_column("account", "email")
'''

# The note's env.py, as the note writes it, for this program: its get_url(), an engine
# made from it, and Alembic's generic online run.
NOTE_ENV = """
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine

from myapp import models

config = context.config
if config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name)
target_metadata = models.Base.metadata


def get_url():
    basedir = "~/.local/share/myapp"
    return os.environ.get("MYAPP_DATABASE_URL") or "sqlite:///" + os.path.join(
        os.path.expanduser(basedir), "main.db"
    )


connectable = create_engine(get_url())
with connectable.connect() as connection:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
"""
NOTE_INI = """
[alembic]
script_location = {scripts}
version_locations = {versions}
path_separator = os
"""
MIGRATE = "from myapp.db import migrate; migrate()"
# The note's programmatic upgrade, word for word, run from the note's folder.
NOTE_SNIPPET = (
    "from alembic.config import Config; import alembic.command; "
    'config = Config("alembic.ini"); '
    'config.attributes["configure_logger"] = False; '
    'alembic.command.upgrade(config, "head")'
)
TEMPLATE, PLAIN, OFF = "template", "plain", "off"
# Each variant: its label, the program it runs, what it adds to the environment, and
# whether it runs from the note's folder rather than the project's.
VARIANTS = {
    TEMPLATE: ("`migrate()`", MIGRATE, {}, False),
    PLAIN: ("plain Alembic (the note's env.py and snippet)", NOTE_SNIPPET, {}, True),
    # The control: the template with its lock timeout turned off, so each attempt
    # waits for the lock as long as the whole wait budget allows.
    OFF: ("`migrate()`, `MYAPP_MIGRATION_LOCK_TIMEOUT=0`", MIGRATE,
          {"MYAPP_MIGRATION_LOCK_TIMEOUT": "0"}, False),
}  # fmt: skip


def run(*args, **kwargs):
    return subprocess.run([str(a) for a in args], check=True, **kwargs)


def install(work: Path) -> tuple[Path, Path]:
    """Render the template once and install it in a venv: its bin, and the project."""
    project = work / "app"
    # No --vcs-ref: copier renders a dirty local template with its uncommitted changes.
    run(TOOLS / "copier", "copy", "--quiet", "--defaults", "--trust", ROOT, project,
        stderr=subprocess.DEVNULL)  # fmt: skip
    venv = work / ".venv"
    uv = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    run(TOOLS / "uv", "venv", "--quiet", "--python", sys.executable, venv, env=uv)
    run(TOOLS / "uv", "pip", "install", "--quiet", "--python", venv / "bin/python",
        "--editable", f"{project}[postgres]", env=uv)  # fmt: skip
    return venv / "bin", project


def build(work: Path) -> tuple[Path, Path, Path]:
    """Render and install the template, add the revision, and set up plain Alembic
    the note's way beside it, over the same revision files."""
    bin, project = install(work)
    versions = project / "myapp/migrations/versions"
    (versions / f"2026_12_01_0000-{REVISION_ID}_add_account_email.py").write_text(
        REVISION
    )
    note = work / "note"
    (note / "migrations").mkdir(parents=True)
    (note / "migrations/env.py").write_text(NOTE_ENV)
    (note / "alembic.ini").write_text(
        NOTE_INI.format(scripts=note / "migrations", versions=versions)
    )
    return bin, project, note


class Prober(threading.Thread):
    """Times `SELECT count(*) FROM account` on a connection of its own until told to
    stop; a probe that is blocked finishes before the stop is seen."""

    def __init__(self, server: PostgresServer, database: str, start_at: float) -> None:
        super().__init__(daemon=True)
        self.connection = server.connect(
            database, autocommit=True, application_name="prober"
        )
        self.start_at = start_at
        self.times: list[float] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.stop.wait(max(0.0, self.start_at - time.perf_counter()))
            while not self.stop.is_set():
                start = time.perf_counter()
                self.connection.execute("SELECT count(*) FROM account").fetchone()
                self.times.append(time.perf_counter() - start)
                self.stop.wait(PROBE_EVERY)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            self.error = error
        finally:
            self.connection.close()


def measure_once(
    server: PostgresServer,
    bin: Path,
    folders: dict[bool, Path],
    variant: str,
    database: str,
    report_seconds: float,
) -> tuple[float, float, int]:
    """One run of one variant: its worst probe, its migration process's time, and how
    many probes it ran."""
    server.admin(f'CREATE DATABASE "{database}"')
    label, code, extra, from_note = VARIANTS[variant]
    project = folders[False]
    env = {**os.environ, "MYAPP_DATABASE_URL": server.url(database), **extra}
    env.pop("PYTHONPATH", None)
    run(bin / "alembic", "upgrade", HEAD_OF_EXAMPLE, cwd=project, env=env,
        capture_output=True)  # fmt: skip
    log = project / f"{database}.log"
    report = server.connect(database, autocommit=True, application_name="report")
    try:
        # The transaction holds the table's ACCESS SHARE lock until its COMMIT.
        report.execute("BEGIN")
        report.execute("SELECT count(*) FROM account").fetchone()
        report_began = time.perf_counter()
        started = time.perf_counter()
        prober = Prober(server, database, started + PROBE_FROM)
        with log.open("w") as output:
            process = subprocess.Popen(
                [bin / "python", "-c", code],
                cwd=folders[from_note], env=env, stdout=output,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        prober.start()
        time.sleep(max(0.0, report_began + report_seconds - time.perf_counter()))
        report.execute("COMMIT")
        try:
            process.wait(timeout=report_seconds + 300)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        migration_time = time.perf_counter() - started
    finally:
        report.close()
    prober.stop.set()
    prober.join(timeout=60)
    if prober.error is not None:
        raise SystemExit(f"{label}: a probe failed: {prober.error!r}")
    if process.returncode != 0:
        raise SystemExit(
            f"{label}: the migration exited with {process.returncode}:\n"
            + log.read_text()
        )
    columns = server.query(
        database,
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = 'account' AND column_name = 'email'",
    )
    if columns != [("email",)]:
        raise SystemExit(
            f"{label}: the migration exited 0 but account.email does not exist:\n"
            + log.read_text()
        )
    if not prober.times:
        raise SystemExit(f"{label}: the migration ended before the first probe")
    server.admin(f'DROP DATABASE "{database}"')
    return max(prober.times), migration_time, len(prober.times)


def measure(
    server: PostgresServer,
    bin: Path,
    folders: dict[bool, Path],
    runs: int,
    report_seconds: float,
) -> dict[str, dict[str, list[float]]]:
    samples = {name: {"worst": [], "migration": [], "probes": []} for name in VARIANTS}
    names = list(VARIANTS)
    for n in range(runs):
        # Interleaved, in an order that turns round from one run to the next.
        for name in names[n % len(names) :] + names[: n % len(names)]:
            database = f"bench_{n}_{name}"
            worst, migration, probes = measure_once(
                server, bin, folders, name, database, report_seconds
            )
            print(
                f"run {n + 1}, {VARIANTS[name][0]}: worst probe {worst:.2f} s, "
                f"migration {migration:.2f} s, {probes} probes",
                file=sys.stderr,
            )
            samples[name]["worst"].append(worst)
            samples[name]["migration"].append(migration)
            samples[name]["probes"].append(probes)
    return samples


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def versions(bin: Path, server: PostgresServer) -> str:
    code = (
        "import sqlalchemy, alembic; print(sqlalchemy.__version__, alembic.__version__)"
    )
    out = subprocess.run(
        [bin / "python", "-c", code], capture_output=True, text=True, check=True
    )
    sqlalchemy, alembic = out.stdout.split()
    with server.connect() as connection:
        postgres = connection.execute("SHOW server_version").fetchone()[0]
    return (
        f"Python {platform.python_version()}, SQLAlchemy {sqlalchemy}, "
        f"Alembic {alembic}; PostgreSQL {postgres}"
    )


def s(seconds: float) -> str:
    return f"{seconds:.2f} s"


def table(samples: dict[str, dict[str, list[float]]]) -> str:
    median = {
        name: {key: statistics.median(values) for key, values in kinds.items()}
        for name, kinds in samples.items()
    }
    ours = median[TEMPLATE]
    lines = [
        "| | worst probe wait | migration process | probes per run |",
        "|---|---:|---:|---:|",
    ]
    for name, m in median.items():
        lines.append(
            f"| {VARIANTS[name][0]} | {s(m['worst'])} | {s(m['migration'])} "
            f"| {m['probes']:.0f} |"
        )
    for name in (PLAIN, OFF):
        m = median[name]
        lines.append(
            f"| ratio, {VARIANTS[name][0]} / `migrate()` "
            f"| {m['worst'] / ours['worst']:.2f} "
            f"| {m['migration'] / ours['migration']:.2f} | |"
        )
    return "\n".join(lines)


def every_run(samples: dict[str, dict[str, list[float]]]) -> str:
    lines = [
        "| | worst probe wait, each run | migration process, each run |",
        "|---|---|---|",
    ]
    for name, kinds in samples.items():
        worst = ", ".join(f"{value:.2f}" for value in kinds["worst"])
        migration = ", ".join(f"{value:.2f}" for value in kinds["migration"])
        lines.append(f"| {VARIANTS[name][0]} | {worst} s | {migration} s |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--report-seconds", type=float, default=8.0)
    args = parser.parse_args()
    # The defaults the rendered project reads: this benchmark measures them as shipped.
    for variable in ("MYAPP_MIGRATION_LOCK_TIMEOUT", "MYAPP_MIGRATION_WAIT"):
        if variable in os.environ:
            raise SystemExit(f"Unset {variable}: the benchmark measures the default.")
    with tempfile.TemporaryDirectory(prefix="bench-locks-") as work:
        bin, project, note = build(Path(work))
        lock_timeout = subprocess.run(
            [bin / "python", "-c",
             "from myapp.db.settings import lock_timeout; print(lock_timeout())"],
            capture_output=True, text=True, check=True, cwd=project,
        ).stdout.strip()  # fmt: skip
        server = PostgresServer().start()
        try:
            folders = {False: project, True: note}
            samples = measure(server, bin, folders, args.runs, args.report_seconds)
            about = versions(bin, server)
        finally:
            server.stop()
    report = (
        f"# Queries behind a migration that waits for a table lock\n\n"
        f"Medians of {args.runs} interleaved runs per variant, all measured in one run "
        f"of `benchmarks/lock_wait.py` on {time.strftime('%Y-%m-%d')}.\n"
        f"Machine: {machine()}; {about}.\n\n"
        f"A report transaction holds ACCESS SHARE on `account` for "
        f"{args.report_seconds:g} s; meanwhile a migration runs `ALTER TABLE account "
        f"ADD COLUMN`, and a prober times `SELECT count(*) FROM account` from "
        f"{PROBE_FROM:g} s after the migration process started until it exits. Lock "
        f"timeout: {lock_timeout} s (the default of `MYAPP_MIGRATION_LOCK_TIMEOUT`).\n\n"
        f"{table(samples)}\n\n"
        "Plain Alembic, set up as the note says, has no lock timeout: its ALTER queues "
        "behind the report, and every probe that arrives meanwhile queues behind the "
        "ALTER until the report commits, so the worst probe waits about the report's "
        "length less the migration process's start-up. The template's ALTER gives up "
        "after the lock timeout and tries again after a pause, so a probe waits at most "
        "about that long; the migration still finishes soon after the report.\n\n"
        f"Every run, in seconds:\n\n{every_run(samples)}\n"
    )
    print(report)
    (ROOT / "benchmarks/lock_wait.md").write_text(report)


if __name__ == "__main__":
    main()

"""What migrate-at-start costs a program when there is nothing to migrate.

Renders this template, gives the project N revisions (N = 10, 100, 1000), and times
whole fresh processes, interleaved, on a SQLite database:

- `import sqlalchemy`, the floor every such program pays;
- `migrate()` with the database already at head;
- an async program's start at head, with `migrate()` called inside its event loop, and
  with `await migrate_async()`, which runs it in a worker thread;
- the Alembic note's snippet, `alembic.command.upgrade(Config("alembic.ini"), "head")`;
- and, to check the shortcut costs nothing when there is work to do, both doing the
  full upgrade from an empty database.

It prints the medians and ratios of one run as a Markdown table and writes them, with the
machine they came from, to benchmarks/results.md.

    .venv/bin/python benchmarks/migrate_at_start.py [--runs 9] [--sizes 10,100,1000]
"""

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOLS = Path(sys.executable).parent
EXAMPLE_REVISIONS = 2  # the template's example history; the rest are generated
HEAD_OF_EXAMPLE = "8c4e2d6a1b57"

REVISION = '''"""Add table t{n:04d}

Revision ID: {revision}
Revises: {down_revision}
Create Date: 2026-01-01 00:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "{revision}"
down_revision: str | Sequence[str] | None = "{down_revision}"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "t{n:04d}",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_t{n:04d}")),
    )
    op.create_index(op.f("ix_t{n:04d}_name"), "t{n:04d}", ["name"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_t{n:04d}_name"), table_name="t{n:04d}")
    op.drop_table("t{n:04d}")
'''

MIGRATE = "from myapp.db import migrate; migrate()"
# The same async program twice: only the call in its start-up differs.
ASYNC_PROGRAM = """
import asyncio
from myapp.db import {name}

async def start():
    {call}

asyncio.run(start())
"""
MIGRATE_IN_LOOP = ASYNC_PROGRAM.format(name="migrate", call="migrate()")
MIGRATE_ASYNC = ASYNC_PROGRAM.format(name="migrate_async", call="await migrate_async()")
NOTE_SNIPPET = (
    "from alembic.config import Config; import alembic.command; "
    "config = Config('alembic.ini'); config.attributes['configure_logger'] = False; "
    "alembic.command.upgrade(config, 'head')"
)


def run(*args, **kwargs):
    return subprocess.run([str(a) for a in args], check=True, **kwargs)


def build(work: Path, sizes: list[int]) -> tuple[Path, dict[int, Path]]:
    """Render the template once, install it in a venv, and make one copy per size."""
    base = work / "base"
    run(TOOLS / "copier", "copy", "--quiet", "--defaults", "--vcs-ref=HEAD", ROOT, base)
    venv = work / ".venv"
    uv = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    run(TOOLS / "uv", "venv", "--quiet", "--python", sys.executable, venv, env=uv)
    run(TOOLS / "uv", "pip", "install", "--quiet", "--python", venv / "bin/python",
        "--editable", base, env=uv)  # fmt: skip
    projects = {}
    for size in sizes:
        project = work / f"n{size}"
        shutil.copytree(base, project)
        versions = project / "myapp/migrations/versions"
        down = HEAD_OF_EXAMPLE
        for n in range(1, size - EXAMPLE_REVISIONS + 1):
            revision = f"{n:012x}"
            (versions / f"2026_01_01_0000-{revision}_add_table_t{n:04d}.py").write_text(
                REVISION.format(n=n, revision=revision, down_revision=down)
            )
            down = revision
        projects[size] = project
    return venv / "bin/python", projects


def timed(python: Path, code: str, project: Path, env: dict) -> float:
    # python -c puts the current directory first on sys.path, so each copy imports its
    # own myapp package.
    start = time.perf_counter()
    run(python, "-c", code, cwd=project, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def measure(python: Path, project: Path, runs: int) -> dict[str, float]:
    database = project / "bench.db"
    env = {**os.environ, "MYAPP_DATABASE_URL": f"sqlite:///{database}"}
    env.pop("PYTHONPATH", None)
    cases = {
        "import sqlalchemy": "import sqlalchemy",
        "migrate(), at head": MIGRATE,
        "note snippet, at head": NOTE_SNIPPET,
        "async program: migrate(), at head": MIGRATE_IN_LOOP,
        "async program: migrate_async(), at head": MIGRATE_ASYNC,
    }
    samples: dict[str, list[float]] = {name: [] for name in cases}
    samples |= {"migrate(), from empty": [], "note snippet, from empty": []}
    timed(python, MIGRATE, project, env)  # bring the database to head, and warm caches
    for _ in range(runs):
        for name, code in cases.items():
            samples[name].append(timed(python, code, project, env))
        for name, code in [("migrate(), from empty", MIGRATE),
                           ("note snippet, from empty", NOTE_SNIPPET)]:  # fmt: skip
            database.unlink()
            samples[name].append(timed(python, code, project, env))
    return {name: statistics.median(values) for name, values in samples.items()}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def versions(python: Path) -> str:
    code = (
        "import sqlalchemy, alembic; print(sqlalchemy.__version__, alembic.__version__)"
    )
    out = subprocess.run(
        [python, "-c", code], capture_output=True, text=True, check=True
    )
    sqlalchemy, alembic = out.stdout.split()
    return f"Python {platform.python_version()}, SQLAlchemy {sqlalchemy}, Alembic {alembic}"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def table(results: dict[int, dict[str, float]]) -> str:
    header = (
        "| revisions | `import sqlalchemy` | `migrate()` at head | note snippet at head "
        "| `migrate()` cost over the import | snippet cost over the import "
        "| cost ratio | full upgrade: `migrate()` | full upgrade: snippet "
        "| full upgrade ratio |"
    )
    lines = [
        header,
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size, r in results.items():
        floor = r["import sqlalchemy"]
        ours = r["migrate(), at head"] - floor
        note = r["note snippet, at head"] - floor
        lines.append(
            f"| {size} | {ms(floor)} | {ms(r['migrate(), at head'])} "
            f"| {ms(r['note snippet, at head'])} | {ms(ours)} | {ms(note)} "
            f"| {ours / note:.1%} | {ms(r['migrate(), from empty'])} "
            f"| {ms(r['note snippet, from empty'])} "
            f"| {r['migrate(), from empty'] / r['note snippet, from empty']:.2f} |"
        )
    return "\n".join(lines)


def async_table(results: dict[int, dict[str, float]]) -> str:
    lines = [
        "| revisions | `migrate()` inside the loop | `await migrate_async()` | ratio |",
        "|---:|---:|---:|---:|",
    ]
    for size, r in results.items():
        in_loop = r["async program: migrate(), at head"]
        ours = r["async program: migrate_async(), at head"]
        lines.append(f"| {size} | {ms(in_loop)} | {ms(ours)} | {ours / in_loop:.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--sizes", default="10,100,1000")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-") as work:
        python, projects = build(Path(work), sizes)
        results = {size: measure(python, projects[size], args.runs) for size in sizes}
        about = versions(python)
    report = (
        f"# migrate() at start: whole-process timings\n\n"
        f"Medians of {args.runs} interleaved runs per cell, all measured in one run of "
        f"`benchmarks/migrate_at_start.py` on {time.strftime('%Y-%m-%d')}.\n"
        f"Machine: {machine()}; {about}; SQLite.\n\n{table(results)}\n\n"
        "An async program starting at head, on the same databases: the whole process, "
        "with `migrate()` called inside its event loop, and with `await "
        "migrate_async()`.\n\n"
        f"{async_table(results)}\n"
    )
    print(report)
    (ROOT / "benchmarks/results.md").write_text(report)


if __name__ == "__main__":
    main()

"""What `db check --scratch` costs as a history grows, now that it proves every downgrade.

Renders this template, gives the project N revisions (N = 10, 50, 200), each a table
with an index and the model that matches it, and times whole `myapp db check --scratch`
processes, interleaved, on the scratch SQLite database it makes itself. Each revision
is stepped up, down (its schema compared with the one before) and up again, so the time
should grow linearly: the per-revision column says whether it does.

It prints the medians of one run as a Markdown table and writes them, with the machine
they came from, to benchmarks/check_scratch.md.

    .venv/bin/python benchmarks/check_scratch.py [--runs 3] [--sizes 10,50,200]
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from migrate_at_start import EXAMPLE_REVISIONS, ROOT, build, machine, run, versions

MODEL = """

class T{n:04d}(Base):
    __tablename__ = "t{n:04d}"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    created: Mapped[datetime | None]
"""


def with_models(project: Path, size: int) -> Path:
    """The models that match the generated revisions, so the check passes."""
    models = project / "myapp/models.py"
    text = "from datetime import datetime\n" + models.read_text()
    added = range(1, size - EXAMPLE_REVISIONS + 1)
    models.write_text(text + "".join(MODEL.format(n=n) for n in added))
    return project


def timed(python: Path, project: Path) -> float:
    env = {**os.environ, "MYAPP_DATABASE_URL": f"sqlite:///{project / 'unused.db'}"}
    for name in ("PYTHONPATH", "TEST_MYAPP_DATABASE_URL"):
        env.pop(name, None)
    start = time.perf_counter()
    run(python, "-m", "myapp", "db", "check", "--scratch", cwd=project, env=env,
        capture_output=True)  # fmt: skip
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", default="10,50,200")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-") as work:
        python, projects = build(Path(work), sizes)
        for size, project in projects.items():
            with_models(project, size)
        samples: dict[int, list[float]] = {size: [] for size in sizes}
        for _ in range(args.runs):
            for size in sizes:
                samples[size].append(timed(python, projects[size]))
        about = versions(python)
    lines = [
        "| revisions | `db check --scratch` | per revision |",
        "|---:|---:|---:|",
    ]
    for size in sizes:
        median = statistics.median(samples[size])
        lines.append(f"| {size} | {median:.1f} s | {median / size * 1000:.0f} ms |")
    report = (
        "# db check --scratch: whole-process timings\n\n"
        f"Medians of {args.runs} interleaved runs per size, all measured in one run of "
        f"`benchmarks/check_scratch.py` on {time.strftime('%Y-%m-%d')}.\n"
        f"Machine: {machine()}; {about}; SQLite only (no TEST_ server).\n\n"
        + "\n".join(lines)
        + "\n"
    )
    print(report)
    (ROOT / "benchmarks/check_scratch.md").write_text(report)


if __name__ == "__main__":
    main()

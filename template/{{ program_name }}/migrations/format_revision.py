"""Alembic post-write hook: sort a new revision file's imports and format it with ruff,
when ruff is installed, and remove it if it uses a name it never imports.

alembic.ini runs this module rather than ruff itself because Alembic's own hook fails the
whole `alembic revision` command when ruff is missing; this one only says so.
"""

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path


def main(path: str) -> None:
    if importlib.util.find_spec("ruff") is not None:
        ruff = [sys.executable, "-m", "ruff"]
    elif shutil.which("ruff"):
        ruff = ["ruff"]
    else:
        print(f"ruff is not installed, so {path} is left unformatted.", file=sys.stderr)
        return
    # The template puts a revision's own imports (the models' types, datetime for
    # rows) after Alembic's; ruff's import sorting moves them where they belong.
    subprocess.run(
        [*ruff, "check", "--fix", "--select", "I", "--quiet", path], check=False
    )
    subprocess.run([*ruff, "format", "--quiet", path], check=False)
    # A name the revision never imports is a NameError at upgrade, on every database.
    undefined = subprocess.run(
        [*ruff, "check", "--select", "F821", "--output-format", "concise", path],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if undefined.returncode != 0:
        Path(path).unlink()
        found = undefined.stdout.splitlines()[0].split(": ", 1)[-1]
        print(
            f"Removed {path}: it uses a name it never imports ({found}). Import it in "
            "the models' module, or write that part of the revision by hand.",
            file=sys.stderr,
        )
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1])

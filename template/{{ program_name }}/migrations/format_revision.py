"""Alembic post-write hook: sort a new revision file's imports and format it with ruff,
when ruff is installed.

alembic.ini runs this module rather than ruff itself because Alembic's own hook fails the
whole `alembic revision` command when ruff is missing; this one only says so.
"""

import importlib.util
import shutil
import subprocess
import sys


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


if __name__ == "__main__":
    main(sys.argv[1])

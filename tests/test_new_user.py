"""A new user's first hour, with answers that are not the defaults: the real `copier`
command, then the README's set-up commands with uv, as written, then a first commit
through the pre-commit hooks, from a shell where the venv is not active."""

import os
import re
import subprocess
from pathlib import Path

import pytest
from conftest import NETWORK, TEMPLATE, TOOLS

ANSWERS = {
    "program_name": "stockroom",
    "database_url_env": "STOCKROOM_DB",
    "python_version": "3.11",  # not the default, and installed on this machine
    "example_data": "false",
}
UV_CACHE = subprocess.run(
    [str(TOOLS / "uv"), "cache", "dir"], capture_output=True, text=True, check=True
).stdout.strip()


def sh_block(readme: str, after: str) -> list[str]:
    """The commands of the first ```sh block after the line `after`, without comments."""
    rest = readme[readme.index(after) :]
    block = re.search(r"```sh\n(.*?)```", rest, re.DOTALL)
    assert block, f"no sh block after {after!r}"
    lines = (line.split("  #")[0].strip() for line in block[1].splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def message_block(message: str, after: str) -> list[str]:
    """The indented commands under the line `after` in copier's message."""
    lines = message[message.index(after) :].splitlines()[1:]
    commands = []
    for line in lines:
        if not line.startswith("  "):
            break
        commands.append(line.split("  #")[0].strip())
    return commands


@pytest.fixture
def user(tmp_path) -> dict:
    """A shell of the user's own: a HOME, git's identity, uv on PATH (the venv is not),
    and uv's cache as this machine has it, as on a laptop that has used uv before."""
    home = tmp_path / "home"
    home.mkdir()
    return NETWORK | {
        "HOME": str(home),
        "PATH": f"{TOOLS}{os.pathsep}/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "XDG_DATA_HOME": str(home / "data"),
        "UV_CACHE_DIR": UV_CACHE,
        "UV_PYTHON_DOWNLOADS": "never",
        "GIT_AUTHOR_NAME": "New User",
        "GIT_AUTHOR_EMAIL": "new@example.com",
        "GIT_COMMITTER_NAME": "New User",
        "GIT_COMMITTER_EMAIL": "new@example.com",
    }


def run(command: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True,
        stdin=subprocess.DEVNULL, check=False, timeout=300,
    )  # fmt: skip


def test_the_readme_set_up_with_uv_works_as_written_for_other_answers(tmp_path, user):
    data = [f"--data={key}={value}" for key, value in ANSWERS.items()]
    copied = subprocess.run(
        [str(TOOLS / "copier"), "copy", "--defaults", "--vcs-ref=HEAD", *data,
         str(TEMPLATE), "stockroom"],
        cwd=tmp_path, env=user, capture_output=True, text=True, check=False,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert copied.returncode == 0, copied.stderr
    project = tmp_path / "stockroom"
    readme = (project / "README.md").read_text()
    set_up = sh_block(readme, "With [uv]")
    message = message_block(copied.stdout + copied.stderr, "Next steps, with uv:")

    ran = []
    for command in set_up:
        result = run(command, project, user)
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
        ran.append(command)
    # The first commit, through the hooks `pre-commit install` set up.
    committed = run("git add -A && git commit -m 'Start'", project, user)

    assert set_up == [
        "git init -b main",
        "uv sync --python 3.11",
        "uv run alembic upgrade head",
        "uv run pytest",
        "uv run pre-commit install",
    ]
    # The message gives the same commands, with the first commit among them.
    assert [c for c in message if c.startswith("uv ")] == set_up[1:]
    assert (project / ".venv/bin/python3.11").exists()
    assert (Path(user["XDG_DATA_HOME"]) / "stockroom/main.db").is_file()
    assert committed.returncode == 0, committed.stdout + committed.stderr
    # git gives its hooks' output to stderr.
    said = committed.stdout + committed.stderr
    hooks = re.findall(r"^(.+?)\.{3,}(Passed|Failed)$", said, re.MULTILINE)
    assert hooks == [
        ("ruff check", "Passed"),
        ("ruff format", "Passed"),
        ("mypy", "Passed"),
        ("models and migrations agree", "Passed"),
    ]
    branch = run("git branch --show-current", project, user).stdout.strip()
    workflow = (project / ".github/workflows/ci.yml").read_text()
    assert branch == "main" and "branches: [main, master]" in workflow

"""The true end-to-end path: build the wheel, install it (not editable) into a fresh
venv, and migrate from an empty directory, far from any alembic.ini."""

import re
import zipfile

import pytest
from conftest import Project
from test_safe_migrations import MALFORMED, MALFORMED_ERROR

HEAD = "8c4e2d6a1b57"


@pytest.fixture
def installed(projects, runtime_venv, tmp_path) -> Project:
    """The installed program, run from an empty directory with a private HOME, each
    command a process of its own: the one true end-to-end path."""
    (tmp_path / "empty").mkdir()
    (tmp_path / "home").mkdir()
    return Project(
        tmp_path / "empty", projects["default"].answers, runtime_venv, tmp_path / "home",
        forked=False,
    )  # fmt: skip


def test_the_wheel_holds_every_migration_file(wheel, rendered):
    root, _ = rendered["default"]
    migrations = root / "myapp/migrations"
    expected = {
        str(path.relative_to(root))
        for path in migrations.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }

    names = set(zipfile.ZipFile(wheel).namelist())

    assert {"myapp/migrations/env.py", "myapp/migrations/script.py.mako"} <= expected
    assert len([n for n in expected if n.startswith("myapp/migrations/versions/")]) == 2
    assert expected <= names


def test_db_commands_work_from_an_empty_directory(installed, tmp_path):
    database = tmp_path / "server.db"
    env = installed.env(MYAPP_DATABASE_URL=f"sqlite:///{database}")

    def db(*args):
        return installed.run("python", "-m", "myapp", "db", *args, env=env)

    upgrade = db("upgrade")
    at_head = db("current").stdout
    down = db("downgrade", "-1")
    after_down = db("current").stdout
    history = db("history").stdout
    script = installed.run("myapp", "db", "current", env=env).stdout

    assert "Running upgrade 3f1a9c2b7d10 -> 8c4e2d6a1b57" in upgrade.stderr
    assert f"{HEAD} (head)" in at_head
    assert "Running downgrade 8c4e2d6a1b57 -> 3f1a9c2b7d10" in down.stderr
    assert "3f1a9c2b7d10" in after_down and "(head)" not in after_down
    assert "3f1a9c2b7d10 -> 8c4e2d6a1b57 (head), Seed example accounts" in history
    assert "3f1a9c2b7d10" in script
    assert list(installed.path.iterdir()) == []  # nothing written where it ran


def test_migrate_from_code_uses_the_default_database(installed):
    installed.run("python", "-c", "from myapp.db import migrate; migrate()")
    installed.run("python", "-c", "from myapp.db import migrate; migrate()")  # at head

    current = installed.run("myapp", "db", "current").stdout
    assert (installed.home / ".local/share/myapp/main.db").is_file()
    assert f"{HEAD} (head)" in current


def test_an_unknown_action_prints_usage_and_exits_2(installed):
    result = installed.run("myapp", "db", "frobnicate", check=False)

    assert result.returncode == 2
    assert result.stderr.startswith("usage: myapp db")
    assert "invalid choice: 'frobnicate'" in result.stderr


def test_help_lists_the_actions(installed):
    result = installed.run("myapp", "db", "--help")

    # Each action opens its own line of the list, before its help text.
    assert re.findall(r"^ {4}(\w+)(?: |$)", result.stdout, re.MULTILINE) == [
        "upgrade",
        "downgrade",
        "stamp",
        "current",
        "history",
        "show",
        "heads",
        "branches",
        "check",
        "drift",
        "adopt",
        "lock",
        "sql",
        "revision",
        "merge",
        "squash",
    ]
    assert "MYAPP_DATABASE_URL" in result.stdout


def test_a_bad_url_is_one_line(installed):
    env = installed.env(MYAPP_DATABASE_URL=MALFORMED)

    result = installed.run("myapp", "db", "upgrade", env=env, check=False)

    assert result.returncode == 255  # Alembic's own exit status for a failed command
    assert (result.stdout + result.stderr).strip() == f"FAILED: {MALFORMED_ERROR}"


@pytest.mark.parametrize(
    "action", [("revision", "-m", "x"), ("squash", "8c4e2d6a1b57")], ids=lambda a: a[0]
)
def test_writing_revisions_needs_a_checkout(installed, action):
    result = installed.run("myapp", "db", *action, check=False)

    assert result.returncode == 255
    assert result.stdout == (
        f"FAILED: `db {action[0]}` writes revision files into a project checkout, and "
        "this myapp is installed from a wheel: run it in the project's folder.\n"
    )

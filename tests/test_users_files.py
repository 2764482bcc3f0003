"""The files the template starts and the user owns beside the models: db_settings.py,
what may be tuned, read by the machinery and the tests; cli.py, the program's command
line, to which the user adds commands beside `db`. (tests/test_update.py shows that an
update never rewrites either.)"""

import re

from conftest import Project, sqlite_query
from test_safe_migrations import error_lines

BUSY = "import sys; from myapp.db import get_engine\n" + (
    "with get_engine().connect() as c: print(c.exec_driver_sql('PRAGMA busy_timeout').scalar())"
)


def tune(project: Project, setting: str, value: str) -> None:
    settings = project.path / "myapp/db_settings.py"
    text, count = re.subn(
        rf"^{setting} = .*$",
        f"{setting} = {value}",
        settings.read_text(),
        flags=re.MULTILINE,
    )
    assert count == 1, f"{setting} is not in db_settings.py"
    settings.write_text(text)


def test_a_tuned_busy_timeout_reaches_the_engines_and_the_projects_own_test(
    project, tmp_path
):
    tune(project, "SQLITE_BUSY_TIMEOUT", "7.5")
    env = project.env(MYAPP_DATABASE_URL=f"sqlite:///{tmp_path / 'app.db'}")

    busy = project.run("python", "-c", BUSY, env=env).stdout.split()
    # The project's own test of the async engine's rules reads the value from there.
    own = project.run(
        "python", "-m", "pytest", "-q", "-p", "no:cacheprovider",
        "tests/test_async.py", "-k", "keeps_the_rules",
    )  # fmt: skip

    assert busy == ["7500"]
    assert "1 passed" in own.stdout


def test_backups_kept_and_the_backup_switch_come_from_the_settings(project, tmp_path):
    database = tmp_path / "app.db"
    env = project.env(MYAPP_DATABASE_URL=f"sqlite:///{database}")
    tune(project, "BACKUPS_KEPT", "1")
    project.run("alembic", "upgrade", "3f1a9c2b7d10", env=env)
    for _ in range(2):  # two migrations of a file with revisions: two backups made
        project.run("alembic", "upgrade", "head", env=env)
        project.run("alembic", "downgrade", "3f1a9c2b7d10", env=env)
    kept = sorted(tmp_path.glob("app.db.*.bak"))
    tune(project, "MIGRATION_BACKUP", "False")
    project.run("alembic", "upgrade", "head", env=env)

    assert len(kept) == 1
    assert sorted(tmp_path.glob("app.db.*.bak")) == kept  # none made, none pruned
    assert sqlite_query(database, "SELECT version_num FROM alembic_version") == [
        ("8c4e2d6a1b57",)
    ]


def test_the_environment_overrides_a_setting_and_a_bad_one_is_one_line(
    project, tmp_path
):
    database = tmp_path / "app.db"
    env = project.env(MYAPP_DATABASE_URL=f"sqlite:///{database}")
    tune(project, "MIGRATION_WAIT", '"soon"')
    refused = project.run("alembic", "upgrade", "head", env=env, check=False)
    overridden = project.run(
        "alembic", "upgrade", "head", env={**env, "MYAPP_MIGRATION_WAIT": "5"}
    )
    tune(project, "MIGRATION_WAIT", "600.0")
    tune(project, "BACKUPS_KEPT", "0")
    none_kept = project.run("alembic", "downgrade", "base", env=env, check=False)

    not_seconds = (
        "FAILED: myapp.db_settings.MIGRATION_WAIT must be a number of seconds, such as "
        "600 (0 waits for nothing), not 'soon'."
    )
    assert error_lines(refused) == [not_seconds]
    assert overridden.returncode == 0
    assert error_lines(none_kept) == [
        "FAILED: myapp.db_settings.BACKUPS_KEPT must be a whole number, 1 or more, not 0."
    ]


def test_a_setting_missing_from_the_users_file_takes_the_templates_default(
    project, tmp_path
):
    """As in a project whose db_settings.py predates a setting a later version added."""
    settings = project.path / "myapp/db_settings.py"
    settings.write_text('"""Settings from an older template version."""\n')
    env = project.env(MYAPP_DATABASE_URL=f"sqlite:///{tmp_path / 'app.db'}")

    busy = project.run("python", "-c", BUSY, env=env).stdout.split()

    assert busy == ["30000"]


ADD_HELLO = """
    hello = commands.add_parser("hello", help="say hello")
    hello.add_argument("name")
"""
RUN_HELLO = """
    if args.command == "hello":
        print(f"Hello, {args.name}!")
"""


def test_the_user_adds_a_command_beside_db_and_help_is_the_programs(project):
    cli = project.path / "myapp/cli.py"
    text = cli.read_text()
    text = text.replace("    return parser\n", ADD_HELLO + "    return parser\n", 1)
    text = text.replace(
        '    if args.command == "db":',
        RUN_HELLO.rstrip("\n").lstrip("\n") + '\n    if args.command == "db":',
        1,
    )
    cli.write_text(text)

    hello = project.run("python", "-m", "myapp", "hello", "Ada")
    usage = project.run("python", "-m", "myapp", "--help").stdout
    current = project.run("python", "-m", "myapp", "db", "heads")

    assert hello.stdout == "Hello, Ada!\n"
    assert project.answers["description"] in " ".join(usage.split())
    assert re.findall(r"^ {4}(\w+)", usage, re.MULTILINE) == ["db", "hello"]
    assert "8c4e2d6a1b57 (head)" in current.stdout


def test_a_new_projects_settings_are_the_templates_defaults(projects):
    """The machinery's defaults, for a setting a file lacks, are the ones a new project's
    file starts with: one set of values, not two."""
    project = projects["default"]
    compare = (
        "from myapp import db_settings; from myapp.db.settings import DEFAULTS; "
        "print(sorted((k, getattr(db_settings, k)) for k in vars(db_settings) "
        "if k.isupper()) == sorted(DEFAULTS.items()))"
    )

    assert project.run("python", "-c", compare).stdout == "True\n"

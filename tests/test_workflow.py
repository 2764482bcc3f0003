"""The Alembic note's workflow, run for real in a rendered project on SQLite files."""

import re
import stat
import textwrap

import pytest
from conftest import add_invoice_model, new_database
from conftest import sqlite_query as query
from test_safe_migrations import error_lines

SEEDED = [
    ("Ed Williams", "2007-05-27"),
    ("John Smith", "2010-10-05"),
    ("Wendy Jones", "2008-08-15"),
]
HEAD = "8c4e2d6a1b57"


def database(project):
    """Point the project at a SQLite file of its own; return the file's path."""
    path = project.path.parent / "app.db"
    return path, project.env(MYAPP_DATABASE_URL=f"sqlite:///{path}")


def test_upgrade_current_and_history(project):
    path, env = database(project)

    project.run("alembic", "upgrade", "head", env=env)
    current = project.run("alembic", "current", env=env).stdout
    history = project.run("alembic", "history", "--verbose", env=env).stdout

    assert f"{HEAD} (head)" in current
    assert "Rev: 3f1a9c2b7d10" in history and f"Rev: {HEAD} (head)" in history
    assert query(path, "SELECT name, create_date FROM account") == SEEDED


def test_downgrade_removes_the_seed_rows_and_upgrade_restores_them(project):
    path, env = database(project)
    project.run("alembic", "upgrade", "head", env=env)

    project.run("alembic", "downgrade", "-1", env=env)
    after_downgrade = query(path, "SELECT name, create_date FROM account")
    version = query(path, "SELECT version_num FROM alembic_version")
    project.run("alembic", "upgrade", "head", env=env)

    assert after_downgrade == []
    assert version == [("3f1a9c2b7d10",)]
    assert query(path, "SELECT name, create_date FROM account") == SEEDED


def test_autogenerate_sees_a_new_model(project):
    path, env = database(project)
    versions = project.path / "myapp/migrations/versions"
    project.run("alembic", "upgrade", "head", env=env)
    add_invoice_model(project.path / "myapp/models.py")

    project.run("alembic", "revision", "--autogenerate", "-m", "add invoice", env=env)
    new = [p for p in versions.glob("*.py") if "add_invoice" in p.name]

    assert len(new) == 1
    assert re.fullmatch(
        r"\d{4}_\d\d_\d\d_\d{6}-[0-9a-f]{12}_add_invoice\.py", new[0].name
    )
    text = new[0].read_text()
    for expected in [
        '"invoice"',
        "pk_invoice",
        "fk_invoice_account_id_account",
        "uq_invoice_number",
    ]:
        assert expected in text
    project.run("ruff", "format", "--check", str(new[0]))  # the post-write hook ran
    project.run("alembic", "upgrade", "head", env=env)
    assert project.run("alembic", "check", env=env, check=False).returncode == 0
    assert query(path, "SELECT name FROM sqlite_master WHERE name = 'invoice'") == [
        ("invoice",)
    ]


def test_autogenerate_with_no_changes_writes_no_file(project):
    _, env = database(project)
    project.run("alembic", "upgrade", "head", env=env)
    before = sorted((project.path / "myapp/migrations/versions").iterdir())

    result = project.run(
        "alembic", "revision", "--autogenerate", "-m", "nothing", env=env
    )

    assert sorted((project.path / "myapp/migrations/versions").iterdir()) == before
    assert "No changes in schema detected" in result.stderr


def test_check_fails_when_a_model_has_no_migration(project):
    _, env = database(project)
    project.run("alembic", "upgrade", "head", env=env)
    add_invoice_model(project.path / "myapp/models.py")

    result = project.run("alembic", "check", env=env, check=False)

    assert result.returncode != 0
    assert "invoice" in result.stdout + result.stderr


def test_offline_mode_writes_sql_and_touches_no_database(project):
    path, env = database(project)

    result = project.run("alembic", "upgrade", "head", "--sql", env=env)

    assert "CREATE TABLE account" in result.stdout
    assert (
        "INSERT INTO account (name, create_date) VALUES ('John Smith', '2010-10-05')"
        in result.stdout
    )
    assert not path.exists()


NOTE_SNIPPET = """
    import logging
    import sys

    import alembic.command
    from alembic.config import Config

    handler = logging.StreamHandler(sys.stdout)
    logging.getLogger().addHandler(handler)
    app_log = logging.getLogger("host.app")

    config = Config("alembic.ini")
    config.attributes["configure_logger"] = {configure_logger}
    alembic.command.upgrade(config, "head")

    print("handler kept:", logging.getLogger().handlers == [handler])
    print("app logger enabled:", not app_log.disabled)
"""


def run_note_snippet(project, configure_logger):
    _, env = database(project)
    script = project.path / "host.py"
    script.write_text(
        textwrap.dedent(NOTE_SNIPPET.format(configure_logger=configure_logger))
    )
    return project.run("python", str(script), env=env).stdout


def test_note_snippet_leaves_the_host_programs_logging_alone(project):
    output = run_note_snippet(project, configure_logger=False)

    assert "handler kept: True" in output
    assert "app logger enabled: True" in output


def test_without_the_flag_alembic_ini_takes_over_logging(project):
    # The counterpart of the test above: it shows that the flag is what protects the host.
    output = run_note_snippet(project, configure_logger=True)

    assert "handler kept: False" in output
    assert "app logger enabled: True" in output  # disable_existing_loggers=False


def test_default_database_is_created_in_the_data_directory(project):
    data_dir = project.home / ".local/share/myapp"

    project.run("alembic", "upgrade", "head")  # no MYAPP_DATABASE_URL

    assert (
        query(data_dir / "main.db", "SELECT name, create_date FROM account") == SEEDED
    )
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700


def test_migrate_from_code_uses_the_default_database(project):
    project.run("python", "-c", "from myapp.db import migrate; migrate()")

    assert query(
        project.home / ".local/share/myapp/main.db", "SELECT count(*) FROM account"
    ) == [(3,)]


def test_revision_without_ruff_is_written_unformatted(project, runtime_venv):
    project.venv = runtime_venv  # the program's runtime dependencies only: no ruff
    _, env = database(project)

    result = project.run("alembic", "revision", "-m", "backfill", env=env)

    (new,) = (project.path / "myapp/migrations/versions").glob("*_backfill.py")
    assert "def upgrade() -> None:" in new.read_text()
    assert "ruff is not installed" in result.stderr


def test_sqlite_changes_are_rendered_in_batch_mode(project):
    path, env = database(project)
    project.run("alembic", "upgrade", "head", env=env)
    models = project.path / "myapp/models.py"
    models.write_text(
        models.read_text().replace(
            "    create_date: Mapped[date]\n",
            "    create_date: Mapped[date]\n    email: Mapped[str | None] = mapped_column(String(200))\n",
        )
    )

    project.run("alembic", "revision", "--autogenerate", "-m", "add email", env=env)
    (new,) = (project.path / "myapp/migrations/versions").glob("*_add_email.py")
    project.run("alembic", "upgrade", "head", env=env)

    assert 'with op.batch_alter_table("account"' in new.read_text()
    assert len(query(path, "SELECT email FROM account")) == 3


def test_custom_variable_name_chooses_the_database(projects, tmp_path):
    project = projects["custom_env"]
    path = tmp_path / "tracker.db"

    project.run(
        "alembic", "upgrade", "head", env=project.env(TRACKER_DB=f"sqlite:///{path}")
    )

    assert query(path, "SELECT count(*) FROM account") == [(3,)]
    assert not (project.home / ".local/share/tracker").exists()


def test_db_command_writes_and_checks_revisions_in_a_checkout(project):
    _, env = database(project)
    versions = project.path / "myapp/migrations/versions"
    project.run("python", "-m", "myapp", "db", "upgrade", env=env)
    add_invoice_model(project.path / "myapp/models.py")

    project.run("python", "-m", "myapp", "db", "revision", "--autogenerate",
                "-m", "add invoice", env=env)  # fmt: skip
    (new,) = versions.glob("*_add_invoice.py")
    project.run("ruff", "format", "--check", str(new))
    project.run("python", "-m", "myapp", "db", "upgrade", env=env)
    check = project.run("python", "-m", "myapp", "db", "check", env=env, check=False)
    before = sorted(versions.iterdir())
    project.run("python", "-m", "myapp", "db", "revision", "--autogenerate",
                "-m", "nothing", env=env)  # fmt: skip

    assert re.fullmatch(r"\d{4}_\d\d_\d\d_\d{6}-[0-9a-f]{12}_add_invoice\.py", new.name)
    assert check.returncode == 0
    assert sorted(versions.iterdir()) == before


@pytest.mark.parametrize(
    "command", [["upgrade", "head"], ["current"], ["history"], ["check"]]
)
def test_the_db_command_prints_what_alembic_prints(project, command):
    path, env = database(project)
    outputs = []

    for program in (["alembic"], ["python", "-m", "myapp", "db"]):
        path.unlink(missing_ok=True)
        if command != ["upgrade", "head"]:
            project.run("alembic", "upgrade", "head", env=env)
        outputs.append(project.run(*program, *command, env=env))

    alembic, ours = outputs
    assert (ours.stdout, ours.stderr) == (alembic.stdout, alembic.stderr)
    assert "plugin" not in ours.stderr


HOST_AT_INFO = """
import logging

from myapp.db import migrate

logging.basicConfig(level=logging.INFO, format="%(levelname)s [%(name)s] %(message)s")
migrate()
"""


def test_migrate_tells_a_host_at_info_what_alembic_tells_and_no_more(project):
    path, env = database(project)

    result = project.run("python", "-c", HOST_AT_INFO, env=env)

    # Which database, and which revisions ran; not Alembic's start-up remarks.
    assert result.stderr.splitlines() == [
        f"INFO [myapp.db.run] Migrating sqlite:///{path}",
        (
            "INFO [alembic.runtime.migration] Running upgrade  -> 3f1a9c2b7d10, "
            "Create the account table"
        ),
        (
            "INFO [alembic.runtime.migration] Running upgrade 3f1a9c2b7d10 -> "
            "8c4e2d6a1b57, Seed example accounts"
        ),
    ]


def test_branches_are_merged_stamped_and_shown_from_the_db_command(project):
    _, env = database(project)

    def db(*args):
        return project.run("python", "-m", "myapp", "db", *args, env=env).stdout

    project.run("python", "-m", "myapp", "db", "upgrade", env=env)
    for name in ("alice", "bob"):  # two developers, two revisions on the same head
        project.run("alembic", "revision", "-m", f"{name} work",
                    "--head", "8c4e2d6a1b57", "--splice", env=env)  # fmt: skip
    heads = db("heads")
    branches = db("branches")
    # Each says the same: the two heads, and the command that joins them.
    refused = [
        project.run("python", "-m", "myapp", "db", *args, env=env, check=False)
        for args in (["upgrade"], ["check"], ["check", "--scratch"])
    ]
    db("merge", "heads", "-m", "join work")
    (merge,) = (project.path / "myapp/migrations/versions").glob("*_join_work.py")
    merge_id = merge.name.split("-")[1].split("_")[0]
    db("upgrade")
    # Branches and a merge: each revision stepped up, its downgrade proved where it can.
    db("check", "--scratch")
    shown = db("show", merge_id)
    ambiguous = project.run(
        "python", "-m", "myapp", "db", "downgrade", "-1", env=env, check=False
    )
    db("stamp", "8c4e2d6a1b57")
    stamped = db("current")

    assert heads.count("(head)") == 2
    assert "8c4e2d6a1b57 (branchpoint)" in branches
    ids = sorted(
        path.name.split("-")[1].split("_")[0]
        for name in ("alice", "bob")
        for path in (project.path / "myapp/migrations/versions").glob(
            f"*_{name}_work.py"
        )
    )
    two_heads = (
        f"FAILED: The history has 2 heads, {ids[0]}, {ids[1]}: two branches each "
        'added a revision. Join them with `myapp db merge heads -m "Join the '
        'branches"`, then run this again.'
    )
    for result in refused:
        assert error_lines(result) == [two_heads]
    assert f"Rev: {merge_id} (head) (mergepoint)" in shown
    down_through_a_merge = (
        "FAILED: One step down from a merge revision could go to either branch it "
        "joins: name the revision to go down to (`myapp db downgrade <revision>`; "
        "`myapp db history` lists them)."
    )
    assert error_lines(ambiguous) == [down_through_a_merge]
    assert stamped.split() == ["8c4e2d6a1b57", "(branchpoint)"]


@pytest.mark.parametrize(
    "command",
    [("alembic", "current"), ("alembic", "check"), ("python", "-m", "myapp", "db", "current"),
     ("python", "-m", "myapp", "db", "check"), ("python", "-m", "myapp", "db", "history"),
     ("python", "-m", "myapp", "db", "heads")],
    ids=["alembic current", "alembic check", "db current", "db check", "db history",
         "db heads"],
)  # fmt: skip
def test_commands_that_only_read_create_nothing(project, command):
    """No database yet, the default SQLite file: nothing appears in the data directory."""
    data = project.home / ".local/share"

    result = project.run(*command, check=False)

    assert not data.exists()
    if command[-1] in ("current", "check"):
        assert result.returncode != 0
        assert (result.stdout + result.stderr).strip().splitlines()[-1] == (
            f"FAILED: No database yet: {data}/myapp/main.db does not exist. "
            "Upgrade creates it."
        )
    else:
        assert result.returncode == 0, result.stderr


def test_autogenerate_before_the_first_upgrade_says_what_to_run(project):
    _, env = database(project)

    result = project.run(
        "alembic", "revision", "--autogenerate", "-m", "x", env=env, check=False
    )

    assert result.returncode != 0
    assert result.stdout.strip().splitlines()[-1] == (
        "FAILED: Target database is not up to date: run `alembic upgrade head` (or "
        "`myapp db upgrade`) first, then autogenerate."
    )


def test_check_on_postgres_prints_no_line_per_table(project, postgres, tmp_path):
    database = new_database("postgres", tmp_path, postgres)
    env = project.env(MYAPP_DATABASE_URL=database.url)
    project.run("alembic", "upgrade", "head", env=env)

    outputs = [
        project.run(*command, "check", env=env)
        for command in (("alembic",), ("python", "-m", "myapp", "db"))
    ]

    for output in outputs:
        assert "Detected sequence" not in output.stdout + output.stderr
        assert output.stdout.strip() == "No new upgrade operations detected."

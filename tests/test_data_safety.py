"""The safety net for local data: SQLite backups before migrating, and revisions that
say when they destroy data."""

import os
import shutil
import subprocess

from conftest import INVOICE_MODEL, add_invoice_model
from conftest import sqlite_query as query
from test_safe_migrations import MIGRATE, SEED_HEAD, add_revision, failed_lines

DROP_CREATE_DATE = """
with op.batch_alter_table("account") as batch:
    batch.drop_column("create_date")
"""


def sqlite_database(project):
    path = project.path.parent / "app.db"
    return path, project.env(MYAPP_DATABASE_URL=f"sqlite:///{path}")


def bak_files(path):
    return sorted(p.name for p in path.parent.glob(f"{path.name}.*.bak"))


def test_a_backup_holds_the_data_a_revision_drops(project):
    path, env = sqlite_database(project)
    project.run("alembic", "upgrade", "head", env=env)
    add_revision(project, "drop_date", DROP_CREATE_DATE)

    project.run("alembic", "upgrade", "head", env=env)
    dropped = query(path, "SELECT * FROM pragma_table_info('account')")
    shutil.copy(path.with_name(f"app.db.{SEED_HEAD}.bak"), path)  # the restore

    assert bak_files(path) == [f"app.db.{SEED_HEAD}.bak"]
    assert "create_date" not in str(dropped)
    assert query(path, "SELECT name, create_date FROM account") == [
        ("Ed Williams", "2007-05-27"),
        ("John Smith", "2010-10-05"),
        ("Wendy Jones", "2008-08-15"),
    ]
    assert query(path, "SELECT version_num FROM alembic_version") == [(SEED_HEAD,)]


def test_no_backup_for_a_fresh_database_or_a_start_with_nothing_to_do(project):
    path, env = sqlite_database(project)

    project.run("python", "-c", MIGRATE, env=env)  # fresh: nothing worth keeping
    project.run("python", "-c", MIGRATE, env=env)  # at head: the shortcut
    project.run("alembic", "upgrade", "head", env=env)  # at head: Alembic itself

    assert bak_files(path) == []


def test_the_newest_three_backups_are_kept(project):
    path, env = sqlite_database(project)
    project.run("alembic", "upgrade", "head", env=env)
    down = SEED_HEAD
    for step in range(1, 6):
        add_revision(project, f"step{step}", "pass", down_revision=down)
        down = f"step{step}"

    for _ in range(5):
        project.run("alembic", "upgrade", "+1", env=env)

    assert bak_files(path) == [
        "app.db.step2.bak",
        "app.db.step3.bak",
        "app.db.step4.bak",
    ]


def test_backups_can_be_switched_off(project):
    path, env = sqlite_database(project)
    project.run("alembic", "upgrade", "head", env=env)
    add_revision(project, "drop_date", DROP_CREATE_DATE)

    project.run(
        "alembic", "upgrade", "head", env={**env, "MYAPP_MIGRATION_BACKUP": "0"}
    )

    assert bak_files(path) == []
    assert query(path, "SELECT version_num FROM alembic_version") == [("drop_date",)]


def test_starters_together_make_one_backup(project):
    path, env = sqlite_database(project)
    project.run("alembic", "upgrade", "head", env=env)
    add_revision(project, "slow", "time.sleep(2)")
    python = str(project.venv / "bin/python")

    starters = [
        subprocess.Popen([python, "-c", MIGRATE], cwd=project.path, env=env)
        for _ in range(6)
    ]

    assert [starter.wait(timeout=120) for starter in starters] == [0] * 6
    assert bak_files(path) == [f"app.db.{SEED_HEAD}.bak"]


def without_root_privileges(command):
    """Root writes anywhere: drop the capabilities that let it ignore permissions."""
    if os.geteuid() != 0:
        return command
    drop = "-dac_override,-dac_read_search"
    return ["setpriv", f"--inh-caps={drop}", f"--bounding-set={drop}", *command]


def test_a_failed_backup_stops_the_run_and_changes_nothing(project, tmp_path):
    folder = tmp_path / "readonly"
    folder.mkdir()
    path = folder / "app.db"
    env = project.env(MYAPP_DATABASE_URL=f"sqlite:///{path}")
    project.run("alembic", "upgrade", "3f1a9c2b7d10", env=env)
    before = path.read_bytes()
    folder.chmod(0o555)
    alembic = str(project.venv / "bin/alembic")

    try:
        result = subprocess.run(
            without_root_privileges([alembic, "upgrade", "head"]),
            cwd=project.path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        folder.chmod(0o755)

    assert result.returncode != 0
    (failed,) = failed_lines(result)
    assert failed.startswith(f"FAILED: Could not back up {path} before migrating")
    assert "so nothing was migrated" in failed and "MYAPP_MIGRATION_BACKUP=0" in failed
    assert path.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["app.db"]


def autogenerate(project, env, message):
    result = project.run(
        "alembic", "revision", "--autogenerate", "-m", message, env=env
    )
    slug = message.replace(" ", "_")
    (path,) = (project.path / "myapp/migrations/versions").glob(f"*_{slug}.py")
    return path.read_text(), result.stderr


def test_removing_a_model_gives_a_marked_revision_and_a_warning(project):
    _, env = sqlite_database(project)
    project.run("alembic", "upgrade", "head", env=env)
    models = project.path / "myapp/models.py"
    add_invoice_model(models)
    project.run("alembic", "revision", "--autogenerate", "-m", "add invoice", env=env)
    project.run("alembic", "upgrade", "head", env=env)
    models.write_text(models.read_text().replace(INVOICE_MODEL, ""))

    text, stderr = autogenerate(project, env, "remove invoice")

    upgrade = text.split("def upgrade")[1].split("def downgrade")[0]
    assert "# DESTRUCTIVE: drops table invoice and all its rows\n" in upgrade
    assert upgrade.index("DESTRUCTIVE: drops table invoice") < upgrade.index(
        'op.drop_table("invoice")'
    )
    assert "# DESTRUCTIVE: drops index ix_invoice_note on invoice" in upgrade
    assert "DESTRUCTIVE" not in text.split("def downgrade")[1]
    assert "This revision destroys data: it drops table invoice" in stderr


def test_adding_a_model_is_not_marked(project):
    _, env = sqlite_database(project)
    project.run("alembic", "upgrade", "head", env=env)
    add_invoice_model(project.path / "myapp/models.py")

    text, stderr = autogenerate(project, env, "add invoice")

    assert 'op.create_table(\n        "invoice"' in text
    assert "DESTRUCTIVE" not in text and "destroys data" not in stderr


def test_a_column_rename_is_marked_with_the_real_rename(project):
    _, env = sqlite_database(project)
    project.run("alembic", "upgrade", "head", env=env)
    models = project.path / "myapp/models.py"
    models.write_text(
        models.read_text().replace("    name: Mapped", "    full_name: Mapped")
    )

    text, stderr = autogenerate(project, env, "rename name")

    assert "# DESTRUCTIVE: drops column account.name and its data\n" in text
    assert (
        '# batch_op.alter_column("name", new_column_name="full_name") to keep the data.'
        in text
    )
    assert "drops column account.name and its data (a rename?" in stderr

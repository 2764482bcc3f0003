"""The safety net for local data: SQLite backups before migrating, and revisions that
say when they destroy data."""

import shutil
import subprocess

from conftest import INVOICE_MODEL, add_invoice_model, without_root_privileges
from conftest import sqlite_query as query
from test_safe_migrations import (
    MIGRATE,
    SEED_HEAD,
    add_revision,
    error_lines,
    start_together,
)

DROP_CREATE_DATE = """
with op.batch_alter_table("account") as batch:
    batch.drop_column("create_date")
"""


def sqlite_database(project):
    path = project.path.parent / "app.db"
    return path, project.env(MYAPP_DATABASE_URL=f"sqlite:///{path}")


def backups(path):
    """The revisions the database's backups were taken at, oldest first.

    A backup is named <database>.<revision>.<UTC time>.bak, and the time sorts.
    """
    found = [p.name.split(".") for p in path.parent.glob(f"{path.name}.*.bak")]
    return [revision for *_, revision, _, _ in sorted(found, key=lambda n: n[-2])]


def test_a_backup_holds_the_data_a_revision_drops(project):
    path, env = sqlite_database(project)
    project.run("alembic", "upgrade", "head", env=env)
    add_revision(project, "drop_date", DROP_CREATE_DATE)

    upgrade = project.run("alembic", "upgrade", "head", env=env)
    dropped = query(path, "SELECT * FROM pragma_table_info('account')")
    (backup,) = path.parent.glob("app.db.*.bak")
    shutil.copy(backup, path)  # the restore

    assert backups(path) == [SEED_HEAD]
    assert f"INFO  [myapp.db.run] Migrating sqlite:///{path}\n" in upgrade.stderr
    assert f"INFO  [myapp.db.run] Backed up {path} to {backup}\n" in upgrade.stderr
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

    assert backups(path) == []


# Revision ids whose order by name is the reverse of their order in the history, as
# real hex ids may be: pruning by name would keep the wrong three.
STEPS = ["f5a1", "e4b2", "d3c3", "c2d4", "b1e5"]


def test_the_newest_three_backups_are_kept(project):
    path, env = sqlite_database(project)
    project.run("alembic", "upgrade", "head", env=env)
    down = SEED_HEAD
    for step in STEPS:
        add_revision(project, step, "pass", down_revision=down)
        down = step

    for _ in STEPS:
        project.run("alembic", "upgrade", "+1", env=env)

    assert backups(path) == ["e4b2", "d3c3", "c2d4"]


def test_a_backup_is_never_overwritten(project):
    path, env = sqlite_database(project)
    project.run("alembic", "upgrade", "3f1a9c2b7d10", env=env)

    project.run("alembic", "upgrade", "head", env=env)
    project.run("alembic", "downgrade", "-1", env=env)
    project.run("alembic", "upgrade", "head", env=env)

    assert backups(path) == ["3f1a9c2b7d10", SEED_HEAD, "3f1a9c2b7d10"]


def test_only_a_run_that_backs_up_removes_old_backups(project):
    path, env = sqlite_database(project)
    project.run("alembic", "upgrade", "3f1a9c2b7d10", env=env)
    for hour in range(5):  # five older backups, from an earlier life of the file
        stamp = f"2026010{hour + 1}T000000000000Z"
        shutil.copy(path, path.with_name(f"app.db.0ld{hour}.{stamp}.bak"))

    project.run("alembic", "current", env=env)
    project.run("python", "-m", "myapp", "db", "history", env=env)
    project.run("alembic", "stamp", "3f1a9c2b7d10", env=env)
    kept_by_others = backups(path)
    project.run("alembic", "upgrade", "head", env=env)

    assert kept_by_others == ["0ld0", "0ld1", "0ld2", "0ld3", "0ld4"]
    assert backups(path) == ["0ld3", "0ld4", "3f1a9c2b7d10"]


def test_backups_can_be_switched_off(project):
    path, env = sqlite_database(project)
    project.run("alembic", "upgrade", "head", env=env)
    add_revision(project, "drop_date", DROP_CREATE_DATE)

    project.run(
        "alembic", "upgrade", "head", env={**env, "MYAPP_MIGRATION_BACKUP": "0"}
    )

    assert backups(path) == []
    assert query(path, "SELECT version_num FROM alembic_version") == [("drop_date",)]


def test_starters_together_make_one_backup(project):
    path, env = sqlite_database(project)
    project.run("alembic", "upgrade", "head", env=env)
    add_revision(project, "slow", "time.sleep(2)")

    results = start_together(project, MIGRATE, env)

    assert results == [(0, "")] * 6
    assert backups(path) == [SEED_HEAD]


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
    (failed,) = error_lines(result)
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


def apply_the_invoice_model(project, env):
    """The user adds the Invoice model, autogenerates its revision and applies it."""
    models = project.path / "myapp/models.py"
    project.run("alembic", "upgrade", "head", env=env)
    add_invoice_model(models)
    project.run("alembic", "revision", "--autogenerate", "-m", "add invoice", env=env)
    project.run("alembic", "upgrade", "head", env=env)
    return models


def marked(text):
    """The DESTRUCTIVE comments in a revision's upgrade."""
    upgrade = text.split("def upgrade")[1].split("def downgrade")[0]
    return [line.strip() for line in upgrade.splitlines() if "# DESTRUCTIVE" in line]


def test_removing_a_model_gives_a_marked_revision_and_a_warning(project):
    _, env = sqlite_database(project)
    models = apply_the_invoice_model(project, env)
    models.write_text(models.read_text().replace(INVOICE_MODEL, ""))

    text, stderr = autogenerate(project, env, "remove invoice")

    upgrade = text.split("def upgrade")[1].split("def downgrade")[0]
    # Its index goes too, but that loses no data of its own.
    assert marked(text) == ["# DESTRUCTIVE: drops table invoice and all its rows"]
    assert upgrade.index("DESTRUCTIVE: drops table invoice") < upgrade.index(
        'op.drop_table("invoice")'
    )
    assert "drop_index" in upgrade
    assert "DESTRUCTIVE" not in text.split("def downgrade")[1]
    assert (
        "WARNING [myapp.db.destructive] Destroys data: drops table invoice and all its rows."
        in stderr.splitlines()
    )


def test_adding_a_model_marks_only_the_downgrade_that_drops_it(project):
    """The downgrade's mark stays in the file as a comment, but warnings are for what
    an upgrade destroys: a first revision of 35 new tables printed 35 of them, and a
    real warning drowned."""
    _, env = sqlite_database(project)
    project.run("alembic", "upgrade", "head", env=env)
    add_invoice_model(project.path / "myapp/models.py")

    text, stderr = autogenerate(project, env, "add invoice")

    downgrade = text.split("def downgrade")[1]
    assert 'op.create_table(\n        "invoice"' in text
    assert marked(text) == []
    assert downgrade.index("# DESTRUCTIVE: drops table invoice and all its rows") < (
        downgrade.index('op.drop_table("invoice")')
    )
    assert [line for line in stderr.splitlines() if "WARNING" in line] == []


def test_a_not_null_column_without_a_default_is_marked_with_what_to_write(project):
    """The upgrade would fail on any table with rows: the seed's account has three."""
    _, env = sqlite_database(project)
    project.run("alembic", "upgrade", "head", env=env)
    models = project.path / "myapp/models.py"
    models.write_text(
        models.read_text().replace(
            "    create_date: Mapped[date]\n",
            "    create_date: Mapped[date]\n    email: Mapped[str] = mapped_column(String(200))\n",
        )
    )

    text, stderr = autogenerate(project, env, "add email")
    upgrade = text.split("def upgrade")[1].split("def downgrade")[0]
    failed = project.run("alembic", "upgrade", "head", env=env, check=False)

    assert (
        "# FAILS ON A TABLE WITH ROWS: adds account.email, NOT NULL with no server "
        "default" in upgrade
    )
    assert "server_default=" in upgrade.split("FAILS ON A TABLE WITH ROWS")[1]
    assert (
        "WARNING [myapp.db.destructive] Fails on a table with rows: adds account.email, "
        "NOT NULL with no server default." in stderr.splitlines()
    )
    assert failed.returncode != 0
    assert "NOT NULL" in error_lines(failed)[-1]


def test_only_changes_that_can_lose_values_are_marked(project):
    """Narrowing a string is marked; widening one, or dropping a unique constraint or
    an index, loses nothing and is not."""
    _, env = sqlite_database(project)
    models = apply_the_invoice_model(project, env)
    models.write_text(
        models.read_text()
        .replace("String(20), unique=True)", "String(7))")
        .replace("String(20), index=True)", "String(50))")
    )

    text, stderr = autogenerate(project, env, "change invoice")
    project.run("alembic", "upgrade", "head", env=env)

    assert "drop_constraint" in text and "drop_index" in text
    assert marked(text) == [
        (
            "# DESTRUCTIVE: changes invoice.number from VARCHAR(20) to VARCHAR(7): what "
            "does not fit is lost"
        )
    ]
    assert (  # and back, in the downgrade: a comment, and no warning
        "# DESTRUCTIVE: changes invoice.note from VARCHAR(50) to VARCHAR(20): what "
        "does not fit is lost" in text.split("def downgrade")[1]
    )
    assert [line for line in stderr.splitlines() if "WARNING" in line] == [
        (
            "WARNING [myapp.db.destructive] Destroys data: changes invoice.number from "
            "VARCHAR(20) to VARCHAR(7): what does not fit is lost."
        ),
    ]
    project.run("alembic", "check", env=env)


def test_a_column_rename_is_marked_with_the_real_rename(project):
    _, env = sqlite_database(project)
    project.run("alembic", "upgrade", "head", env=env)
    models = project.path / "myapp/models.py"
    models.write_text(
        models.read_text()
        .replace("    name: Mapped", "    full_name: Mapped")
        .replace("    create_date: Mapped[date]", "    joined: Mapped[str]")
    )

    text, stderr = autogenerate(project, env, "rename name")

    assert sorted(marked(text)) == [
        "# DESTRUCTIVE: drops column account.create_date and its data",
        "# DESTRUCTIVE: drops column account.name and its data",
    ]
    # A string can have been renamed to a string, not a date.
    assert "# If name was renamed to full_name," in text
    assert (
        '# batch_op.alter_column("name", new_column_name="full_name") to keep the data.'
        in text
    )
    assert "If create_date was renamed" not in text
    assert "If name was renamed to joined" in text
    assert "drops column account.name and its data (a rename?" in stderr


def test_a_table_rename_written_from_the_hint_leaves_check_clean(project):
    _, env = sqlite_database(project)
    models = apply_the_invoice_model(project, env)
    models.write_text(models.read_text().replace('"invoice"', '"bill"'))

    text, _ = autogenerate(project, env, "rename invoice")
    (path,) = (project.path / "myapp/migrations/versions").glob("*_rename_invoice.py")
    hint = text.split("# If invoice was renamed to bill")[1].split("op.drop_table")[0]
    # The comment's code, with its own indentation.
    code = [line.strip().removeprefix("#")[1:] for line in hint.splitlines()]
    block = code[code.index('with op.batch_alter_table("bill") as batch_op:') :]
    path.write_text(
        text.split("def upgrade")[0]
        + 'def upgrade() -> None:\n    op.rename_table("invoice", "bill")\n'
        + "".join(f"    {line}\n" for line in block if line)
        + "\n\ndef downgrade() -> None:\n    pass\n"
    )
    project.run("alembic", "upgrade", "head", env=env)

    assert [line.strip() for line in block[1:] if line] == [
        'batch_op.drop_index("ix_invoice_note")',
        'batch_op.create_index("ix_bill_note", ["note"])',
        'batch_op.drop_constraint("uq_invoice_number", type_="unique")',
        'batch_op.create_unique_constraint("uq_bill_number", ["number"])',
    ]
    project.run("alembic", "check", env=env)


METER = """

from decimal import Decimal
from sqlalchemy import BigInteger, Integer, Numeric, SmallInteger


class Meter(Base):
    __tablename__ = "meter"

    id: Mapped[int] = mapped_column(primary_key=True)
    reading: Mapped[int] = mapped_column(BigInteger)
    level: Mapped[int] = mapped_column(SmallInteger)
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    rate: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    fee: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    code: Mapped[int] = mapped_column(Integer)
    serial: Mapped[int] = mapped_column(Integer)
"""


def test_integers_numerics_and_changes_of_kind_are_marked_when_they_can_lose(project):
    _, env = sqlite_database(project)
    project.run("alembic", "upgrade", "head", env=env)
    models = project.path / "myapp/models.py"
    models.write_text(models.read_text() + METER)
    autogenerate(project, env, "add meter")
    project.run("alembic", "upgrade", "head", env=env)
    models.write_text(
        models.read_text()
        .replace("mapped_column(BigInteger)", "mapped_column(Integer)")  # narrower
        .replace("mapped_column(SmallInteger)", "mapped_column(BigInteger)")  # wider
        .replace(  # fewer digits; then more
            "price: Mapped[Decimal] = mapped_column(Numeric(10, 2))",
            "price: Mapped[Decimal] = mapped_column(Numeric(8, 2))",
        )
        .replace(
            "rate: Mapped[Decimal] = mapped_column(Numeric(10, 2))",
            "rate: Mapped[Decimal] = mapped_column(Numeric(12, 4))",
        )
        .replace(  # as many digits, fewer after the point: stored values are rounded
            "fee: Mapped[Decimal] = mapped_column(Numeric(10, 2))",
            "fee: Mapped[Decimal] = mapped_column(Numeric(10, 0))",
        )
        .replace(  # another kind: a string of ten cannot hold every integer's text
            "code: Mapped[int] = mapped_column(Integer)",
            "code: Mapped[str] = mapped_column(String(10))",
        )
        .replace(  # a kind that holds every integer
            "serial: Mapped[int] = mapped_column(Integer)",
            "serial: Mapped[Decimal] = mapped_column(Numeric(20, 0))",
        )
    )

    text, _ = autogenerate(project, env, "change meter")

    assert sorted(marked(text)) == [
        (
            "# DESTRUCTIVE: changes meter.code from INTEGER to VARCHAR(10): what does not "
            "fit is lost"
        ),
        (
            "# DESTRUCTIVE: changes meter.fee from NUMERIC(10, 2) to NUMERIC(10, 0): what "
            "does not fit is lost"
        ),
        (
            "# DESTRUCTIVE: changes meter.price from NUMERIC(10, 2) to NUMERIC(8, 2): what "
            "does not fit is lost"
        ),
        (
            "# DESTRUCTIVE: changes meter.reading from BIGINT to INTEGER: what does not fit "
            "is lost"
        ),
    ]


# Two backups in the same microsecond, on purpose: the clock stands still.
COLLIDE = """
import sqlite3, sys
from datetime import datetime
from pathlib import Path
from myapp.db import DatabaseError, backup

class Frozen(datetime):
    @classmethod
    def now(cls, tz=None):
        return datetime(2026, 1, 1, 12, 0, tzinfo=tz)

backup.datetime = Frozen
path = Path(sys.argv[1])
first = backup.back_up(path, "3f1a9c2b7d10")
with sqlite3.connect(path) as connection:
    connection.execute("INSERT INTO account (name, create_date) VALUES ('Late', '2024-01-01')")
try:
    backup.back_up(path, "3f1a9c2b7d10")
except DatabaseError:
    print("refused")
print(first)
"""


def test_a_backup_that_would_take_an_existing_name_leaves_it_alone(project):
    path, env = sqlite_database(project)
    project.run("alembic", "upgrade", "head", env=env)

    result = project.run("python", "-c", COLLIDE, str(path), env=env)

    refused, first = result.stdout.splitlines()
    assert refused == "refused"
    assert query(first, "SELECT count(*) FROM account") == [(3,)]  # not the 4th row
    assert query(path, "SELECT count(*) FROM account") == [(4,)]
    assert sorted(p.name for p in path.parent.glob("*.partial")) == []

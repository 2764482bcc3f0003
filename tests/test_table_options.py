"""Table options survive what rebuilds a table: a SQLite table created with
`sqlite_autoincrement=True` keeps AUTOINCREMENT, and never hands out an id again, through
a later batch rebuild and through `db squash`; `alembic check` sees a table that lacks it."""

import re

from conftest import new_database
from test_safe_migrations import SEED_HEAD, add_revision, url_env
from test_squash import squash, versions, write_revision

TICKETS = """
op.create_table(
    "ticket",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("title", sa.String(20), nullable=False),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket")),
    sqlite_autoincrement=True,
)
op.execute("INSERT INTO ticket (title) VALUES ('one'), ('two'), ('three')")
op.execute("DELETE FROM ticket WHERE id = 3")
"""
# A change SQLite can only make by rebuilding the table.
LONGER_TITLES = """
with op.batch_alter_table("ticket") as batch_op:
    batch_op.alter_column(
        "title", existing_type=sa.String(20), type_=sa.String(80), existing_nullable=False
    )
"""
TABLE_SQL = "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'ticket'"


def autoincrement(database) -> bool:
    """True when the ticket table's CREATE TABLE, as SQLite keeps it, has AUTOINCREMENT."""
    ((sql,),) = database.query(TABLE_SQL)
    return re.search(r"PRIMARY KEY AUTOINCREMENT", sql) is not None


def next_ticket_id(database) -> int:
    database.execute("INSERT INTO ticket (title) VALUES ('new')")
    return database.query("SELECT max(id) FROM ticket")[0][0]


def test_a_batch_rebuild_on_sqlite_keeps_autoincrement_and_never_reuses_an_id(
    project, tmp_path
):
    """Id 3 was deleted before the rebuild: the next ticket is 4, as without it."""
    database = new_database("sqlite", tmp_path, None)
    add_revision(project, "tickets", TICKETS)
    add_revision(project, "longer", LONGER_TITLES, down_revision="tickets")

    project.run("alembic", "upgrade", "head", env=url_env(project, database.url))

    assert database.query("SELECT title FROM ticket") == [("one",), ("two",)]
    assert database.query("PRAGMA table_info(ticket)")[1][2] == "VARCHAR(80)"
    assert autoincrement(database)
    assert next_ticket_id(database) == 4


def test_a_squashed_history_still_creates_the_table_with_autoincrement(
    project, tmp_path
):
    """The squash reads the scratch database back: the revision it writes creates the
    table with AUTOINCREMENT, and the new history builds it so."""
    write_revision(project.path, "tickets", "Tickets", SEED_HEAD, TICKETS)
    write_revision(project.path, "longer", "Longer titles", "tickets", LONGER_TITLES)

    squash(project, "longer")

    (text,) = versions(project.path).values()
    assert "sqlite_autoincrement=True" in text.decode()
    database = new_database("sqlite", tmp_path, None)
    project.run("alembic", "upgrade", "head", env=url_env(project, database.url))
    assert autoincrement(database)
    assert database.query("SELECT id, title FROM ticket") == [(1, "one"), (2, "two")]


TICKET_MODEL = """

class Ticket(Base):
    __tablename__ = "ticket"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(80))
"""


def test_check_sees_a_table_that_lacks_the_autoincrement_its_model_declares(
    project, tmp_path
):
    """The models say AUTOINCREMENT, the database's table lacks it: `alembic check`
    fails, and the revision autogenerate writes gives it the table, ids and all."""
    database = new_database("sqlite", tmp_path, None)
    env = url_env(project, database.url)
    plain = TICKETS.replace("sqlite_autoincrement=True", "sqlite_autoincrement=False")
    add_revision(project, "tickets", plain)
    add_revision(project, "longer", LONGER_TITLES, down_revision="tickets")
    project.run("alembic", "upgrade", "head", env=env)
    models = project.path / "myapp/models.py"
    models.write_text(models.read_text() + TICKET_MODEL)

    check = project.run("alembic", "check", env=env, check=False)
    project.run("alembic", "revision", "--autogenerate", "-m", "ids", env=env)
    project.run("alembic", "upgrade", "head", env=env)

    assert check.returncode != 0
    assert "('set_sqlite_autoincrement', 'ticket', True)" in check.stdout
    assert autoincrement(database)
    assert database.query("SELECT id, title FROM ticket") == [(1, "one"), (2, "two")]
    project.run("alembic", "check", env=env)  # the table now is what the model says

"""`db drift` and `db adopt`: a database compared with what its own history builds, on
SQLite and on a real PostgreSQL; neither command changes the schema."""

import json

import pytest
from pg_server import SUPERUSER_PASSWORD
from test_safe_migrations import SEED_HEAD, add_revision, url_env

PARCELS = "a1b2c3d4e5f6"
# Parcels, with an enum (a CHECK on SQLite, a type on PostgreSQL) and an index.
PARCEL_TABLE = """
op.create_table(
    "parcel",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("label", sa.String(20), nullable=False),
    sa.Column("status", sa.Enum("packed", "shipped", name="parcel_status",
                                create_constraint=True), nullable=False),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_parcel")),
)
op.create_index(op.f("ix_parcel_label"), "parcel", ["label"])
"""
# What a person does by hand to each database.
BY_HAND = {
    "sqlite": """
        ALTER TABLE parcel ADD COLUMN note VARCHAR(20);
        DROP INDEX ix_parcel_label;
        CREATE TABLE parcel_new (
            id INTEGER NOT NULL, label VARCHAR(20) NOT NULL, status VARCHAR(7) NOT NULL,
            note VARCHAR(20),
            CONSTRAINT pk_parcel PRIMARY KEY (id),
            CONSTRAINT ck_parcel_parcel_status
                CHECK (status IN ('packed', 'shipped', 'lost'))
        );
        INSERT INTO parcel_new SELECT * FROM parcel;
        DROP TABLE parcel;
        ALTER TABLE parcel_new RENAME TO parcel;
    """,
    "postgres": """
        ALTER TABLE parcel ADD COLUMN note VARCHAR(20);
        DROP INDEX ix_parcel_label;
        ALTER TYPE parcel_status ADD VALUE 'lost';
    """,
}
CREATE_ALL = (
    "from myapp.db import get_engine; from myapp.models import Base; "
    "Base.metadata.create_all(get_engine())"
)


def db(project, database, *args: str):
    result = project.run(
        "python", "-m", "myapp", "db", *args, env=url_env(project, database.url),
        check=False,
    )  # fmt: skip
    assert SUPERUSER_PASSWORD not in result.stdout + result.stderr
    return result


def version(database) -> list[tuple]:
    return database.query(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = "
        "'alembic_version'"
        if "postgresql" in database.url
        else "SELECT count(*) FROM sqlite_master WHERE name = 'alembic_version'"
    )


def test_drift_names_each_change_made_by_hand_and_a_clean_database_has_none(
    project, database, request
):
    add_revision(project, PARCELS, PARCEL_TABLE)
    project.run("python", "-m", "myapp", "db", "lock")
    project.run("alembic", "upgrade", "head", env=url_env(project, database.url))

    clean = db(project, database, "drift")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert clean.stdout.startswith("No drift: ")

    database.execute(BY_HAND[request.node.callspec.params["database"]])
    before = database.snapshot()
    drifted = db(project, database, "drift")

    assert drifted.returncode == 1
    lines = drifted.stdout.splitlines()[1:]
    assert len(lines) == 3, drifted.stdout
    assert "  table parcel: column note is extra (VARCHAR(20) NULL)" in lines
    assert "  table parcel: index ix_parcel_label is missing (ON (label))" in lines
    (enum,) = [line for line in lines if "'lost'" in line]
    assert "parcel_status" in enum
    assert database.snapshot() == before  # it changed nothing

    as_json = json.loads(db(project, database, "drift", "--json").stdout)
    assert as_json["revisions"] == [PARCELS]
    assert {(d["what"], d["kind"]) for d in as_json["differences"]} >= {
        ("column note", "extra"),
        ("index ix_parcel_label", "missing"),
    }


def test_a_database_without_a_revision_is_sent_to_adopt(project, database):
    project.run("python", "-c", CREATE_ALL, env=url_env(project, database.url))

    result = db(project, database, "drift")

    assert result.returncode != 0
    assert result.stdout.startswith("FAILED: ")
    assert "no revision in alembic_version: `myapp db adopt`" in result.stdout
    assert len(result.stdout.strip().splitlines()) == 1


def test_a_database_made_by_create_all_is_adopted_at_its_revision(project, database):
    env = url_env(project, database.url)
    project.run("python", "-c", CREATE_ALL, env=env)
    # The history goes on past the models the database was made with.
    add_revision(project, PARCELS, PARCEL_TABLE)
    project.run("python", "-m", "myapp", "db", "lock")

    adopted = db(project, database, "adopt")

    assert adopted.returncode == 0, adopted.stdout + adopted.stderr
    assert f"has the schema of revision {SEED_HEAD} " in adopted.stdout
    # The seed writes rows only: the revision before it has the same schema.
    assert "Revision 3f1a9c2b7d10 (Create the account table) builds the same" in (
        adopted.stdout
    )
    assert database.query("SELECT version_num FROM alembic_version") == [(SEED_HEAD,)]
    assert db(project, database, "adopt").stdout.startswith(
        f"FAILED: {database.url.split(':')[0]}"
    )
    project.run("alembic", "upgrade", "head", env=env)
    assert db(project, database, "drift").returncode == 0


def test_a_database_with_an_extra_column_is_not_adopted(project, database):
    project.run("python", "-c", CREATE_ALL, env=url_env(project, database.url))
    database.execute("ALTER TABLE account ADD COLUMN nickname VARCHAR(20)")
    before = database.snapshot()

    refused = db(project, database, "adopt")

    assert refused.returncode != 0
    first, *differences = refused.stdout.splitlines()
    assert "nothing was stamped" in first
    assert f"The closest is revision {SEED_HEAD} (Seed example accounts)" in first
    assert differences == [
        "  table account: column nickname is extra (VARCHAR(20) NULL)"
    ]
    assert database.snapshot() == before
    assert version(database) == [(0,)]


@pytest.mark.parametrize("action", ["drift", "adopt"])
def test_an_unreachable_server_is_one_line_without_the_password(project, action):
    url = f"postgresql+psycopg://app:{SUPERUSER_PASSWORD}@127.0.0.1:1/app"

    result = project.run(
        "python", "-m", "myapp", "db", action, env=url_env(project, url), check=False
    )

    assert result.returncode != 0
    assert result.stdout.startswith(
        "FAILED: Cannot connect to postgresql+psycopg://app:***@"
    )
    assert len(result.stdout.strip().splitlines()) == 1
    assert SUPERUSER_PASSWORD not in result.stdout + result.stderr

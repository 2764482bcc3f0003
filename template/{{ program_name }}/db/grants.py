"""What the program's role may do, when migrations run as another role (the one that owns
the schema): read and write the rows of every table, use the sequences, read the
schema's revision and its history. No DDL, no ownership."""

from sqlalchemy import URL, Connection, MetaData, text

from .errors import DatabaseError
from .names import DATABASE_URL_ENV
from .tables import HISTORY_TABLE
from .url import get_url

# Each GRANT the program's role still lacks, on what the migrating role owns in the
# schemas it migrated; none when nothing is missing, so a run with nothing to do
# changes nothing.
_MISSING = text(
    """
    WITH grantee AS (
        SELECT CAST(:user AS text) AS name
    ), schemas AS (
        SELECT oid, nspname, nspowner FROM pg_namespace
        WHERE nspname = ANY(CAST(:schemas AS text[])) OR nspname = current_schema()
    ), owned AS (
        SELECT c.oid, c.relkind, s.nspname = CAST(:version_schema AS text)
            AND c.relname = ANY(CAST(:machinery AS text[])) AS is_version_table
        FROM pg_class AS c JOIN schemas AS s ON s.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
          AND pg_has_role(c.relowner, 'USAGE')
    )
    SELECT format('GRANT USAGE ON SCHEMA %I TO %I', nspname, name)
    FROM schemas, grantee
    WHERE pg_has_role(nspowner, 'USAGE') AND NOT has_schema_privilege(name, oid, 'USAGE')
    UNION ALL
    SELECT format('GRANT USAGE, SELECT ON SEQUENCE %s TO %I', oid::regclass, name)
    FROM owned, grantee
    WHERE relkind = 'S' AND NOT (
        has_sequence_privilege(name, oid, 'USAGE')
        AND has_sequence_privilege(name, oid, 'SELECT'))
    UNION ALL
    SELECT format('GRANT SELECT ON %s TO %I', oid::regclass, name)
    FROM owned, grantee
    WHERE relkind <> 'S' AND is_version_table
      AND NOT has_table_privilege(name, oid, 'SELECT')
    UNION ALL
    SELECT format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO %I', oid::regclass, name)
    FROM owned, grantee
    WHERE relkind <> 'S' AND NOT is_version_table
      AND NOT (
        has_table_privilege(name, oid, 'SELECT')
        AND has_table_privilege(name, oid, 'INSERT')
        AND has_table_privilege(name, oid, 'UPDATE')
        AND has_table_privilege(name, oid, 'DELETE'))
    """
)


def program_user(migration_url: URL) -> str | None:
    """The program's user, when migrations run on PostgreSQL as another user."""
    if migration_url.get_backend_name() != "postgresql":
        return None
    program = get_url(create=False)
    if program.get_backend_name() != "postgresql" or not program.username:
        return None
    return None if program.username == migration_url.username else program.username


def grant_program_user(
    connection: Connection, user: str, metadata: MetaData, version_table: str
) -> None:
    """Grant `user` what the program needs on the schemas `metadata` names, and only
    read access to the revision table. Run inside the migration's transaction: new
    tables are covered the moment they exist."""
    exists = connection.execute(
        text("SELECT 1 FROM pg_roles WHERE rolname = :user"), {"user": user}
    ).first()
    if exists is None:
        raise DatabaseError(
            f"{DATABASE_URL_ENV} names the user {user!r}, who does not exist on the "
            "server, so migrations cannot grant it the program's privileges: create "
            "the role first (see the README's Production on PostgreSQL)."
        )
    schemas = sorted({t.schema for t in metadata.tables.values() if t.schema})
    current = connection.exec_driver_sql("SELECT current_schema()").scalar()
    missing = connection.execute(
        _MISSING,
        {
            "schemas": schemas,
            "user": user,
            "version_schema": current,
            # alembic_history, beside it, is read the same way: by a start.
            "machinery": [version_table, HISTORY_TABLE],
        },
    ).scalars()
    for grant in list(missing):
        connection.exec_driver_sql(grant)

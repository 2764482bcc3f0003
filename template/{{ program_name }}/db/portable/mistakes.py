"""Models that autogenerate writes without a word and PostgreSQL refuses at upgrade."""

import logging

import sqlalchemy as sa
from alembic.operations import ops

from .walk import upgrade_and_downgrade, walk

log = logging.getLogger(__name__)


def warn(script: ops.MigrationScript, metadata: sa.MetaData) -> list[str]:
    """Log a WARNING for each mistake in the tables this revision creates or changes;
    return the warnings."""
    upgrade, _ = upgrade_and_downgrade(script)
    # walk() reaches the create_table ops and every op inside a table's batch block.
    touched = {getattr(op, "table_name", None) for op in walk(upgrade)}
    found = []
    for table in metadata.tables.values():
        if table.name not in touched:
            continue
        for index in table.indexes:
            if not index.expressions:
                found.append(
                    f"index {index.name} on {table.name} has no columns, which "
                    f'PostgreSQL refuses: Index("{index.name}", "a_column")'
                )
        for constraint in table.foreign_key_constraints:
            found += _not_unique_target(constraint)
    for warning in sorted(found):
        log.warning("Model mistake: %s.", warning)
    return sorted(found)


def _not_unique_target(constraint: sa.ForeignKeyConstraint) -> list[str]:
    try:
        referred = [element.column for element in constraint.elements]
    except sa.exc.SQLAlchemyError:
        return []  # a missing table: SQLAlchemy says so itself
    table = referred[0].table
    names = {column.name for column in referred}
    unique_sets = [{c.name for c in table.primary_key.columns}]
    for item in [*table.constraints, *table.indexes]:
        if isinstance(item, sa.UniqueConstraint) or (
            isinstance(item, sa.Index) and item.unique
        ):
            unique_sets.append({c.name for c in item.columns})
    if names in unique_sets:
        return []
    columns = ", ".join(f"{table.name}.{name}" for name in sorted(names))
    return [
        (
            f"the foreign key {constraint.name} refers to {columns}, which is not "
            "unique and PostgreSQL refuses: refer to a primary key, or make it unique"
        )
    ]

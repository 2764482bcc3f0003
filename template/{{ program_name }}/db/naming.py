"""Constraint names that are the same on every database and fit PostgreSQL's limit."""

import hashlib
from collections.abc import Callable

import sqlalchemy as sa

# PostgreSQL cuts identifiers at 63 bytes.
MAX_NAME_LENGTH = 63

# What MetaData's naming_convention maps each key to: a pattern, or a token's function.
Convention = dict[str, str | Callable[[sa.Constraint, sa.Table], str]]


class _ShortName(str):
    """A naming-convention pattern whose names never pass MAX_NAME_LENGTH.

    SQLAlchemy shortens a long name itself, but only on PostgreSQL: the same constraint
    would then have two names, and a revision made on one database could not find it on
    the other. This shortens it the same way everywhere.
    """

    def __mod__(self, values: object) -> str:
        name = super().__mod__(values)
        if len(name) <= MAX_NAME_LENGTH:
            return name
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        return f"{name[: MAX_NAME_LENGTH - len(digest) - 1]}_{digest}"


def _constraint_name(constraint: sa.Constraint, table: sa.Table) -> str:
    """The %(constraint_name)s token: the name the model gave, or else the first
    column's name.

    The CHECK constraints that Boolean(create_constraint=True) and
    Enum(native_enum=False, create_constraint=True) make have no name to give, and
    SQLAlchemy's own token refuses them, naming no table.
    """
    if isinstance(constraint.name, str) and constraint.name:
        return constraint.name
    columns = list(getattr(constraint, "columns", ()))
    if not columns:
        raise sa.exc.ArgumentError(
            f"A constraint on table {table.name} needs a name: pass name=... to it."
        )
    return str(columns[0].name)


def naming_convention(**patterns: str) -> Convention:
    """Return MetaData's naming_convention for `patterns`, with names cut to fit
    PostgreSQL deterministically: a long name keeps its start and ends in a hash of
    the whole. %(constraint_name)s falls back to the first column's name."""
    convention: Convention = {
        key: _ShortName(pattern) for key, pattern in patterns.items()
    }
    convention["constraint_name"] = _constraint_name
    return convention

"""Constraint names that are the same on every database and fit PostgreSQL's limit."""

import hashlib

# PostgreSQL cuts identifiers at 63 bytes.
MAX_NAME_LENGTH = 63


class _ShortName(str):
    """A naming-convention pattern whose names never pass MAX_NAME_LENGTH.

    SQLAlchemy shortens a long name itself, but only on PostgreSQL: the same constraint
    would then have two names, and a revision made on one database could not find it on
    the other. This shortens it the same way everywhere.
    """

    def __mod__(self, values) -> str:
        name = super().__mod__(values)
        if len(name) <= MAX_NAME_LENGTH:
            return name
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        return f"{name[: MAX_NAME_LENGTH - len(digest) - 1]}_{digest}"


def naming_convention(**patterns: str) -> dict[str, str]:
    """Return MetaData's naming_convention for `patterns`, with names cut to fit
    PostgreSQL deterministically: a long name keeps its start and ends in a hash of
    the whole."""
    return {key: _ShortName(pattern) for key, pattern in patterns.items()}

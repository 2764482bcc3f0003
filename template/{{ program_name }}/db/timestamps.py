"""DateTime(timezone=True) on SQLite: aware, like PostgreSQL's timestamptz.

SQLite has no type for a moment in time. SQLAlchemy stores the wall-clock digits and
drops the offset, so 10:00+02:00 reads back as a naive 10:00: a different moment, and
one that raises when compared with datetime.now(UTC). Through the template's
engines such a column stores UTC and reads back aware, equal to what was written.
"""

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect

# datetime.UTC, which Python 3.10 lacks.
UTC = timezone(timedelta(0))


class _AwareDateTime(sqlite.DATETIME):
    """SQLite's DATETIME that keeps timezone=True's promise."""

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        process = super().bind_processor(dialect)
        if not self.timezone:
            return process

        def bind(value: Any) -> Any:
            if isinstance(value, datetime) and value.tzinfo is not None:
                value = value.astimezone(UTC).replace(tzinfo=None)
            return process(value) if process else value

        return bind

    def result_processor(
        self, dialect: Dialect, coltype: object
    ) -> Callable[[Any], Any] | None:
        process = super().result_processor(dialect, coltype)
        if not self.timezone:
            return process

        def result(value: Any) -> Any:
            value = process(value) if process else value
            if isinstance(value, datetime) and value.tzinfo is None:
                value = value.replace(tzinfo=UTC)  # stored as UTC, as bind() wrote it
            return value

        return result


def aware_on_sqlite(dialect: Dialect) -> None:
    """Make DateTime(timezone=True) columns aware on this SQLite dialect instance."""
    if dialect.name == "sqlite":
        dialect.colspecs = {**dialect.colspecs, sa.DateTime: _AwareDateTime}

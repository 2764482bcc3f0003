"""The one exception the database code raises, and how its messages stay one line."""

import re

from sqlalchemy.exc import DBAPIError

# How much of a failed statement a message shows.
STATEMENT_LENGTH = 160
# PostgreSQL's SQLSTATE for a privilege the role lacks.
INSUFFICIENT_PRIVILEGE = "42501"
_PASSWORD = re.compile(r"(\bPASSWORD\s+)'(?:[^']|'')*'", re.IGNORECASE)


class DatabaseError(RuntimeError):
    """A database problem, explained in one line that never contains a password."""

    __module__ = __package__  # its public home, db, as tracebacks name it


class MigrationRefused(DatabaseError):
    """A revision's own operation refused to go on, as the database refuses a
    statement: the migration's transaction rolls back, and the run says so."""


def one_line(error: Exception) -> str:
    """The gist of `error` on one line, with its class when the message is not enough.

    SQLAlchemy's own message for a database error starts with the driver's error class;
    others (NoSuchTableError: "topics") are bare names without theirs.
    """
    first_line = " ".join(str(error).split("\n", 1)[0].split())
    if isinstance(error, DBAPIError):
        return first_line
    return f"{type(error).__name__}: {first_line}"


def sqlstate(error: Exception) -> str | None:
    """PostgreSQL's SQLSTATE for `error`, from either driver; None for any other."""
    orig = error.orig if isinstance(error, DBAPIError) else None
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


def with_statement(error: Exception) -> str:
    """one_line(error), then PostgreSQL's DETAIL, which often names the object in the
    way, and the statement that failed, shortened. Bound values are never shown: the
    statement holds only their placeholders."""
    line = one_line(error)
    if not isinstance(error, DBAPIError):
        return line
    detail = getattr(getattr(error.orig, "diag", None), "message_detail", None)
    if detail:
        line += f" ({' '.join(detail.split())})"
    if error.statement:
        statement = _PASSWORD.sub(r"\1'***'", " ".join(error.statement.split()))
        if len(statement) > STATEMENT_LENGTH:
            statement = statement[: STATEMENT_LENGTH - 3] + "..."
        line += f", in: {statement}"
    return line


def size(count: int) -> str:
    """A number of bytes as a person reads it: 1.9 MB."""
    if count < 1000:
        return f"{count} bytes"
    amount = count / 1000
    for unit in ("kB", "MB"):
        if amount < 1000:
            return f"{amount:.1f} {unit}"
        amount /= 1000
    return f"{amount:.1f} GB"

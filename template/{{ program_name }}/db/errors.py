"""The one exception the database code raises, and how its messages stay one line."""

from sqlalchemy.exc import DBAPIError


class DatabaseError(RuntimeError):
    """A database problem, explained in one line that never contains a password."""

    __module__ = __package__  # its public home, db, as tracebacks name it


def one_line(error: Exception) -> str:
    """The gist of `error` on one line, with its class when the message is not enough.

    SQLAlchemy's own message for a database error starts with the driver's error class;
    others (NoSuchTableError: "topics") are bare names without theirs.
    """
    first_line = " ".join(str(error).split("\n", 1)[0].split())
    if isinstance(error, DBAPIError):
        return first_line
    return f"{type(error).__name__}: {first_line}"

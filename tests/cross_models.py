"""The constructs that broke "develop on SQLite, deploy on PostgreSQL", for the template's
tests only.

tests/test_both_databases.py appends it to a rendered project's models.py, as a user
adds their own models: TypeDecorators whose impl takes types or that have their own
constructor, a server default compiled per database, unnamed CHECK constraints that
types make, a foreign-key cycle closed by use_alter, expression indexes (one DESC), a
primary key that is also unique, a named CHECK whose rule changes, an enum used in a
partial index's predicate, and timezone-aware timestamps. The revision made on SQLite
adds a CHECK and a predicate that compare a boolean with TRUE (SQLite's own SQL says 1).
"""

import enum
from datetime import datetime
from typing import Any

from myapp.models import Base
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    String,
    Text,
    TypeDecorator,
    func,
    or_,  # noqa: F401 - the change made on SQLite uses it
    true,  # noqa: F401 - the change made on SQLite uses it
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.functions import FunctionElement


class Document(TypeDecorator):
    """JSONB on PostgreSQL, JSON elsewhere: an impl that takes a type as argument."""

    impl = postgresql.JSONB(astext_type=Text()).with_variant(JSON(), "sqlite")
    cache_ok = True


class Tagged(TypeDecorator):
    """A string stored with a prefix: a decorator with a constructor of its own."""

    impl = String
    cache_ok = True

    def __init__(self, prefix: str, length: int = 40) -> None:
        super().__init__(length=length)
        self.prefix = prefix

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return None if value is None else f"{self.prefix}{value}"


class new_token(FunctionElement):
    """A random token, in each database's own SQL."""

    type = String()
    inherit_cache = True


@compiles(new_token, "postgresql")
def _token_on_postgresql(element: Any, compiler: Any, **kw: Any) -> str:
    return "md5(random()::text)"


@compiles(new_token, "sqlite")
def _token_on_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return "(lower(hex(randomblob(16))))"


class Level(enum.Enum):
    low = "low"
    high = "high"


class Team(Base):
    __tablename__ = "team"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    captain_id: Mapped[int | None] = mapped_column(
        ForeignKey("player.id", use_alter=True, ondelete="SET NULL")
    )
    token: Mapped[str] = mapped_column(String(40), server_default=new_token())
    doc: Mapped[Any | None] = mapped_column(Document)
    tag: Mapped[str | None] = mapped_column(Tagged("t-", length=30))
    active: Mapped[bool] = mapped_column(
        Boolean(create_constraint=True), server_default="1"
    )
    size: Mapped[str] = mapped_column(
        Enum("s", "m", "l", native_enum=False, create_constraint=True),
        server_default="m",
    )
    level: Mapped[Level] = mapped_column(
        Enum(Level, name="team_level"), server_default="low"
    )
    seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    score: Mapped[int] = mapped_column(server_default="0")
    __table_args__ = (
        Index("ix_team_lower_code", func.lower(code)),
        Index(
            "ix_team_busy",
            level,
            postgresql_where=level == Level.high,
            sqlite_where=level == Level.high,
        ),
        CheckConstraint("score >= 0", name="score_rule"),
    )


class Player(Base):
    __tablename__ = "player"

    id: Mapped[int] = mapped_column(primary_key=True, unique=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"))
    first: Mapped[str | None] = mapped_column(String(30), index=True)
    last: Mapped[str | None] = mapped_column(String(30))
    __table_args__ = (Index("ix_player_name", func.coalesce(first, last).desc()),)

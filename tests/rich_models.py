"""A schema of the richness real applications have, for the template's tests only.

tests/test_real_schema.py appends it to a rendered project's models.py, as a user adds
their own models: composite unique constraints sharing a first column, a custom type, an
enum, JSON, portable server defaults, CASCADE and SET NULL foreign keys, an association
table, self-references, a composite primary key and names longer than PostgreSQL allows.
"""

import enum
import secrets
from datetime import datetime
from decimal import Decimal
from typing import Any

from myapp.models import Base
from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Numeric,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    func,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column


class HexId(TypeDecorator):
    """A random public identifier, stored as lowercase hex."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return value.lower() if value is not None else None


class Role(enum.Enum):
    owner = "owner"
    member = "member"
    guest = "guest"


class Organization(Base):
    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    slug: Mapped[str] = mapped_column(String(50))
    active: Mapped[bool] = mapped_column(server_default=true())
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    settings: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Member(Base):
    __tablename__ = "member"
    __table_args__ = (
        UniqueConstraint("organization_id", "email"),
        UniqueConstraint("organization_id", "public_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE")
    )
    email: Mapped[str] = mapped_column(String(200))
    public_id: Mapped[str] = mapped_column(HexId, default=lambda: secrets.token_hex(16))
    role: Mapped[Role] = mapped_column(Enum(Role, name="member_role"))
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("member.id", ondelete="SET NULL")
    )


class Project(Base):
    __tablename__ = "project"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(
        Enum("draft", "active", "closed", name="project_status"),
        server_default="draft",
    )


project_tag = Table(
    "project_tag",
    Base.metadata,
    Column(
        "project_id", ForeignKey("project.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("tag_id", ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True),
)


class Tag(Base):
    __tablename__ = "tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)


class Task(Base):
    __tablename__ = "task"
    __table_args__ = (
        CheckConstraint("priority BETWEEN 0 AND 5", name="priority_range"),
        Index(None, "project_id", "done"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE")
    )
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("task.id", ondelete="CASCADE")
    )
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("member.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime | None]
    priority: Mapped[int] = mapped_column(server_default="0")
    done: Mapped[bool] = mapped_column(server_default=false())


class Comment(Base):
    __tablename__ = "comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("member.id", ondelete="SET NULL")
    )
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Invoice(Base):
    __tablename__ = "invoice"
    __table_args__ = (UniqueConstraint("organization_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE")
    )
    number: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3), server_default="EUR")
    total: Mapped[Decimal] = mapped_column(Numeric(12, 2))


class InvoiceLine(Base):
    __tablename__ = "invoice_line"
    __table_args__ = (
        ForeignKeyConstraint(["invoice_id"], ["invoice.id"], ondelete="CASCADE"),
    )

    invoice_id: Mapped[int] = mapped_column(primary_key=True)
    line_no: Mapped[int] = mapped_column(primary_key=True)
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(50))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class NotificationPreference(Base):
    # Long names: constraint names past PostgreSQL's 63 characters.
    __tablename__ = "organization_member_notification_preference"
    __table_args__ = (
        UniqueConstraint(
            "organization_id", "notification_channel_identifier", "member_id"
        ),
        UniqueConstraint(
            "organization_id", "notification_channel_identifier", "delivery_schedule"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE")
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    notification_channel_identifier: Mapped[str] = mapped_column(String(100))
    delivery_schedule: Mapped[str] = mapped_column(String(50), server_default="daily")

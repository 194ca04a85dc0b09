"""Migrations of running cases to another version of their process, and each case's result (docs/modeling.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.persistence.base import Base, Code, Timestamp


class Migration(Base):
    """A migration plan that was run (or is running): which versions, which mapping, how far it got."""

    __tablename__ = "migrations"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    process_id: Mapped[Code] = mapped_column(index=True)
    from_version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"))
    to_version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"))
    # The explicit part of the plan (old element id -> new element id); ids not named map to themselves.
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON(), default=dict)
    status: Mapped[str] = mapped_column(String(20))  # queued | running | done
    total: Mapped[int] = mapped_column(Integer, default=0)
    migrated: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[Timestamp]
    finished_at: Mapped[datetime | None]


class MigrationCase(Base):
    """One case of a migration: pending until its own transaction moved it (or failed, with the reason)."""

    __tablename__ = "migration_cases"

    migration_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                              ForeignKey("migrations.id", ondelete="CASCADE"), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), primary_key=True,
                                             index=True)
    status: Mapped[str] = mapped_column(String(20))  # pending | migrated | failed
    message: Mapped[str | None] = mapped_column(Text)  # why it failed (English; msgid and params in ``detail``)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON())
    finished_at: Mapped[datetime | None]

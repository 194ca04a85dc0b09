"""Cases archived by retention (engine/retention, docs/operations.md "Retention"): what stays of a case whose
working data was removed — where its archive is and where its hash chains ended, so ``procflow audit verify``
still accounts for every anchored head."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.persistence.base import Base, Timestamp


class ArchivedCase(Base):
    """A finished case moved to an archive file."""

    __tablename__ = "archived_cases"

    # No foreign key: the case's row is gone; the id stays for the anchors and the documents that named it.
    instance_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    process_id: Mapped[str] = mapped_column(String(200))
    business_key: Mapped[str | None] = mapped_column(String(200))
    ended_at: Mapped[datetime | None]
    archived_at: Mapped[Timestamp]
    archive: Mapped[str] = mapped_column(String(300))  # the archive file's name
    history_count: Mapped[int] = mapped_column(Integer)
    history_head: Mapped[str] = mapped_column(String(64))
    access_count: Mapped[int] = mapped_column(Integer)
    access_head: Mapped[str] = mapped_column(String(64))

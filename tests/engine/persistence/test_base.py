"""table_of: the one typed way from a mapped class to its Core table."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, Table, join
from sqlalchemy.orm import DeclarativeBase

from engine.persistence.base import table_of
from engine.persistence.models import HistoryEvent, Instance


def test_table_of_gives_the_mapped_table() -> None:
    table = table_of(Instance)
    assert isinstance(table, Table)
    assert table.name == "instances"
    assert table_of(HistoryEvent).c.instance_id.references(table.c.id)


def test_table_of_refuses_a_class_mapped_onto_a_join() -> None:
    class Other(DeclarativeBase):  # its own registry, so procflow's metadata stays as it is
        metadata = MetaData()

    a = Table("a", Other.metadata, Column("id", Integer, primary_key=True))
    b = Table("b", Other.metadata, Column("a_id", Integer, ForeignKey("a.id"), primary_key=True))

    class Joined(Other):
        __table__ = join(a, b)

    with pytest.raises(TypeError, match="Joined"):
        table_of(Joined)  # type: ignore[arg-type]

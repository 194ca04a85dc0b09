"""The BPMN file of a procedure's newest version, for the bottleneck heatmap.

The catalogue only hands out a *case's* diagram (``ProcessCatalogue.diagram``); a procedure's own belongs beside it
there, and moves there when the catalogue gains it. Until then this one read-only query stands in.
"""

from __future__ import annotations

from sqlalchemy import select

from engine.errors import NotFound
from engine.persistence.models import DeployedFile, ProcessVersion
from web.extensions import services


def process_xml(process_id: str) -> str:
    """The BPMN XML of the newest deployed version of ``process_id``; raises NotFound if none is deployed."""
    with services().db.read() as session:
        xml = session.scalars(select(DeployedFile.content)
                              .join(ProcessVersion, ProcessVersion.file_id == DeployedFile.id)
                              .where(ProcessVersion.process_id == process_id)
                              .order_by(ProcessVersion.version.desc()).limit(1)).first()
    if xml is None:
        raise NotFound(f"no deployed process '{process_id}'")
    return xml

"""Documents: one document's page (record, files shown with pdf.js, signatures, handling cases and steps,
directions and comments), its files and printable PDFs, and the incoming and outgoing registers."""

from web.documents.views import bp

__all__ = ["bp"]

"""SQLAlchemy 2 models, the database handle and its sessions."""

"""Alembic revisions of the Footprint schema (see data_access/migrate.py)."""

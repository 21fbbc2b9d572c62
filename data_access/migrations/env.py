"""Alembic environment: run the revisions on the connection given by data_access.migrate.

Standalone use (``alembic -c …``) is not supported; use ``python -m data_access upgrade``.
"""

from __future__ import annotations

from alembic import context

import data_access.migrate  # noqa: F401  (registers the DuckDB implementation)
from data_access.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `python -m data_access upgrade --url URL`")
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()

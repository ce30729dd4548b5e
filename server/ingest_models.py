"""Tables for drop-folder ingest: one row per file seen, so the same file twice makes one revision."""
from __future__ import annotations

from server.models import Base  # noqa: F401  (tables below register on Base.metadata)

"""Tables for public commitments (公开承诺) and their progress updates (践诺)."""
from __future__ import annotations

from server.models import Base  # noqa: F401  (tables below register on Base.metadata)

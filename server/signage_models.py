"""Tables for signage: playlist rules per screen group, alerts, group settings (the signage issue)."""
from __future__ import annotations

from server.models import Base  # noqa: F401  (tables below register on Base.metadata)

"""Every table the server has, registered on Base.metadata (for Alembic and schema checks)."""
from server import (commitment_models, device_models, feedback_models,  # noqa: F401
                    ingest_models, signage_models)
from server.models import Base

metadata = Base.metadata

"""Every table the server has, registered on Base.metadata (for Alembic and schema checks)."""
from server.boards import models as _boards  # noqa: F401
from server.bureau import models as _bureau  # noqa: F401
from server.commitments import models as _commitments  # noqa: F401
from server.hearing import models as _hearing  # noqa: F401
from server.ingest import models as _ingest  # noqa: F401
from server.models import Base
from server.oversight import models as _oversight  # noqa: F401
from server.screens import models as _screens  # noqa: F401

metadata = Base.metadata

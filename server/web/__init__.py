"""Web basics every page shares: static files named by their content's hash and cached for a year
(`assets.py`), the favicon and robots.txt (`assets.py`), and gzip for text responses (`compress.py`)."""
from __future__ import annotations


def init_app(app) -> None:
    from server.web import assets, compress
    assets.init_app(app)
    compress.init_app(app)

"""What slide widgets need from the app: the manifest, the screen's feedback URL, media files."""
from __future__ import annotations

import os

from screen import present
from screen.pdfpages import pdf_pages

__all__ = ["SlideContext"]


class SlideContext:
    """Media files come from the sync client's verified cache; PDF pages are rendered once into
    <data>/pages/ (screen.pdfpages) and reused."""

    def __init__(self, sync, server_url: str = ""):
        self.sync, self.server_url = sync, server_url
        self.manifest: dict = {}
        self.feedback_url = server_url

    def set_manifest(self, manifest: dict) -> None:
        self.manifest = manifest
        device = manifest.get("device") if isinstance(manifest.get("device"), dict) else {}
        code = present.text(device.get("screen_code"), 40)
        base = present.text(device.get("feedback_base"), 500)
        self.feedback_url = (base if "/f/" in base else
                             f"{self.server_url.rstrip('/')}/f/{code}" if code else self.server_url)

    def _cached(self, sha) -> str | None:
        try:
            path = self.sync.media_path(sha)
        except (ValueError, TypeError):
            return None
        return path if os.path.isfile(path) else None

    def _pages(self, sha) -> list[str]:
        path = self._cached(sha)
        if path is None:
            return []
        return pdf_pages(path, os.path.join(self.sync.data_dir, "pages"), sha)[0]

    def pdf_page_count(self, sha) -> int:
        return len(self._pages(sha))

    def media_file(self, slide, item) -> str | None:
        """The image file a slide shows: a cached image, or the rendered page of a cached PDF."""
        if slide.media is None:
            return None
        if slide.page is None:
            return self._cached(slide.media)
        pages = self._pages(slide.media)
        return pages[slide.page] if slide.page < len(pages) else None

"""PDF attachments as page images (pypdfium2), rendered once into <data>/pages/ and reused."""
from __future__ import annotations

import os

__all__ = ["MAX_PAGES", "pdf_pages"]

MAX_PAGES = 20
WIDTH = 1000  # pixels; the server already pre-scales images, PDFs arrive as they were uploaded


def pdf_pages(pdf_path: str, out_dir: str, sha: str, max_pages: int = MAX_PAGES) -> tuple[list[str], int]:
    """PNG paths of the first pages and the page count; ([], 0) for a missing or broken PDF."""
    try:
        import pypdfium2 as pdfium
        doc = pdfium.PdfDocument(pdf_path)
    except Exception:  # missing file, not a PDF, encrypted...: the page shows a placeholder
        return [], 0
    try:
        os.makedirs(out_dir, exist_ok=True)
        total, paths = len(doc), []
        for n in range(min(total, max_pages)):
            out = os.path.join(out_dir, f"{sha}-{n}.png")
            if not os.path.isfile(out):
                page = doc[n]
                image = page.render(scale=WIDTH / max(1.0, page.get_width())).to_pil()
                tmp = out + ".part"
                image.save(tmp, "PNG")
                os.replace(tmp, out)
            paths.append(out)
        return paths, total
    except Exception:
        return [], 0
    finally:
        doc.close()

"""Uploaded files: CSV tables (read by csvread) and images (verified, re-encoded without metadata)."""
from __future__ import annotations

import hashlib
import io
import math
import os
import warnings

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

from server.disclosure.csvread import MAX_CELL, MAX_COLUMNS, read_table, table_error as _csv_error
from server.i18n import msg
from server.validation import ServiceError

IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/png"}


def parse_csv(data: bytes, max_rows: int) -> dict:
    """{"columns": [...], "rows": [[...], ...]} from a CSV or tab-separated export (see csvread)."""
    return read_table(data, max_rows).table


def table_from_json(table, max_rows: int) -> dict:
    """A table sent as JSON {"columns", "rows"}, held to the same limits as a CSV upload (rows,
    columns, cell length); cells are text or numbers."""
    if not isinstance(table, dict) or not isinstance(table.get("columns"), list) \
            or not isinstance(table.get("rows"), list):
        raise _csv_error(msg("csv.api_shape"))
    columns, rows = table["columns"], table["rows"]
    if not 0 < len(columns) <= MAX_COLUMNS or not all(_cell(c) and str(c).strip() for c in columns):
        raise _csv_error(msg("csv.api_columns", max=MAX_COLUMNS))
    if len(rows) > max_rows:
        raise _csv_error(msg("csv.too_many_rows", max=max_rows))
    if any(not isinstance(r, list) or len(r) != len(columns) for r in rows):
        raise _csv_error(msg("csv.api_ragged"))
    if not all(_cell(c) for r in rows for c in r):
        raise _csv_error(msg("csv.api_cell", max=MAX_CELL))
    return {"columns": [str(c).strip() for c in columns], "rows": [[str(c).strip() for c in r] for r in rows]}


def _cell(value) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool) and len(str(value)) <= MAX_CELL


def _image_error(detail: tuple[str, dict]) -> ServiceError:
    return ServiceError(422, "invalid", {"image": ("bad_image", {"detail": detail})})


def store_image(data: bytes, media_dir: str, max_pixels: int, max_side: int | None = None) -> dict:
    """Verify, orient and re-encode an image (scaled down to `max_side` pixels if given); store it
    under its SHA-256; describe it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            if probe.width * probe.height > max_pixels:
                raise _image_error(msg("image.bomb"))
            fmt = probe.format
            probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
    except ServiceError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _image_error(msg("image.unknown")) from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise _image_error(msg("image.broken", error=type(exc).__name__)) from None
    if fmt not in IMAGE_FORMATS:
        raise _image_error(msg("image.format"))
    image = ImageOps.exif_transpose(image)
    if max_side and max(image.size) > max_side:
        image.thumbnail((max_side, max_side))
    mime = IMAGE_FORMATS[fmt]
    clean = encode(image, mime, quality=90)
    sha = hashlib.sha256(clean).hexdigest()
    write_media(media_dir, sha, clean)
    return {"sha256": sha, "mime": mime, "width": image.width, "height": image.height,
            "size": len(clean)}


def encode(image: Image.Image, mime: str, quality: int) -> bytes:
    """Re-encode in the stored type; nothing of the original file's metadata is carried over."""
    out = io.BytesIO()
    if mime == "image/jpeg":
        image.convert("RGB").save(out, "JPEG", quality=quality)
    elif mime == "image/webp":
        image.save(out, "WEBP", quality=quality)
    else:
        image.save(out, "PNG", optimize=True)
    return out.getvalue()


def write_media(media_dir: str, sha: str, data: bytes) -> str:
    """Write once, atomically; the name is the content's hash."""
    os.makedirs(media_dir, exist_ok=True)
    path = os.path.join(media_dir, sha)
    if not os.path.exists(path):
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    return path


MAX_PDF_PAGES = 60
PDF_PAGE_WIDTH = 1600


def _render_scale(page, number: int, max_pixels: int) -> float:
    """The scale this page is rendered at (screen width, at most 4×), after checking the bitmap it
    makes against max_pixels: measured from the page size, before anything is rendered."""
    width, height = page.get_size()
    if not (math.isfinite(width) and math.isfinite(height) and width > 0 and height > 0):
        raise _image_error(msg("image.pdf_page_size", page=number))
    scale = min(4.0, PDF_PAGE_WIDTH / width)
    pixels_w, pixels_h = math.ceil(width * scale), math.ceil(height * scale)
    if pixels_w * pixels_h > max_pixels:
        raise _image_error(msg("image.pdf_page_pixels", page=number, width=pixels_w, height=pixels_h,
                               max=max_pixels))
    return scale


def store_pdf(data: bytes, media_dir: str, max_pixels: int) -> list[dict]:
    """A PDF becomes one PNG per page (rendered with PDFium), since screens show pictures, not PDFs.
    Every page is measured first, so a page too large to render is refused before any memory goes
    to a bitmap; then one page at a time is rendered, encoded once and let go."""
    import pypdfium2
    try:
        pdf = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        raise _image_error(msg("image.pdf_broken", error=str(exc))) from None
    try:
        if len(pdf) == 0 or len(pdf) > MAX_PDF_PAGES:
            raise _image_error(msg("image.pdf_pages", max=MAX_PDF_PAGES))
        scales = []
        for index in range(len(pdf)):
            page = pdf[index]
            try:
                scales.append(_render_scale(page, index + 1, max_pixels))
            finally:
                page.close()
        metas = []
        for index, scale in enumerate(scales):
            page = pdf[index]
            try:
                image = page.render(scale=scale).to_pil().convert("RGB")
            except pypdfium2.PdfiumError as exc:
                raise _image_error(msg("image.pdf_broken", error=str(exc))) from None
            finally:
                page.close()
            clean = encode(image, "image/png", quality=90)
            sha = hashlib.sha256(clean).hexdigest()
            write_media(media_dir, sha, clean)
            metas.append({"sha256": sha, "mime": "image/png", "width": image.width,
                          "height": image.height, "size": len(clean)})
            del image
        return metas
    finally:
        pdf.close()


def store_visuals(data: bytes, media_dir: str, max_pixels: int) -> list[dict]:
    """An image, or every page of a PDF, stored and described."""
    if data[:5] == b"%PDF-":
        return store_pdf(data, media_dir, max_pixels)
    return [store_image(data, media_dir, max_pixels)]


def read_uploads(table_csv: bytes | None, images=()) -> tuple[dict | None, list[tuple[dict, str]], dict]:
    """A CSV table parsed and images or PDFs checked and stored (one entry per image or PDF page):
    (table, [(metadata, file name)], field errors). Nothing is attached here."""
    cfg = current_app.config
    table, visuals, errors = None, [], {}
    if table_csv:
        try:
            table = parse_csv(table_csv, cfg["MAX_TABLE_ROWS"])
        except ServiceError as exc:
            errors.update(exc.fields)
    for data, filename in images:
        if not data:
            continue
        try:
            metas = store_visuals(data, cfg["MEDIA_DIR"], cfg["MAX_IMAGE_PIXELS"])
        except ServiceError as exc:
            errors.update(exc.fields)
            continue
        visuals += [(meta, filename if len(metas) == 1 else f"{filename} #{page + 1}")
                    for page, meta in enumerate(metas)]
    return table, visuals, errors

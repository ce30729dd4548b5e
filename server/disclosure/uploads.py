"""Uploaded files: CSV tables (UTF-8 or GBK) and images (verified, re-encoded without metadata)."""
from __future__ import annotations

import csv
import hashlib
import io
import os
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from server.i18n import msg
from server.validation import ServiceError

MAX_CELL = 2000
MAX_COLUMNS = 50
IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/png"}


def _csv_error(detail: tuple[str, dict]) -> ServiceError:
    return ServiceError(422, "invalid", {"table": ("bad_csv", {"detail": detail})})


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM) first, then GB18030 (a superset of GBK), else refuse."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _csv_error(msg("csv.encoding"))


def parse_csv(data: bytes, max_rows: int) -> dict:
    """{"columns": [...], "rows": [[...], ...]}; the first row is the header."""
    if b"\x00" in data:
        raise _csv_error(msg("csv.not_text"))
    text = decode_text(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = [row for row in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in row)]
    except csv.Error as exc:
        raise _csv_error(msg("csv.format", error=str(exc))) from None
    if len(rows) < 2:
        raise _csv_error(msg("csv.too_short"))
    columns = [c.strip() for c in rows[0]]
    if len(columns) > MAX_COLUMNS or not all(columns):
        raise _csv_error(msg("csv.header", max=MAX_COLUMNS))
    if len(rows) - 1 > max_rows:
        raise _csv_error(msg("csv.too_many_rows", max=max_rows))
    body = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(columns):
            raise _csv_error(msg("csv.ragged", row=number, cells=len(row), columns=len(columns)))
        if any(len(c) > MAX_CELL for c in row):
            raise _csv_error(msg("csv.long_cell", row=number, max=MAX_CELL))
        body.append([c.strip() for c in row])
    return {"columns": columns, "rows": body}


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


def store_image(data: bytes, media_dir: str, max_pixels: int) -> dict:
    """Verify, orient and re-encode an image; store it under its SHA-256; describe it."""
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


def store_pdf(data: bytes, media_dir: str, max_pixels: int) -> list[dict]:
    """A PDF becomes one PNG per page (rendered with PDFium), since screens show pictures, not PDFs."""
    import pypdfium2
    try:
        pdf = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        raise _image_error(msg("image.pdf_broken", error=str(exc))) from None
    try:
        if len(pdf) == 0 or len(pdf) > MAX_PDF_PAGES:
            raise _image_error(msg("image.pdf_pages", max=MAX_PDF_PAGES))
        metas = []
        for page in pdf:
            width = page.get_width() or 1
            image = page.render(scale=min(4.0, PDF_PAGE_WIDTH / width)).to_pil()
            out = io.BytesIO()
            image.convert("RGB").save(out, "PNG", optimize=True)
            metas.append(store_image(out.getvalue(), media_dir, max_pixels))
        return metas
    finally:
        pdf.close()


def store_visuals(data: bytes, media_dir: str, max_pixels: int) -> list[dict]:
    """An image, or every page of a PDF, stored and described."""
    if data[:5] == b"%PDF-":
        return store_pdf(data, media_dir, max_pixels)
    return [store_image(data, media_dir, max_pixels)]

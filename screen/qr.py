"""QR codes (qrcode + Pillow) as Kivy textures, cached by text."""
from __future__ import annotations

import io

import qrcode

__all__ = ["qr_png", "qr_texture"]

_textures: dict[str, object] = {}


def qr_png(data: str, box: int = 8) -> bytes:
    """PNG bytes of a QR code of `data` (black on white, 2-module quiet zone)."""
    qr = qrcode.QRCode(border=2, box_size=box, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(data)
    qr.make(fit=True)
    buf = io.BytesIO()
    qr.make_image(fill_color="black", back_color="white").convert("RGB").save(buf, "PNG")
    return buf.getvalue()


def qr_texture(data: str):
    """A Kivy Texture of the QR code (nearest filtering keeps modules sharp)."""
    if data in _textures:
        return _textures[data]
    from kivy.core.image import Image as CoreImage
    texture = CoreImage(io.BytesIO(qr_png(data)), ext="png").texture
    texture.mag_filter = "nearest"
    if len(_textures) > 256:
        _textures.clear()
    _textures[data] = texture
    return texture

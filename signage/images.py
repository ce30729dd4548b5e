"""Images decoded off the main thread: Pillow reads and scales the file in a worker thread, the
Kivy texture is made on the main thread from the raw pixels — so a 4K source never stalls a frame
of the slide that is playing while the next one is prepared."""
from __future__ import annotations

import threading

from kivy.clock import Clock
from kivy.graphics.texture import Texture

__all__ = ["decode", "load_texture_async", "texture_from"]


def decode(path: str, box: tuple[int, int]):
    """(size, RGB bytes) of the image scaled to fit `box`, or None for a missing/broken file."""
    try:
        from PIL import Image
        with Image.open(path) as img:
            img.draft("RGB", box)  # JPEG: decode at a reduced scale directly
            img = img.convert("RGB")
            if img.width > box[0] or img.height > box[1]:
                img.thumbnail((max(1, box[0]), max(1, box[1])))
            return img.size, img.tobytes()
    except Exception:  # not an image, truncated, missing: the slide shows a placeholder
        return None


def texture_from(decoded):
    if decoded is None:
        return None
    size, pixels = decoded
    texture = Texture.create(size=size, colorfmt="rgb")
    texture.blit_buffer(pixels, colorfmt="rgb", bufferfmt="ubyte")
    texture.flip_vertical()
    return texture


def load_texture_async(path: str, box: tuple[int, int], done) -> None:
    """Decode in a thread, then call done(texture or None) on the Kivy main thread."""
    def work():
        decoded = decode(path, box)
        Clock.schedule_once(lambda dt: done(texture_from(decoded)))
    threading.Thread(target=work, name="signage-decode", daemon=True).start()

"""signage_frames: frame times across N slide transitions of large images (4K sources pre-scaled by
the server's own scaler to the screen), in a real offscreen Kivy window with a fake server clock.

Each transition: the clock reaches the slide's end, the player cuts to the prepared slide, then the
frames that follow (while the next image is decoded in a thread and laid out beneath) are timed.
Frame rate is unlimited, so a frame's time is the work it took (llvmpipe software GL here).

    .venv/bin/python tests/benchmarks/signage_frames.py [N=100] [--size=1920x1080] [--source=3840x2160]
"""
from __future__ import annotations

import io
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import signage_common as common  # noqa: E402


def images(root: str, count: int, source: tuple[int, int], screen: tuple[int, int]) -> list[tuple[str, int, int, int]]:
    """`count` distinct photos-like JPEGs at `source` size, scaled for `screen` by the server's scaler."""
    from PIL import Image, ImageDraw, ImageFilter
    from server.screens.variants import _scaled  # the server's pre-scaling step (fit inside, LANCZOS)
    import kiosk_fixtures as kf
    out = []
    for n in range(count):
        img = Image.effect_noise(source, 60 + n).convert("RGB")
        draw = ImageDraw.Draw(img)
        for k in range(12):
            x, y = (source[0] * ((k * 37 + n * 11) % 100)) // 100, (source[1] * ((k * 53 + n * 7) % 100)) // 100
            draw.ellipse([x, y, x + source[0] // 6, y + source[1] // 5], fill=(40 * k % 255, 90 + n * 20 % 160, 200 - k * 9))
        img = img.filter(ImageFilter.GaussianBlur(2))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=90)
        data, w, h = _scaled(buf.getvalue(), "image/jpeg", screen)
        out.append((kf.store_media(root, data), w, h, len(data)))
    return out


def build(root: str, n_images: int, source, screen) -> None:
    import kiosk_fixtures as kf
    import signage_fixtures as sf
    media = images(root, n_images, source, screen)
    items, playlist = [], []
    for n, (sha, w, h, size) in enumerate(media):
        it = kf.item(100 + n, "conveniences", f"院区风貌 {n + 1}", "",
                     media=[{"sha256": sha, "type": "image/jpeg", "w": w, "h": h, "bytes": size}])
        it["window"] = {"start": None, "end": None}
        items.append(it)
        playlist.append(sf.entry(it, "image", duration=8, order=n))
    sf.write_manifest(root, items, playlist, ticker=sf.TICKER)


def main(transitions: int = 100, size=(1920, 1080), source=(3840, 2160), n_images: int = 6) -> dict:
    common.open_window(size)
    import signage_fixtures as sf
    root = tempfile.mkdtemp(prefix="gk-bench-frames-")
    build(root, n_images, source, size)
    now = common.FakeNow(sf.NOW)
    app = common.start_player(root, now, size)
    common.wait_ready(app)
    cut, after, all_frames, waits = [], [], [], []
    for _ in range(transitions):
        now.advance(app.player.current.duration)
        app.tick()
        first = common.frames(1)          # the frame that shows the new slide
        rest = common.wait_ready(app)     # next image decoded + laid out beneath, ticker scrolling
        if "--verbose" in sys.argv:
            print(f"cut {first[0]:.1f} ms, then {len(rest)} frames, max {max(rest):.1f} ms")
        cut += first
        after += rest
        waits.append(len(rest))
        all_frames += first + rest
    shown = app.player.shown
    app.dispatch("on_stop")
    figures = {"transitions": transitions, "shown": shown, "frames": len(all_frames),
               "cut_p50_ms": common.percentile(cut, 50), "cut_p95_ms": common.percentile(cut, 95),
               "cut_max_ms": max(cut), "frame_p50_ms": common.percentile(all_frames, 50),
               "frame_p95_ms": common.percentile(all_frames, 95), "frame_p99_ms": common.percentile(all_frames, 99),
               "frame_max_ms": max(all_frames), "over_33ms": sum(1 for f in all_frames if f > 33.4),
               "frames_to_ready_p50": common.percentile(waits, 50)}
    print(f"signage_frames: {transitions} transitions at {size[0]}x{size[1]}, {n_images} images from "
          f"{source[0]}x{source[1]} sources")
    print("  cut frame ms: p50={cut_p50_ms:.1f} p95={cut_p95_ms:.1f} max={cut_max_ms:.1f}".format(**figures))
    print("  all frames ms: p50={frame_p50_ms:.1f} p95={frame_p95_ms:.1f} p99={frame_p99_ms:.1f} "
          "max={frame_max_ms:.1f}  frames>33ms={over_33ms}/{frames}".format(**figures))
    print(f"  slides shown={shown}  frames until the next slide was ready p50={figures['frames_to_ready_p50']}")
    return figures


def _args(argv):
    n, size, source = 100, (1920, 1080), (3840, 2160)
    for arg in argv:
        if arg.startswith("--size="):
            size = tuple(int(v) for v in arg[7:].split("x"))
        elif arg.startswith("--source="):
            source = tuple(int(v) for v in arg[9:].split("x"))
        elif arg.isdigit():
            n = int(arg)
    return n, size, source


if __name__ == "__main__":
    n, size, source = _args(sys.argv[1:])
    main(n, size, source)

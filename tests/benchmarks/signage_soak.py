"""signage_soak: resident memory of the player over H simulated hours of rotation (fake server
clock), every slide type in the playlist, a new feed version every 6 simulated hours, the night
screen in between when opening hours are set. Leaks show as RSS that keeps growing hour by hour.

    .venv/bin/python tests/benchmarks/signage_soak.py [HOURS=24] [--slide=30] [--size=1920x1080]
"""
from __future__ import annotations

import gc
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import signage_common as common  # noqa: E402


def main(hours: float = 24, slide_seconds: int = 30, size=(1920, 1080)) -> dict:
    common.open_window(size)
    import signage_fixtures as sf
    root = tempfile.mkdtemp(prefix="gk-bench-soak-")
    items, playlist = sf.standard(root)
    for entry in playlist:
        entry["duration"] = slide_seconds
    opening = [{"days": [1, 2, 3, 4, 5, 6, 7], "from": "06:00", "to": "23:00"}]
    pem, public = sf.write_manifest(root, items, playlist, ticker=sf.TICKER, opening_hours=opening)
    now = common.FakeNow(sf.NOW)
    app = common.start_player(root, now, size)
    common.wait_ready(app)
    start, samples, version, step = now(), [], 1, 0
    end = start + common.timedelta(hours=hours)
    while now() < end:
        now.advance(slide_seconds if app.player.current is not None else 300)
        app.tick()
        common.wait_ready(app)
        step += 1
        elapsed = (now() - start).total_seconds() / 3600
        if elapsed >= version * 6:  # a new feed every 6 hours (same content, new version)
            version += 1
            sf.write_manifest(root, items, playlist, ticker=sf.TICKER, opening_hours=opening, version=version,
                              pem=pem, public=public, server_time=now())
            app.apply_manifest(app.sync.cached_manifest())
        if elapsed >= len(samples):
            gc.collect()
            samples.append((round(elapsed, 2), common.rss_mb()))
    shown = app.player.shown
    queued = len(app.sync._outbox)
    app.dispatch("on_stop")
    first_hour = samples[1][1] if len(samples) > 1 else samples[0][1]
    last = samples[-1][1]
    tail = [rss for h, rss in samples if h >= hours / 2] or [last]
    figures = {"hours": hours, "slides": shown, "steps": step, "rss_start_mb": samples[0][1],
               "rss_after_1h_mb": first_hour, "rss_end_mb": last, "growth_after_1h_mb": last - first_hour,
               "second_half_spread_mb": max(tail) - min(tail), "outbox_batches": queued}
    print(f"signage_soak: {hours} simulated hours, {shown} slides shown ({slide_seconds} s each, night "
          f"23:00-06:00), feed replaced every 6 h, {size[0]}x{size[1]}")
    print("  RSS MiB: start={rss_start_mb:.1f} after 1 h={rss_after_1h_mb:.1f} end={rss_end_mb:.1f} "
          "growth after 1 h={growth_after_1h_mb:+.1f} second-half spread={second_half_spread_mb:.1f}".format(**figures))
    print("  per hour: " + " ".join(f"{h:g}h={rss:.0f}" for h, rss in samples))
    print(f"  proof-of-play batches queued (offline, kept on disk): {queued}")
    return figures


if __name__ == "__main__":
    args = sys.argv[1:]
    size = next((tuple(int(v) for v in a[7:].split("x")) for a in args if a.startswith("--size=")), (1920, 1080))
    slide = next((int(a[8:]) for a in args if a.startswith("--slide=")), 30)
    hours = next((float(a) for a in args if not a.startswith("--")), 24)
    main(hours, slide, size)

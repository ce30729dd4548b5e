"""screen_soak: the kiosk and the signage player for MINUTES of real (wall-clock) time against a
real server on loopback, playing the demo's content, through day → night → day: the lobby group's
opening hours are set so the night screen falls in the middle of the run. Meanwhile staff publish
about 100 items through the whole review over the JSON API (some with tables, some on the ticker),
an emergency alert is raised and cleared, the network between screens and server is cut and
restored (a TCP relay), and the server is stopped and restarted. RSS and CPU of each app are
sampled every minute; the figures are printed and drawn into an SVG chart. Finally each app gets
SIGTERM (exit time and code reported).

    .venv/bin/python tests/benchmarks/screen_soak.py [MINUTES=130] [--publishes=100] [--sample=60]
        [--chart=docs/screen-soak.svg] [--kiosk-size=1080x1920] [--signage-size=1920x1080]

Budgets (reported, never asserted): RSS growth ≤ 20 MB/h after the first 10 minutes; signage at
night ≤ 2 % of a core; kiosk idle ≤ 3 %; the day playlist's mean CPU is reported.
"""
from __future__ import annotations

import math
import os
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from tests.benchmarks.soak_chart import write_chart  # noqa: E402
from tests.benchmarks.soak_parts import Relay, ScreenProcess, ServerProcess, Staff  # noqa: E402

CST = timezone(timedelta(hours=8))  # the demo unit's wall clock (TIMEZONE_OFFSET_HOURS)
BUDGETS = {"growth_mb_per_h": 20.0, "signage_night_pct": 2.0, "kiosk_idle_pct": 3.0}


def prepare_instance(instance: str, night: tuple[datetime, datetime]) -> str:
    """The demo's content, its lobby group closed exactly during `night`; returns the demo password."""
    from sqlalchemy import select
    from server import create_app, db
    from server.demo.content import PASSWORD, seed_demo
    from server.instance import init_instance
    from server.models import Unit, User
    from server.screens import signage_rules
    app = create_app(instance_path=instance)
    init_instance(app, "县卫生健康局", "BUREAU")
    seed_demo(app)
    start, end = (t.astimezone(CST).strftime("%H:%M") for t in night)
    with app.app_context():
        s = db.session()
        admin = s.scalar(select(User).where(User.username == "admin"))
        unit = s.scalar(select(Unit).where(Unit.code == "H001"))
        # open from the night's end round to its start (a range past midnight when to < from)
        signage_rules.save_group(s, admin, unit, {"name": "大厅", "night_mode": True, "opening_hours": [
            {"days": [1, 2, 3, 4, 5, 6, 7], "from": end, "to": start}]})
    app.extensions["gongkai.engine"].dispose()
    return PASSWORD


def next_minute(t: datetime) -> datetime:
    return (t + timedelta(minutes=1)).replace(second=0, microsecond=0)


def slope_per_hour(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (minute, MiB) in MiB per hour."""
    if len(points) < 2:
        return float("nan")
    n = len(points)
    mx, my = sum(p[0] for p in points) / n, sum(p[1] for p in points) / n
    var = sum((p[0] - mx) ** 2 for p in points)
    return 60 * sum((p[0] - mx) * (p[1] - my) for p in points) / var if var else float("nan")


def mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else float("nan")


def main(minutes: float = 130, publishes: int = 100, sample: float = 60, chart: str | None = None,
         kiosk_size: str = "1080x1920", signage_size: str = "1920x1080") -> dict:
    folder = tempfile.mkdtemp(prefix="gongkai-soak-")
    total = minutes * 60
    wall0 = datetime.now(timezone.utc)
    night_from = next_minute(wall0 + timedelta(seconds=0.38 * total))
    night_to = night_from + timedelta(minutes=max(1, round(0.3 * minutes)))
    password = prepare_instance(os.path.join(folder, "instance"), (night_from, night_to))
    server = ServerProcess(os.path.join(folder, "instance"), os.path.join(folder, "server.log"))
    with open(os.path.join(folder, "instance", "config.py"), "a", encoding="utf-8") as fh:
        fh.write(f"PUBLIC_BASE_URL = {server.url!r}\n")
    server.start()
    relay = Relay(server.port)
    staff = Staff(server.url, password)
    screens = {"kiosk": ScreenProcess("kiosk", f"http://127.0.0.1:{relay.port}", folder, kiosk_size),
               "signage": ScreenProcess("signage", f"http://127.0.0.1:{relay.port}", folder, signage_size)}
    t0 = time.monotonic()
    elapsed = lambda: time.monotonic() - t0  # noqa: E731
    log: list[tuple[float, str]] = []
    state = {"alert": None, "published": 0, "failed": 0, "pending": list(range(1, publishes + 1))}

    def publish_next():
        if not state["pending"] or not server.up:
            return
        n = state["pending"][0]
        end = datetime.now(CST) + timedelta(minutes=max(2.0, minutes / 6))  # items leave again
        try:
            staff.publish(n, end.isoformat())
            state["published"] += 1
        except Exception as exc:  # counted and reported: the soak goes on
            state["failed"] += 1
            print(f"  publish {n} failed: {exc}", file=sys.stderr)
        state["pending"].pop(0)

    def do(name, fn):
        def run():
            log.append((elapsed() / 60, name))
            fn()
        return run

    events = [(0.20 * total, do("alert raised", lambda: state.update(alert=staff.raise_alert()))),
              (0.27 * total, do("alert cleared", lambda: staff.clear_alert(state["alert"]))),
              (0.45 * total, do("network cut", relay.cut)),
              (0.52 * total, do("network back", relay.restore)),
              (0.78 * total, do("server stopped", server.stop)),
              (0.84 * total, do("server started", server.start))]
    events += [(total * (0.03 + 0.94 * k / max(1, publishes)), publish_next) for k in range(publishes)]
    events.sort(key=lambda e: e[0])
    series = {name: [] for name in screens}
    approved: set = set()
    next_sample = sample
    while elapsed() < total:
        while events and events[0][0] <= elapsed():
            events.pop(0)[1]()
        if len(approved) < len(screens) and server.up:
            for name, screen in screens.items():
                device = screen.device_id()
                if name not in approved and device and any(d["device_id"] == device for d in staff.devices()):
                    staff.approve(device, {"kiosk": "门诊大厅查询机", "signage": "门诊大厅信息屏"}[name])
                    approved.add(name)
        if elapsed() >= next_sample:
            next_sample += sample
            now = datetime.now(timezone.utc)
            for name, screen in screens.items():
                if screen.alive():
                    rss, cpu = screen.sample()
                    series[name].append((elapsed() / 60, rss, cpu, night_from <= now - timedelta(seconds=sample)
                                         and now <= night_to))
        time.sleep(0.2)
    while state["pending"] and server.up:  # publishes deferred while the server was down
        publish_next()
    crashed = [name for name, screen in screens.items() if not screen.alive()]
    deadline = time.monotonic() + 3 * 60
    while time.monotonic() < deadline and not crashed:
        devices = [d for d in staff.devices() if d["status"] == "active"]
        if len(devices) == len(screens) and all(d["up_to_date"] for d in devices):
            break
        time.sleep(5)
    up_to_date = sum(1 for d in staff.devices() if d["status"] == "active" and d["up_to_date"])
    exits = {name: screen.terminate() for name, screen in screens.items() if screen.alive()}
    server.stop()
    relay.cut()
    return report(locals())


def report(v: dict) -> dict:
    minutes, series, sample = v["minutes"], v["series"], v["sample"]
    warm = min(10.0, minutes / 13)
    night = ((v["night_from"] - v["wall0"]).total_seconds() / 60, (v["night_to"] - v["wall0"]).total_seconds() / 60)
    settle = min(1.0, (night[1] - night[0]) / 5)  # the switch to the night screen itself is not "night"
    figures = {}
    for name, points in series.items():
        after = [(m, r) for m, r, _, _ in points if m >= warm]
        figures[name] = {"rss_start": points[0][1] if points else math.nan,
                         "rss_warm": after[0][1] if after else math.nan,
                         "rss_end": points[-1][1] if points else math.nan,
                         "rss_max": max((r for _, r, _, _ in points), default=math.nan),
                         "growth_mb_per_h": slope_per_hour(after),
                         "cpu_day": mean(c for m, _, c, n in points if not n and m >= warm),
                         "cpu_night": mean(c for m, _, c, n in points if n and m - sample / 60 >= night[0] + settle),
                         "cpu_all": mean(c for m, _, c, _ in points if m >= warm)}
    print(f"screen_soak: {minutes:g} min wall clock, kiosk {v['kiosk_size']} + signage {v['signage_size']} "
          f"(offscreen, Mesa llvmpipe), the demo's content, samples every {sample:g} s")
    print(f"  night screen {night[0]:.1f}–{night[1]:.1f} min; publishes={v['state']['published']}/{v['publishes']} "
          f"failed={v['state']['failed']}; " + ", ".join(f"{name} {m:.1f}" for m, name in v["log"]))
    for name, f in figures.items():
        print(f"  {name}: RSS MiB start={f['rss_start']:.0f} after {warm:.1f} min={f['rss_warm']:.0f} "
              f"end={f['rss_end']:.0f} max={f['rss_max']:.0f} growth after {warm:.1f} min={f['growth_mb_per_h']:+.1f} MB/h")
        print(f"  {name}: CPU % of a core: day mean={f['cpu_day']:.2f} night mean={f['cpu_night']:.2f} "
              f"overall={f['cpu_all']:.2f}")
    checks = [("signage RSS growth ≤ 20 MB/h", figures.get("signage", {}).get("growth_mb_per_h"), BUDGETS["growth_mb_per_h"]),
              ("kiosk RSS growth ≤ 20 MB/h", figures.get("kiosk", {}).get("growth_mb_per_h"), BUDGETS["growth_mb_per_h"]),
              ("signage night CPU ≤ 2 %", figures.get("signage", {}).get("cpu_night"), BUDGETS["signage_night_pct"]),
              ("kiosk idle CPU ≤ 3 %", figures.get("kiosk", {}).get("cpu_all"), BUDGETS["kiosk_idle_pct"])]
    print("  budgets: " + "; ".join(f"{label}: {'n/a' if value is None or math.isnan(value) else ('ok' if value <= limit else 'OVER')}"
                                    f" ({value:.2f})" for label, value, limit in checks))
    print("  SIGTERM → exit: " + ", ".join(f"{name} code={code} in {secs:.2f} s" for name, (code, secs) in v["exits"].items()))
    print(f"  crashed={len(v['crashed'])} {v['crashed'] or ''} up_to_date={v['up_to_date']}/{len(series)}")
    if v["chart"]:
        write_chart(v["chart"], minutes, {n: [(m, r, c) for m, r, c, _ in p] for n, p in series.items()},
                    [night], [(m, name) for m, name in v["log"]],
                    f"Screen soak: {minutes:g} min real time, kiosk + signage on the demo's content")
        print(f"  chart: {v['chart']}")
    if not v["crashed"]:
        shutil.rmtree(v["folder"], ignore_errors=True)
    else:
        print(f"  logs kept in {v['folder']}")
    return {"figures": figures, "crashed": v["crashed"], "exits": v["exits"], "up_to_date": v["up_to_date"],
            "published": v["state"]["published"]}


if __name__ == "__main__":
    args = sys.argv[1:]
    opts = dict(a[2:].split("=", 1) for a in args if a.startswith("--"))
    positional = [a for a in args if not a.startswith("--")]
    main(float(positional[0]) if positional else 130, int(opts.get("publishes", 100)),
         float(opts.get("sample", 60)), opts.get("chart"), opts.get("kiosk-size", "1080x1920"),
         opts.get("signage-size", "1920x1080"))

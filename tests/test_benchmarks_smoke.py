"""The benchmarks keep working: each runs at a tiny size and must report complete figures.
(The figures themselves are read by people, never asserted: this machine is shared and noisy.)"""
from benchmarks import feed_build, idle_cost, push_latency


def test_push_latency_every_screen_gets_the_item(capsys):
    push_latency.main([5], table_rows=200)
    out = capsys.readouterr().out
    assert "received=5/5" in out and "missing=0" in out and "a 200-row table live" in out
    assert "first sync per screen" in out and "bytes per screen for the publish" in out


def test_delta_reports_first_sync_and_one_notice(capsys):
    from benchmarks import delta
    figures = delta.main(70, 200)                       # two pages, a small table
    out = capsys.readouterr().out
    assert "first sync:" in out and "one short notice:" in out and "protocol 1 sent" in out
    assert figures["notice_bytes"] < figures["first_bytes"]


def test_feed_build_reports_both_builds(capsys):
    feed_build.main(50, 200)
    out = capsys.readouterr().out
    assert "cold" in out and "warm" in out and "KiB" in out and "pages and table blob" in out


def test_idle_cost_poll_is_a_304(capsys):
    idle_cost.main(2.0)
    out = capsys.readouterr().out
    assert "304 NOT MODIFIED" in out and "B/hour" in out


def test_scale_out_two_processes_on_postgres(capsys):
    """Also the end-to-end check that gunicorn + gevent + psycopg + LISTEN/NOTIFY work together."""
    from benchmarks import scale_out
    scale_out.main(5)
    out = capsys.readouterr().out
    assert "received=5/5" in out and "missing=0" in out and "staff /admin/" in out


def test_archive_year_writes_and_verifies(capsys):
    from benchmarks import archive_year
    archive_year.main(5, 2, 1, 5, 100)
    out = capsys.readouterr().out
    assert "MiB/s" in out and "peak Python memory" in out and "problems=0" in out


def test_signage_benchmarks_report_frames_alert_latency_and_rss():
    """Each signage benchmark in its own process (one Kivy window per process), at a tiny size."""
    from benchmarks.signage_common import run_script
    out = run_script("signage_frames", "4", "--size=480x270", "--source=960x540")
    assert "4 transitions" in out and "cut frame ms: p50=" in out and "slides shown=5" in out
    out = run_script("signage_alert", "2", "--size=480x270")
    assert "2 alerts raised" in out and "raise -> alert drawn ms: p50=" in out and "clear -> alert gone" in out
    out = run_script("signage_soak", "1", "--slide=300", "--size=480x270")
    assert "RSS MiB: start=" in out and "per hour: " in out


def test_ingest_bulk_reports_times_and_the_refused_pdf(capsys):
    from benchmarks import ingest_bulk
    ingest_bulk.main(300)
    out = capsys.readouterr().out
    assert "rows=300" in out and "更正 with diff" in out and "新增 3 行，删除 3 行，修改 15 行" in out
    assert "tall PDF:" in out and "refused" in out and "peak RSS" in out


def test_step_boundaries_reports_the_job_cost(capsys):
    from benchmarks import step_boundaries
    step_boundaries.main(20, 2)
    out = capsys.readouterr().out
    assert "next boundary: p50=" in out and "bumped=True" in out and "public now=10" in out


def test_screen_soak_ninety_seconds_nothing_crashes(tmp_path):
    """The real-time soak (tests/benchmarks/screen_soak.py) at 90 s: both apps against a real server,
    publishes, an alert, a network cut and a server restart. (Its night screen is set in whole minutes,
    so day → night → day needs the long run; the night itself is tested in tests/test_signage_ui.py.)"""
    from benchmarks.signage_common import run_script
    chart = tmp_path / "soak.svg"
    out = run_script("screen_soak", "1.5", "--publishes=6", "--sample=10", f"--chart={chart}", timeout=600)
    assert "crashed=0" in out and "up_to_date=2/2" in out and "publishes=6/6 failed=0" in out, out
    for name in ("alert raised", "alert cleared", "network cut", "network back", "server stopped",
                 "server started"):
        assert name in out, out
    assert "SIGTERM → exit: kiosk code=0" in out and "signage code=0" in out, out
    assert chart.read_text().startswith("<svg") and "polyline" in chart.read_text()


def test_screen_start_reports_cold_start_and_memory():
    from benchmarks.signage_common import run_script
    out = run_script("screen_start", "1", "--seconds=3", "--table-rows=200", timeout=600)
    assert "kiosk cold start → first content frame: median=" in out and "after 50 items=" in out, out
    assert "signage 1920x1080: first frame" in out and "targets: " in out, out

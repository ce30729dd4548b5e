"""The benchmarks keep working: each runs at a tiny size and must report complete figures.
(The figures themselves are read by people, never asserted: this machine is shared and noisy.)"""
from benchmarks import feed_build, idle_cost, push_latency


def test_push_latency_every_screen_gets_the_item(capsys):
    push_latency.main([5])
    out = capsys.readouterr().out
    assert "received=5/5" in out and "missing=0" in out


def test_feed_build_reports_both_builds(capsys):
    feed_build.main(50, 200)
    out = capsys.readouterr().out
    assert "cold" in out and "warm" in out and "MiB" in out


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

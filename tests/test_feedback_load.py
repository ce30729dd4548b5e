"""The feedback load benchmark keeps working: a tiny run against a real server process must store
exactly one row per accepted submission (the figures at full size are printed, never asserted)."""
from benchmarks import feedback_load


def test_feedback_load_loses_and_duplicates_nothing(capsys):
    result = feedback_load.main(20, 1.5)
    out = capsys.readouterr().out
    assert "lost=0 duplicated=0 count_matches=True" in out and "p95=" in out
    assert result["rows"] == result["accepted"] > 0 and result["errors"] == 0

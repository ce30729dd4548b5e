"""Lighthouse (npm, pinned; in Debian's Chromium) on the phone pages and the staff login, against a real
gunicorn server: accessibility, best practices and SEO at 100 on every page. Performance is a timing
figure on a shared machine, so it is printed (tests/benchmarks/lighthouse.py), never asserted."""
from benchmarks import lighthouse


def test_phone_pages_and_login_score_100(capsys):
    results = lighthouse.main(parallel=4, pages=("feedback", "lookup", "request", "login"))
    print(capsys.readouterr().out)
    assert len(results) == 4 and {p.split("/")[1] for p in results} == {"f", "t", "r", "admin"}
    for path, result in results.items():
        scores = result["scores"]
        assert (scores["accessibility"], scores["best-practices"], scores["seo"]) == (100, 100, 100), \
            (path, result["failed"])
        assert 0 <= scores["performance"] <= 100 and result["bytes"] < 30 * 1024

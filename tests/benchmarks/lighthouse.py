"""lighthouse: Lighthouse scores (performance, accessibility, best practices, SEO) of the phone pages
and the staff login page, on a real gunicorn + gevent server on loopback, in Debian's Chromium.

Lighthouse comes from npm (./gongkai installs the pinned version into .venv/node, like axe-core);
it runs with its default mobile emulation (412 px wide, simulated slow 4G and 4× slower CPU).

    .venv/bin/python tests/benchmarks/lighthouse.py [PATH ...]
      (default: the feedback form /f/<screen code>, /t, /t/<code>, /r and /admin/login, one at a time)

The test suite (tests/test_lighthouse.py) runs the pages side by side to save time and asserts the
three categories that do not depend on timing; the performance figures are printed, not asserted.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from tests.benchmarks.harness import ROOT, Server  # noqa: E402

LIGHTHOUSE = os.path.join(ROOT, ".venv/node/node_modules/lighthouse/cli/index.js")
CHROMIUM = "/usr/bin/chromium"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
PAGES = ("feedback", "lookup", "tracking", "request", "login")
FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run"


def run(url: str) -> dict:
    """One Lighthouse run: {"scores": {category: 0..100}, "failed": [audits below full marks]}."""
    if not os.path.isfile(LIGHTHOUSE):
        raise SystemExit(f"Lighthouse is missing at {LIGHTHOUSE}: run ./gongkai install")
    with tempfile.TemporaryDirectory(prefix="gongkai-lh-") as tmp:
        out = os.path.join(tmp, "report.json")
        subprocess.run(["node", LIGHTHOUSE, url, "--output=json", f"--output-path={out}", "--quiet",
                        "--disable-full-page-screenshot",
                        f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={FLAGS}"],
                       check=True, env=dict(os.environ, CHROME_PATH=CHROMIUM, TMPDIR=tmp), timeout=240,
                       capture_output=True)
        with open(out, encoding="utf-8") as fh:
            report = json.load(fh)
    scores = {c: round(report["categories"][c]["score"] * 100) for c in CATEGORIES}
    failed = sorted({ref["id"] for c in CATEGORIES for ref in report["categories"][c]["auditRefs"]
                     if ref.get("weight") and (report["audits"][ref["id"]].get("score") is not None)
                     and report["audits"][ref["id"]]["score"] < 1})
    metrics = {k: report["audits"][k].get("displayValue", "") for k in
               ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift")}
    return {"scores": scores, "failed": failed, "metrics": metrics,
            "bytes": report["audits"]["total-byte-weight"]["numericValue"]}


def default_paths(server: Server, pages=PAGES) -> list[str]:
    """The pages a patient opens (with a real screen code and a real tracking code) and the login."""
    device_id = server.enrol(1, audiences=("public", "patients"))[0][0]
    code = next(d["screen_code"] for d in server.call("GET", "/devices", "root").json() if d["device_id"] == device_id)
    case = server.call("POST", "/feedback", "bob", json={"channel": "hotline", "kind": "suggestion",
                                                          "text": "候诊区希望增加饮水机"})
    case.raise_for_status()
    every = {"feedback": f"/f/{code}", "lookup": "/t", "tracking": f"/t/{case.json()['code']}", "request": "/r",
             "login": "/admin/login"}
    return [every[name] for name in pages]


def main(paths: list[str] | None = None, parallel: int = 1, pages=PAGES) -> dict[str, dict]:
    from concurrent.futures import ThreadPoolExecutor
    server = Server(workers=1)
    try:
        paths = paths or default_paths(server, pages)
        with ThreadPoolExecutor(parallel) as pool:
            results = dict(zip(paths, pool.map(lambda p: run(server.url + p), paths)))
        for path, result in results.items():
            s = result["scores"]
            print(f"lighthouse {path}: performance {s['performance']} accessibility {s['accessibility']} "
                  f"best-practices {s['best-practices']} seo {s['seo']} · "
                  + " ".join(f"{k}={v}" for k, v in result["metrics"].items())
                  + f" · {result['bytes'] / 1024:.1f} KiB"
                  + (f" · below full marks: {', '.join(result['failed'])}" if result["failed"] else ""))
        return results
    finally:
        server.stop()


if __name__ == "__main__":
    main(sys.argv[1:] or None)

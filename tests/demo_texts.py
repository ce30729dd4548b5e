"""The texts the demo publishes (titles and bodies of its live revisions), from a freshly seeded
demo instance — so the line-breaking checks run on real strings, not made-up ones. Seeding takes
seconds, and four UI child processes want the texts: they are kept in a file named after the demo
content modules' hash (every file of server/demo/), so an edit to the demo content is picked up at once."""
from __future__ import annotations

import hashlib
import json
import os
import tempfile


def demo_texts() -> list[tuple[str, str]]:
    import server.demo as demo
    folder = os.path.dirname(demo.__file__)
    hasher = hashlib.sha256()
    for name in sorted(n for n in os.listdir(folder) if n.endswith(".py")):   # content.py, texts.py, …
        with open(os.path.join(folder, name), "rb") as fh:
            hasher.update(name.encode() + b"\0" + fh.read())
    digest = hasher.hexdigest()[:16]
    cache = os.path.join(tempfile.gettempdir(), f"gongkai-demo-texts-{digest}.json")
    try:
        with open(cache, encoding="utf-8") as fh:
            return [tuple(pair) for pair in json.load(fh)]
    except (OSError, ValueError):
        pass
    texts = _seeded()
    tmp = f"{cache}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(texts, fh, ensure_ascii=False)
    os.replace(tmp, cache)
    return texts


def _seeded() -> list[tuple[str, str]]:
    from sqlalchemy import select
    from server import create_app, db
    from server.demo.content import seed_demo
    from server.instance import init_instance
    from server.models import Revision
    app = create_app({"SECRET_KEY": "demo-texts"}, instance_path=tempfile.mkdtemp(prefix="gk-demo-texts-"))
    init_instance(app, "县卫生健康局", "BUREAU")
    seed_demo(app)
    with app.app_context():
        rows = db.session().execute(select(Revision.title, Revision.body)
                                    .where(Revision.status.in_(("published", "scheduled")))).all()
    app.extensions["gongkai.engine"].dispose()
    return [(title, body or "") for title, body in rows]

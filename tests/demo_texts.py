"""The texts the demo publishes (titles and bodies of its live revisions), from a freshly seeded
demo instance — so the line-breaking checks run on real strings, not made-up ones."""
from __future__ import annotations

import tempfile


def demo_texts() -> list[tuple[str, str]]:
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

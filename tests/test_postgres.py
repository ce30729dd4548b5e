"""The same server on a real PostgreSQL: migrations, the workflow, feeds, and push between two
processes' worth of apps through the database."""
import json
import time

from sqlalchemy import create_engine
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import server.schema  # noqa: F401  (all tables registered)
from conftest import Api
from server.models import Base


def test_migrations_match_the_models_on_postgres(postgres, pg_app):
    engine = create_engine(pg_app.config["DATABASE_URL"])
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_migrations_match_the_models_on_sqlite(app):
    with app.extensions["gongkai.engine"].connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_workflow_on_postgres(pg_app):
    api = Api(pg_app.test_client())
    item = api.create(title="PostgreSQL 上的公示")
    done = api.publish(item["id"])
    assert done["status"] == "published"
    assert [h["action"] for h in done["history"]] == ["submit", "review", "clear", "approve"]
    assert api.act(item["id"], "approve", "bob").status_code == 403
    stale = api.call("POST", f"/items/{item['id']}/revisions", "alice", json={"reason": "更正"}).get_json()
    assert api.call("PATCH", f"/items/{item['id']}", "amy", json={"title": "x", "version": stale["version"] + 5}).status_code == 409


def test_feed_and_push_across_apps_on_postgres(pg_app, monkeypatch):
    """Process B hears of a publish in process A through LISTEN/NOTIFY (its fallback check is
    set to 30 s here, so only the notification can wake it within the 5 s allowed)."""
    from server.screens import push
    from server.screens.push import start_watcher
    monkeypatch.setattr(push, "LISTEN_SECONDS", 30.0)
    from test_devices import Screen
    api = Api(pg_app.test_client())
    screen = Screen(api)
    before = screen.manifest()
    from server import create_app   # a second app over the same database stands for process B
    app_b = create_app({"SECRET_KEY": "test", "DATABASE_URL": pg_app.config["DATABASE_URL"]},
                       instance_path=pg_app.instance_path)
    bus_b = app_b.extensions["gongkai.bus"]
    watcher = start_watcher(app_b)
    time.sleep(1.0)   # let B connect and LISTEN
    try:
        seen = bus_b.tick
        api.publish(api.create(title="跨进程推送")["id"])
        deadline = time.monotonic() + 5
        while bus_b.mark.version <= before["version"] and time.monotonic() < deadline:
            time.sleep(0.02)
        assert bus_b.mark.version > before["version"] and bus_b.tick != seen
    finally:
        watcher.stop.set()
        app_b.extensions["gongkai.engine"].dispose()
    after = screen.manifest()
    assert "跨进程推送" in {i["title"] for i in after["items"]}
    assert json.dumps(after, ensure_ascii=False).count("跨进程推送") == 1


def test_plain_postgresql_urls_mean_psycopg3():
    from server.db import database_url
    assert database_url("/x", "postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("/x", "postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("/x", None) == "sqlite:////x/gongkai.db"

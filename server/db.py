"""Database connection lifecycle: one engine per app, one session per request, Alembic upgrades."""
from __future__ import annotations

import os

from alembic import command
from alembic.config import Config
from flask import current_app, g
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")


def database_url(instance_path: str, configured: str | None) -> str:
    """DATABASE_URL if set (postgresql:// means psycopg 3), else the SQLite file in the instance."""
    if configured:
        for plain in ("postgresql://", "postgres://"):
            if configured.startswith(plain):
                return "postgresql+psycopg://" + configured[len(plain):]
        return configured
    return "sqlite:///" + os.path.join(instance_path, "gongkai.db")


def make_engine(url: str) -> Engine:
    """An engine; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()
        return engine
    # gevent workers run many requests at once: a larger pool than the default 5 + 10
    return create_engine(url, pool_size=20, max_overflow=40, pool_timeout=10, pool_recycle=1800)


def upgrade(engine: Engine) -> None:
    """Create or upgrade the schema to the newest Alembic revision."""
    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def init_app(app) -> None:
    """Attach the engine and session factory to the app; close sessions after each request."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["gongkai.engine"] = engine
    app.extensions["gongkai.sessions"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(close_session)


def engine() -> Engine:
    return current_app.extensions["gongkai.engine"]


def session() -> Session:
    """The request's session, opened on first use."""
    if "db" not in g:
        g.db = current_app.extensions["gongkai.sessions"]()
    return g.db


def close_session(_exc=None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()

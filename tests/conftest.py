"""Shared fixtures: an app over a real SQLite file in a temporary instance folder, staff accounts,
and an `api` helper that logs in through POST /api/v1/tokens like any client would."""
from __future__ import annotations

import os
import shutil

import pytest

from server import create_app
from server.instance import add_unit, create_user, init_instance

PASSWORD = "secret-pass-1"
STAFF = {  # username -> roles in unit H001
    "alice": ["contributor"], "amy": ["contributor"], "bob": ["reviewer"],
    "carol": ["confidentiality"], "dan": ["approver"], "erin": ["approver"],
    "root": ["admin"], "sue": ["supervisor"],
    "boss": ["contributor", "reviewer", "confidentiality", "approver"],
}

os.environ.setdefault("KIVY_NO_ARGS", "1")


@pytest.fixture(scope="session")
def template_instance(tmp_path_factory):
    """One migrated instance with two units and staff, copied for each test (migrations run once)."""
    path = tmp_path_factory.mktemp("template")
    app = create_app({"SECRET_KEY": "test"}, instance_path=str(path))
    seed_template(app)
    return path


def seed_template(app) -> None:
    """Two units, the STAFF in H001 and zed in H002; then close every connection."""
    init_instance(app, "第一人民医院", "H001")
    with app.app_context():
        from server import db
        from server.instance import find_unit
        s = db.session()
        h1 = find_unit(s, "H001")
        h2 = add_unit(s, "H002", "第二人民医院")
        for name, roles in STAFF.items():
            create_user(s, name, PASSWORD, roles, h1)
        create_user(s, "zed", PASSWORD, ["contributor", "reviewer", "approver"], h2)
        from server.models import Department
        s.add(Department(unit_id=h1.id, name="后勤保障部"))   # beside the catalog's owners (门诊部 …)
        s.commit()
    app.extensions["gongkai.engine"].dispose()


def pytest_generate_tests(metafunc):
    """Modules that set BACKENDS = ("sqlite", "postgres") run every test on both databases;
    GONGKAI_TEST_BACKENDS=postgres runs every test that uses `app` on PostgreSQL only (a full
    PostgreSQL pass of the suite: `GONGKAI_TEST_BACKENDS=postgres ./gongkai test`)."""
    backends = getattr(metafunc.module, "BACKENDS", None)
    forced = os.environ.get("GONGKAI_TEST_BACKENDS")
    if forced:
        backends = tuple(b for b in forced.split(",") if b in ("sqlite", "postgres"))
    chosen = any("backend" in m.args[0] for m in metafunc.definition.iter_markers("parametrize"))
    if backends and "app" in metafunc.fixturenames and not chosen:
        metafunc.parametrize("backend", backends)


@pytest.fixture
def backend():
    return "sqlite"


@pytest.fixture
def app(backend, template_instance, tmp_path, request):
    if backend == "postgres":
        yield request.getfixturevalue("pg_app")
        return
    instance = tmp_path / "instance"
    shutil.copytree(template_instance, instance)
    app = create_app({"SECRET_KEY": "test", "TESTING": True}, instance_path=str(instance))
    yield app
    app.extensions["gongkai.engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


class Api:
    """Calls the JSON API as a named staff member."""

    def __init__(self, client):
        self.client = client
        self.tokens: dict[str, str] = {}

    def token(self, user: str) -> str:
        if user not in self.tokens:
            resp = self.client.post("/api/v1/tokens", json={"username": user, "password": PASSWORD})
            assert resp.status_code == 201, resp.get_json()
            self.tokens[user] = resp.get_json()["token"]
        return self.tokens[user]

    def call(self, method: str, path: str, user: str | None = None, **kwargs):
        headers = kwargs.pop("headers", {})
        if user:
            headers["Authorization"] = f"Bearer {self.token(user)}"
        return self.client.open("/api/v1" + path, method=method, headers=headers, **kwargs)

    def create(self, user="alice", **fields):
        data = {"category": "prices", "title": "CT 检查价格", "body": "# 价格\n\n**CT** 300 元"}
        data.update(fields)
        resp = self.call("POST", "/items", user, json=data)
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()

    def act(self, item_id: int, action: str, user: str, comment: str = "同意"):
        return self.call("POST", f"/items/{item_id}/actions", user,
                         json={"action": action, "comment": comment})

    def publish(self, item_id: int, sensitive: bool = False):
        for action, user in [("submit", "alice"), ("review", "bob"), ("clear", "carol"),
                             ("approve", "dan")] + ([("escalate", "erin")] if sensitive else []):
            resp = self.act(item_id, action, user)
            assert resp.status_code == 200, (action, resp.get_json())
        return resp.get_json()


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server for the run (see tests/pgserver.py)."""
    from pgserver import TempPostgres
    server = TempPostgres()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_template(postgres, tmp_path_factory):
    """A migrated PostgreSQL database with the same units and staff as the SQLite template."""
    path = tmp_path_factory.mktemp("pg-template")
    postgres.sql("CREATE DATABASE gk_template")
    app = create_app({"SECRET_KEY": "test", "DATABASE_URL": postgres.url("gk_template")},
                     instance_path=str(path))
    seed_template(app)
    return path


@pytest.fixture
def pg_app(postgres, pg_template, tmp_path):
    """Like `app`, on a fresh copy of the PostgreSQL template database."""
    import uuid
    name = "t_" + uuid.uuid4().hex[:12]
    postgres.sql(f"CREATE DATABASE {name} TEMPLATE gk_template")
    instance = tmp_path / "pg-instance"
    shutil.copytree(pg_template, instance)
    # like a production instance: its config names the database, so the CLI in a subprocess
    # (and any create_app(instance_path=...)) finds PostgreSQL, not an empty SQLite file
    (instance / "config.py").write_text(f"DATABASE_URL = {postgres.url(name)!r}\n", encoding="utf-8")
    app = create_app({"SECRET_KEY": "test", "TESTING": True, "DATABASE_URL": postgres.url(name)},
                     instance_path=str(instance))
    yield app
    app.extensions["gongkai.engine"].dispose()
    postgres.sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def server_url(app):
    """The test app served over real HTTP on loopback, for real screens (SyncClient) to talk to."""
    import threading
    from werkzeug.serving import make_server
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def point(app):
    """A feedback QR location of H001 (二维码位置 BOX1), for the public /f pages."""
    from server import db
    from server.hearing.models import FeedbackPoint
    from server.instance import find_unit
    with app.app_context():
        s = db.session()
        s.add(FeedbackPoint(unit_id=find_unit(s, "H001").id, code="BOX1", name="门诊大厅意见箱"))
        s.commit()
    return "BOX1"

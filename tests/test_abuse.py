"""Hostile input and abuse, each case written as the hostile request (issue 15): a clear 4xx, bounded
work, nothing lost. Every test ends with the audit chain intact and no partial rows (`intact`)."""
import re

import pytest
from sqlalchemy import func, select

from server import audit, db
from server.hearing.models import Feedback, FeedbackPoint, InfoRequest
from server.instance import find_unit
from server.models import Item

BACKENDS = ("sqlite", "postgres")   # tests that store or count something run on both databases;
ONE_DB = pytest.mark.parametrize("backend", ["sqlite"])   # refusals at the edge never reach one

BIG = "9" * 20                      # beyond 64 bits
KEY = re.compile(r'name="k" value="([^"]+)"')


def rows(app, model) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(model))


@pytest.fixture(autouse=True)
def intact(app):
    """After every test here: the audit chain verifies and no item exists without a revision."""
    yield
    with app.app_context():
        s = db.session()
        assert audit.verify(s) == []
        orphans = s.scalar(select(func.count()).select_from(Item).where(~Item.revisions.any()))
        assert orphans == 0


@pytest.fixture
def point(app):
    with app.app_context():
        s = db.session()
        s.add(FeedbackPoint(unit_id=find_unit(s, "H001").id, code="BOX1", name="门诊大厅"))
        s.commit()
    return "BOX1"


def raw_json(api, method, path, text, user="alice"):
    return api.call(method, path, user, data=text, content_type="application/json")


# --- 1. input bounds at the edge ----------------------------------------------------------------

@pytest.mark.parametrize("beyond", ["9" * 19, "2147483648", "2034652994717039583"])
def test_ids_beyond_what_a_row_id_holds_are_404_on_every_int_route(app, api, intact, beyond):
    """Every <int:…> route of the app, with an id no primary key can hold (20 digits, 64 bits, or
    past PostgreSQL's 32-bit INTEGER, which Schemathesis found as a 500 there), as staff (API token
    or session), on both databases."""
    token = api.token("root")
    client = app.test_client()
    client.post("/admin/login", data={"username": "root", "password": "secret-pass-1",
                                      "csrf_token": _csrf(client, "/admin/login")})
    seen = 0
    for rule in app.url_map.iter_rules():
        if "<int:" not in rule.rule:
            continue
        path = re.sub(r"<int:[^>]+>", BIG if seen % 2 else beyond, rule.rule)
        path = re.sub(r"<[^>]+>", "x", path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            seen += 1
            if path.startswith("/api/"):
                resp = client.open(path, method=method, headers={"Authorization": f"Bearer {token}"}, json={})
            else:
                resp = client.open(path, method=method, data={"csrf_token": _csrf(client, "/admin/")})
            assert resp.status_code == 404, (method, path, resp.status_code)
    assert seen >= 20


def _csrf(client, path):
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path, follow_redirects=True).text)
    return found.group(1) if found else ""


@ONE_DB
def test_item_query_argument_beyond_64_bits_on_the_public_form(client, point):
    for value in (BIG, "-1", "1e5", "０１", "1" * 5000):
        assert client.get(f"/f/{point}?item={value}").status_code == 200


@pytest.mark.parametrize("text,why", [
    ('{"action": "submit", "comment": NaN}', "NaN"),
    ('{"action": "submit", "comment": Infinity}', "Infinity"),
    ('{"action": "submit", "comment": -Infinity}', "-Infinity"),
    ('{"action": "submit", "n": 1e999}', "overflows to infinity"),
    ('{"action": "submit", "n": ' + "1" * 30 + "}", "integer beyond 64 bits"),
    ('{"action": "submit", "comment": "\\ud800"}', "lone surrogate"),
    ('{"action": "submit", "comment": "a\\u0000b"}', "NUL"),
    ("[" * 50000 + "]" * 50000, "50,000-deep nesting"),
    ('{"a":' * 40 + "1" + "}" * 40, "40-deep nesting"),
])
@ONE_DB
def test_unstorable_json_is_422_everywhere(api, text, why, intact):
    item = api.create()
    for method, path in (("POST", f"/items/{item['id']}/actions"), ("POST", "/items"),
                         ("PATCH", f"/items/{item['id']}"), ("POST", "/feedback"), ("PUT", "/calendar")):
        resp = raw_json(api, method, path, text, user="root" if path == "/calendar" else "boss")
        assert resp.status_code == 422, (why, path, resp.status_code)
        assert resp.get_json()["code"] == "bad_input" and resp.get_json()["error"]
    enrol = api.client.post("/api/v1/devices/enrol", data=text, content_type="application/json")
    assert enrol.status_code == 422, why


@ONE_DB
def test_huge_screen_size_at_enrolment_is_422(client):
    for screen in ({"w": 1e308, "h": 1e308}, {"w": 10**18, "h": 100}, {"w": "9" * 5000, "h": 1},
                   {"w": True, "h": True}, {"w": [1], "h": {}}):
        resp = client.post("/api/v1/devices/enrol", json={"kind": "kiosk", "screen": screen})
        assert resp.status_code == 422, screen


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+00:00", "9999-12-31T23:00:00+00:00",
                                  "1999-12-31T00:00:00+08:00", "2101-01-02T00:00:00+00:00"])
@ONE_DB
def test_windows_outside_2000_to_2100_are_refused(api, when, intact):
    resp = api.call("POST", "/items", "alice", json={"category": "prices", "title": "t",
                                                     "window": {"start": None, "end": when}})
    assert resp.status_code == 422 and "window" in resp.get_json()["fields"]
    steps = [{"audiences": ["public"], "at": when}]
    resp = api.call("POST", "/items", "alice", json={"category": "prices", "title": "t", "audiences": steps})
    assert resp.status_code == 422 and "audiences" in resp.get_json()["fields"]


@ONE_DB
def test_dates_outside_2000_to_2100_are_refused(api, intact):
    bad = {"title": "t", "pledge": "p", "committer_kind": "unit", "committer": "院办", "due_date": "0001-01-01"}
    assert api.call("POST", "/commitments", "alice", json=bad).status_code == 422
    resp = api.call("PUT", "/calendar", "root", json={"overrides": [{"date": "9999-12-31", "working": True}]})
    assert resp.status_code == 422


@ONE_DB
def test_month_arguments_outside_the_years_are_not_a_server_error(app, api):
    client = app.test_client()
    client.post("/admin/login", data={"username": "bob", "password": "secret-pass-1",
                                      "csrf_token": _csrf(client, "/admin/login")})
    for month in ("0001-01", "9999-12", "2026-13", "x"):
        assert client.get(f"/admin/satisfaction?month={month}").status_code == 404
        assert client.get(f"/admin/compliance/report?month={month}").status_code in (400, 403)


def test_nul_in_forms_and_query_arguments_is_422(client, point, intact):
    key = KEY.search(client.get(f"/f/{point}").text).group(1)
    resp = client.post(f"/f/{point}", data={"k": key, "kind": "suggestion", "text": "a\x00b"})
    assert resp.status_code == 422 and "NUL" in resp.text
    assert client.get("/t?code=FK\x00").status_code == 422
    assert rows(client.application, Feedback) == 0


@ONE_DB
def test_tables_sent_as_json_keep_the_csv_limits(api, app, intact):
    item = api.create()
    limits = app.config["MAX_TABLE_ROWS"]
    cases = [{"columns": ["c"] * 51, "rows": [["x"] * 51]},
             {"columns": ["a"], "rows": [["x"]] * (limits + 1)},
             {"columns": ["a"], "rows": [["x" * 2001]]},
             {"columns": ["a"], "rows": [[{"nested": 1}]]},
             {"columns": [""], "rows": [["x"]]},
             {"columns": ["a", "b"], "rows": [["x"]]}]
    for table in cases:
        resp = api.call("PATCH", f"/items/{item['id']}", "alice", json={"version": 1, "table": table})
        assert resp.status_code == 422 and "table" in resp.get_json()["fields"], str(table)[:80]
    ok = api.call("PATCH", f"/items/{item['id']}", "alice",
                  json={"version": 1, "table": {"columns": ["项目", "价格"], "rows": [["CT", 300]]}})
    assert ok.status_code == 200 and ok.get_json()["table"]["rows"] == [["CT", "300"]]


@ONE_DB
def test_free_text_fields_are_bounded(api, app, intact):
    item = api.create()
    huge = "长" * 1_000_000
    resp = api.call("POST", f"/items/{item['id']}/actions", "alice", json={"action": "submit", "comment": huge})
    assert resp.status_code == 422
    resp = api.call("POST", f"/items/{item['id']}/actions", "alice",
                    json={"action": "submit", "comment": "长" * 2001})
    assert resp.status_code == 422 and "comment" in resp.get_json()["fields"]
    with app.app_context():
        assert db.session().get(Item, item["id"]).revisions[-1].status == "draft"
    fb = api.call("POST", "/feedback", "bob", json={"channel": "hotline", "kind": "question", "text": "问"})
    fb_id = fb.get_json()["id"]
    for data in ({"action": "close", "note": "n" * 2001}, {"action": "escalate", "reason": "r" * 2001}):
        assert api.call("POST", f"/feedback/{fb_id}/actions", "bob", json=data).status_code == 422


# --- 3. client identity behind the proxy, shared limits, login back-off -------------------------

def post_feedback(client, point, addr, headers=None):
    key = KEY.search(client.get(f"/f/{point}").text).group(1)
    return client.post(f"/f/{point}", data={"k": key, "kind": "suggestion", "text": "座椅不够"},
                       environ_base={"REMOTE_ADDR": addr}, headers=headers or {})


@ONE_DB
def test_forwarded_for_is_ignored_without_a_trusted_proxy(app, client, point):
    app.config["PUBLIC_RATE_LIMIT"] = 2
    codes = [post_feedback(client, point, "10.0.0.9", {"X-Forwarded-For": f"192.0.2.{n}"}).status_code
             for n in range(4)]
    assert codes == [200, 200, 429, 429]


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(app, tmp_path, point):
    from server import create_app
    proxied = create_app({"SECRET_KEY": "test", "TESTING": True, "TRUSTED_PROXIES": 1,
                          "PUBLIC_RATE_LIMIT": 2, "DATABASE_URL": app.config["DATABASE_URL"]},
                         instance_path=app.instance_path)
    client = proxied.test_client()
    via = {"REMOTE_ADDR": "127.0.0.1"}
    one = [post_feedback(client, point, "127.0.0.1", {"X-Forwarded-For": "198.51.100.1"}).status_code
           for _ in range(3)]
    spoofed = post_feedback(client, point, "127.0.0.1", {"X-Forwarded-For": "6.6.6.6, 198.51.100.1"})
    other = post_feedback(client, point, "127.0.0.1", {"X-Forwarded-For": "198.51.100.2"})
    assert one == [200, 200, 429] and spoofed.status_code == 429 and other.status_code == 200
    assert via


def test_the_public_limit_is_shared_by_two_app_processes(app, point):
    """Two apps over one database stand in for two gunicorn workers: the limit is not doubled."""
    from server import create_app
    app.config["PUBLIC_RATE_LIMIT"] = 3
    second = create_app({"SECRET_KEY": "test", "TESTING": True, "PUBLIC_RATE_LIMIT": 3,
                         "DATABASE_URL": app.config["DATABASE_URL"]}, instance_path=app.instance_path)
    clients = [app.test_client(), second.test_client()]
    codes = [post_feedback(clients[n % 2], point, "10.1.1.1").status_code for n in range(6)]
    assert codes.count(200) == 3 and codes.count(429) == 3
    second.extensions["gongkai.engine"].dispose()


def login(client, name, password, addr):
    return client.post("/api/v1/tokens", json={"username": name, "password": password},
                       environ_base={"REMOTE_ADDR": addr})


def test_wrong_passwords_from_one_client_do_not_lock_the_owner_out(app, client):
    import time
    for _ in range(5):
        assert login(client, "alice", "wrong", "10.6.6.6").status_code == 401
    locked = login(client, "alice", "secret-pass-1", "10.6.6.6")               # that client: locked
    assert locked.status_code == 429 and locked.get_json()["code"] == "login_locked"
    time.sleep(1.1)                     # the name's back-off after 5 failures: 1 s, then 2, 4 … ≤ 60
    assert login(client, "alice", "secret-pass-1", "10.0.0.7").status_code == 201   # the owner
    assert login(client, "alice", "secret-pass-1", "10.6.6.6").status_code == 429     # still that client


def test_an_account_under_attack_from_many_clients_slows_down(app, client):
    import time
    app.config["LOGIN_BACKOFF_MAX_SECONDS"] = 2
    for n in range(5):
        assert login(client, "bob", "wrong", f"10.7.0.{n}").status_code == 401
    slowed = login(client, "bob", "secret-pass-1", "10.7.0.99")
    assert slowed.status_code == 429 and slowed.get_json()["code"] == "login_slowed"
    assert "秒" in slowed.get_json()["error"]
    time.sleep(1.1)
    assert login(client, "bob", "wrong", "10.7.0.50").status_code == 401      # 6th failure: 2 s now
    assert login(client, "bob", "wrong", "10.7.0.51").status_code == 429
    time.sleep(2.1)                                                            # capped at 2 s here
    assert login(client, "bob", "secret-pass-1", "10.7.0.99").status_code == 201


def test_guessing_across_many_names_from_one_client_is_limited(app, client):
    app.config["LOGIN_CLIENT_MAX_FAILURES"] = 6
    codes = [login(client, f"user{n}", "wrong", "10.8.8.8").status_code for n in range(8)]
    assert codes[:6] == [401] * 6 and codes[6:] == [429, 429]
    assert login(client, "alice", "secret-pass-1", "10.8.8.8").status_code == 429
    assert login(client, "alice", "secret-pass-1", "10.8.8.9").status_code == 201


@ONE_DB
def test_the_login_form_says_locked_in_chinese(app):
    c = app.test_client()
    for _ in range(6):
        resp = c.post("/admin/login", data={"username": "carol", "password": "x", "csrf_token": _csrf(c, "/admin/login")})
    assert resp.status_code == 429 and "登录" in resp.text


# --- 4. enrolment flood ---------------------------------------------------------------------------

def enrol(client, addr="10.9.9.9"):
    return client.post("/api/v1/devices/enrol", json={"kind": "kiosk", "screen": {"w": 1080, "h": 1920}},
                       environ_base={"REMOTE_ADDR": addr})


def test_enrolment_flood_from_one_client_is_limited(client):
    codes = [enrol(client).status_code for _ in range(12)]
    assert codes[:10] == [201] * 10 and codes[10:] == [429, 429]
    assert enrol(client, "10.9.9.10").status_code == 201


def test_pending_screens_expire_after_a_day_and_admins_clear_them(app, api):
    from datetime import timedelta
    from server.screens.models import Device
    for n in range(3):
        assert enrol(api.client, f"10.3.0.{n}").status_code == 201
    with app.app_context():
        s = db.session()
        first = s.scalars(select(Device)).first()
        first.created_at = first.created_at - timedelta(hours=25)
        s.commit()
    listed = api.call("GET", "/devices", "root").get_json()
    assert len([d for d in listed if d["status"] == "pending"]) == 2
    c = app.test_client()
    c.post("/admin/login", data={"username": "root", "password": "secret-pass-1", "csrf_token": _csrf(c, "/admin/login")})
    page = c.get("/admin/screens")
    assert "清除全部待审批" in page.text
    resp = c.post("/admin/screens/pending/clear", data={"csrf_token": _csrf(c, "/admin/screens")})
    assert resp.status_code == 302
    assert [d for d in api.call("GET", "/devices", "root").get_json() if d["status"] == "pending"] == []
    staff = app.test_client()
    staff.post("/admin/login", data={"username": "alice", "password": "secret-pass-1",
                                     "csrf_token": _csrf(staff, "/admin/login")})
    assert staff.post("/admin/screens/pending/clear", data={"csrf_token": _csrf(staff, "/admin/")}).status_code == 403


# --- 2. isolation: one stored row never breaks a feed, a dashboard or a page -----------------------

def test_one_bad_stored_row_is_skipped_logged_and_flagged(app, api, caplog):
    """The window end of the issue (9999-12-31T23:00Z) written straight into the database."""
    from datetime import datetime, timezone
    from test_devices import Screen
    from server.models import DataProblem
    screen = Screen(api)
    bad, good = api.create(title="坏窗口"), api.create(title="好事项")
    api.publish(bad["id"])
    api.publish(good["id"])
    with app.app_context():
        s = db.session()
        rev = s.get(Item, bad["id"]).revisions[-1]
        rev.window_end = datetime(9999, 12, 31, 23, 0, tzinfo=timezone.utc)
        s.commit()
    later = api.create(title="之后发布")
    api.publish(later["id"])                                   # moves the feed version
    assert screen.get("/api/v1/feed").status_code == 200
    titles = screen.titles()
    assert {"好事项", "之后发布"} <= titles and "坏窗口" not in titles
    assert "skipped item:" in caplog.text
    c = app.test_client()
    c.post("/admin/login", data={"username": "boss", "password": "secret-pass-1", "csrf_token": _csrf(c, "/admin/login")})
    page = c.get(f"/admin/items/{bad['id']}")
    assert page.status_code == 200 and "无法显示" in page.text
    assert c.get("/admin/items").status_code == 200
    sue = app.test_client()
    sue.post("/admin/login", data={"username": "sue", "password": "secret-pass-1", "csrf_token": _csrf(sue, "/admin/login")})
    board = sue.get("/admin/compliance")
    assert board.status_code == 200 and "数据异常" in board.text and f"item:{bad['id']}/r1" in board.text
    assert api.call("GET", f"/items/{bad['id']}", "alice").status_code == 200
    with app.app_context():
        assert {p.place for p in db.session().scalars(select(DataProblem))} >= {"feed", "compliance"}


# --- 6. sessions, passwords, tokens ---------------------------------------------------------------

def staff_client(app, name="alice", password="secret-pass-1", **environ):
    c = app.test_client()
    resp = c.post("/admin/login", data={"username": name, "password": password,
                                        "csrf_token": _csrf(c, "/admin/login")}, environ_base=environ)
    assert resp.status_code == 302, resp.status_code
    return c, resp


@ONE_DB
def test_session_cookie_is_samesite_lax_and_secure_over_tls(app):
    _, plain = staff_client(app)
    cookie = plain.headers["Set-Cookie"]
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie and "Secure" not in cookie
    c = app.test_client()
    tls = c.post("/admin/login", base_url="https://localhost", data={
        "username": "bob", "password": "secret-pass-1", "csrf_token": _csrf(c, "/admin/login")})
    assert tls.status_code == 302 and "Secure" in tls.headers["Set-Cookie"]


@ONE_DB
def test_session_cookie_is_secure_behind_the_trusted_proxy_only(app):
    from server import create_app
    for hops, secure in ((1, True), (0, False)):
        other = create_app({"SECRET_KEY": "test", "TESTING": True, "TRUSTED_PROXIES": hops,
                            "DATABASE_URL": app.config["DATABASE_URL"]}, instance_path=app.instance_path)
        c = other.test_client()
        resp = c.post("/admin/login", data={"username": "dan", "password": "secret-pass-1",
                                            "csrf_token": _csrf(c, "/admin/login")},
                      headers={"X-Forwarded-Proto": "https"})
        assert ("Secure" in resp.headers["Set-Cookie"]) is secure, hops
        other.extensions["gongkai.engine"].dispose()


def test_a_cookie_copied_before_logout_is_dead_after_it(app):
    c, _ = staff_client(app)
    copied = c.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/admin/").status_code == 200
    c.post("/admin/logout", data={"csrf_token": _csrf(c, "/admin/")})
    assert thief.get("/admin/").status_code == 302               # back to the login page
    assert c.get("/admin/").status_code == 302


def test_password_change_in_the_ui_ends_every_other_copy_and_every_token(app, api):
    c, _ = staff_client(app)
    other, _ = staff_client(app)
    token = api.token("alice")
    csrf = _csrf(c, "/admin/account")
    weak = c.post("/admin/account/password", data={"csrf_token": csrf, "current": "secret-pass-1",
                                                   "new": "password", "repeat": "password"})
    assert weak.status_code == 422 and "容易被猜中" in weak.text or "至少" in weak.text
    wrong = c.post("/admin/account/password", data={"csrf_token": csrf, "current": "nope",
                                                    "new": "amber-tiger-harbour-9", "repeat": "amber-tiger-harbour-9"})
    assert wrong.status_code == 422 and "当前密码不正确" in wrong.text
    ok = c.post("/admin/account/password", data={"csrf_token": csrf, "current": "secret-pass-1",
                                                 "new": "amber-tiger-harbour-9", "repeat": "amber-tiger-harbour-9"})
    assert ok.status_code == 302
    assert c.get("/admin/account").status_code == 200              # this browser stays in
    assert other.get("/admin/").status_code == 302                 # the other copy is out
    assert api.client.get("/api/v1/items", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert login(api.client, "alice", "amber-tiger-harbour-9", "10.2.2.2").status_code == 201


def test_password_change_and_token_revocation_in_the_api(app, api):
    first, second = api.token("bob"), login(api.client, "bob", "secret-pass-1", "10.2.0.1").get_json()["token"]
    listed = api.client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {first}"}).get_json()
    assert len(listed) == 2 and sum(t["current"] for t in listed) == 1 and "token" not in listed[0]
    other = next(t for t in listed if not t["current"])
    assert api.client.delete(f"/api/v1/tokens/{other['id']}", headers={"Authorization": f"Bearer {first}"}).status_code == 204
    assert api.client.get("/api/v1/items", headers={"Authorization": f"Bearer {second}"}).status_code == 401
    mine = api.token("alice")
    theirs = api.client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {first}"}).get_json()[0]["id"]
    assert api.client.delete(f"/api/v1/tokens/{theirs}", headers={"Authorization": f"Bearer {mine}"}).status_code == 404
    auth = {"Authorization": f"Bearer {first}"}
    for new, code in (("password", 422), ("12345678", 422), ("bob12345", 422), ("short", 422)):
        resp = api.client.post("/api/v1/password", json={"current": "secret-pass-1", "new": new}, headers=auth)
        assert resp.status_code == code and "new" in resp.get_json()["fields"], new
    resp = api.client.post("/api/v1/password", json={"current": "secret-pass-1", "new": "amber-tiger-harbour-9"},
                           headers=auth)
    assert resp.status_code == 200 and resp.get_json()["token"]
    assert api.client.get("/api/v1/items", headers=auth).status_code == 401
    assert api.client.get("/api/v1/items", headers={"Authorization": f"Bearer {resp.get_json()['token']}"}).status_code == 200


@ONE_DB
def test_common_passwords_are_refused_for_new_accounts(app):
    c, _ = staff_client(app, "root")
    for weak in ("password", "12345678", "qwertyuiop", "nina2024", "iloveyou1"):
        resp = c.post("/admin/users", data={"csrf_token": _csrf(c, "/admin/users"), "username": "nina",
                                            "password": weak, "roles": ["reviewer"]})
        assert resp.status_code == 422, weak


@ONE_DB
def test_set_password_from_the_command_line(app):
    import subprocess
    import sys
    run = lambda pw: subprocess.run([sys.executable, "-m", "server", "set-password", "carol", "--instance",
                                     app.instance_path], input=pw + "\n", capture_output=True, text=True,
                                    env={**__import__("os").environ, "PYTHONPATH": __import__("os").getcwd()})
    weak = run("password")
    assert weak.returncode == 2 and "guess" in weak.stderr
    ok = run("amber-tiger-harbour-9")
    assert ok.returncode == 0, ok.stderr
    assert login(app.test_client(), "carol", "amber-tiger-harbour-9", "10.4.4.4").status_code == 201


# --- 7. headers, 8. CSV, 9. idempotency -----------------------------------------------------------

@ONE_DB
def test_every_html_page_carries_the_security_headers(app, client, point):
    c, _ = staff_client(app, "boss")
    for who, path in ((client, "/admin/login"), (client, f"/f/{point}"), (client, "/r"), (client, "/t"),
                      (c, "/admin/"), (c, "/admin/items"), (client, "/nope")):
        resp = who.get(path)
        csp = resp.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp.split("style-src")[0]
        assert resp.headers["X-Frame-Options"] == "DENY" and resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"] == "same-origin"


@ONE_DB
def test_access_controlled_media_are_not_cached_publicly(app, api):
    import io
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(out, "PNG")
    item = api.create()
    resp = api.call("POST", f"/items/{item['id']}/images", "alice",
                    data={"file": (io.BytesIO(out.getvalue()), "a.png")}, content_type="multipart/form-data")
    sha = resp.get_json()["media"][0]["sha256"]
    media = api.call("GET", f"/../media/{sha}", "alice") if False else \
        api.client.get(f"/media/{sha}", headers={"Authorization": f"Bearer {api.token('alice')}"})
    assert media.status_code == 200 and media.headers["Cache-Control"].startswith("private")


def test_csv_exports_neutralise_formulas(app, api):
    from server.guard.csvsafe import safe_cell
    for cell in ("=HYPERLINK(\"http://x\",\"y\")", "+1", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(cell).startswith("'")
    assert safe_cell("正常") == "正常" and safe_cell(5) == 5
    data = {"title": "=HYPERLINK(\"http://evil\",\"点我\")", "pledge": "@SUM(1+1)", "committer_kind": "unit",
            "committer": "-院办", "due_date": "2030-01-01"}
    assert api.call("POST", "/commitments", "alice", json=data).status_code == 201
    text = api.call("GET", "/commitments/ledger.csv", "alice").data.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'@SUM" in text and "'-院办" in text
    assert not any(cell.startswith(("=", "+", "@")) for line in text.splitlines() for cell in line.split(","))


def test_same_idempotency_key_with_different_content_is_409_everywhere(app, api, client, point):
    call = {"channel": "hotline", "kind": "question", "text": "几点开门"}
    key = {"Idempotency-Key": "same-key-1"}
    assert api.call("POST", "/feedback", "bob", json=call, headers=key).status_code == 201
    assert api.call("POST", "/feedback", "bob", json=call, headers=key).status_code == 200
    clash = api.call("POST", "/feedback", "bob", json={**call, "text": "别的问题"}, headers=key)
    assert clash.status_code == 409 and clash.get_json()["code"] == "idem_conflict" and "幂等" in clash.get_json()["error"]
    req = {"channel": "letter", "name": "张三", "id_type": "id_card", "id_number": "110101199001011237",
           "contact": "13800000000", "description": "申请公开收费标准", "delivery": "email"}
    assert api.call("POST", "/requests", "bob", json=req, headers=key).status_code == 201
    clash = api.call("POST", "/requests", "bob", json={**req, "description": "别的"}, headers=key)
    assert clash.status_code == 409 and clash.get_json()["code"] == "idem_conflict"
    page = client.get("/r").text
    k = KEY.search(page).group(1)
    form = {"k": k, "unit": "H001", "name": "李四", "id_type": "id_card", "id_number": "110101199001011237",
            "contact": "13800000000", "description": "申请公开药品价格", "delivery": "email"}
    assert client.post("/r", data=form).status_code == 200
    assert client.post("/r", data=form).status_code == 200
    again = client.post("/r", data={**form, "description": "完全不同的申请"})
    assert again.status_code == 409 and "不同的内容" in again.text      # plain words on the public page
    assert rows(app, InfoRequest) == 2


# --- Markdown: one guarded reading for the admin preview, the archive and the screens ---------------

@ONE_DB
def test_reference_definition_floods_are_read_without_definitions_on_the_server(app):
    """markdown-it-py 3.0 reads "[a]: url" lines in quadratic time; the server now reads such a
    body like the screens do: definitions shown as typed (content/markdown.py)."""
    from content import markdown as md
    from server.admin import render
    from server.records import archive
    flood = "[a]: http://x\n" * 7000                        # ≈ 100 KB, the largest body accepted
    assert md.parser_for(flood) is md.PARSER_NO_REFS
    with app.test_request_context():
        html = str(render.markdown(flood))
    assert "[a]: http://x" in html
    normal = "见[说明][1]。\n\n[1]: https://example.org\n"
    assert md.parser_for(normal) is md.PARSER
    with app.test_request_context():
        assert '<a href="https://example.org">说明</a>' in str(render.markdown(normal))
    assert all(getattr(module, "md") is md for module in (archive, render))

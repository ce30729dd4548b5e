"""The staff JSON API (docs/architecture.md, staff API): items, workflow actions, status codes and error bodies."""
import pytest

from conftest import PASSWORD

BACKENDS = ("sqlite", "postgres")   # every test here runs on both databases


def test_catalog_lists_the_callers_unit(api):
    resp = api.call("GET", "/catalog", "alice")
    assert resp.status_code == 200
    cats = resp.get_json()
    names = {c["name"] for c in cats}
    assert {"医疗服务价格", "药品价格", "出诊信息"} <= names
    assert set(cats[0]) >= {"id", "name", "parent", "audiences", "time_rule", "owner"}


def test_full_workflow_publishes_with_history(api):
    item = api.create()
    assert item["status"] == "draft" and item["revision"] == 1
    assert "public" in item["audiences"][0]["audiences"]   # default from the category
    done = api.publish(item["id"])
    assert done["status"] == "published"
    assert done["published_revision"] == 1
    steps = [(h["action"], h["by"]) for h in done["history"]]
    assert steps == [("submit", "alice"), ("review", "bob"), ("clear", "carol"), ("approve", "dan")]


def test_sensitive_item_needs_escalation(api):
    item = api.create(sensitive=True)
    for action, user in [("submit", "alice"), ("review", "bob"), ("clear", "carol"), ("approve", "dan")]:
        assert api.act(item["id"], action, user).status_code == 200
    assert api.call("GET", f"/items/{item['id']}", "dan").get_json()["status"] == "approved"
    assert api.act(item["id"], "escalate", "dan").status_code == 403
    assert api.act(item["id"], "escalate", "erin").get_json()["status"] == "published"


def test_status_codes(api):
    item = api.create()
    wrong_role = api.act(item["id"], "approve", "bob")
    assert wrong_role.status_code == 403 and wrong_role.get_json()["error"]
    wrong_state = api.act(item["id"], "approve", "dan")
    assert wrong_state.status_code == 409
    assert api.act(item["id"], "fly", "dan").status_code == 422
    api.act(item["id"], "submit", "alice")
    no_comment = api.act(item["id"], "reject", "bob", comment="")
    assert no_comment.status_code == 422 and "comment" in no_comment.get_json()["fields"]


def test_approver_cannot_approve_own_submission(api):
    item = api.create(user="boss")
    assert api.act(item["id"], "submit", "boss").status_code == 200
    resp = api.act(item["id"], "review", "boss")
    assert resp.status_code == 403
    assert "本人" in resp.get_json()["error"]


def test_errors_in_english_when_asked(api):
    item = api.create()
    resp = api.call("POST", f"/items/{item['id']}/actions", "dan", json={"action": "approve"},
                    headers={"Accept-Language": "en-US,en;q=0.9"})
    assert resp.status_code == 409
    assert "not allowed" in resp.get_json()["error"]
    zh = api.act(item["id"], "approve", "dan")
    assert "不能" in zh.get_json()["error"]


@pytest.mark.parametrize("fields,field", [
    ({"category": "no-such"}, "category"),
    ({"title": ""}, "title"),
    ({"title": "   "}, "title"),
    ({"title": "长" * 201}, "title"),
    ({"body": "x" * (100 * 1024 + 1)}, "body"),
    ({"audiences": ["martians"]}, "audiences"),
    ({"window": {"start": "2026-13-01T00:00:00+08:00"}}, "window"),
    ({"window": {"start": "2026-12-01T00:00:00"}}, "window"),
    ({"window": {"start": "2026-12-02T00:00:00+08:00", "end": "2026-12-01T00:00:00+08:00"}}, "window"),
    ({"sensitive": "yes"}, "sensitive"),
])
def test_bad_input_gets_a_field_error_and_stores_nothing(api, fields, field):
    before = len(api.call("GET", "/items", "alice").get_json())
    data = {"category": "prices", "title": "价格", **fields}
    resp = api.call("POST", "/items", "alice", json=data)
    assert resp.status_code == 422
    body = resp.get_json()
    assert field in body["fields"] and body["error"]
    assert len(api.call("GET", "/items", "alice").get_json()) == before


def test_non_json_body_is_a_clear_400(api):
    resp = api.call("POST", "/items", "alice", data="title=x", content_type="text/plain")
    assert resp.status_code == 400 and resp.get_json()["error"]


def test_stale_edit_is_refused_and_changes_nothing(api):
    item = api.create()
    first = api.call("PATCH", f"/items/{item['id']}", "alice", json={"title": "新标题", "version": 1})
    assert first.status_code == 200 and first.get_json()["version"] == 2
    stale = api.call("PATCH", f"/items/{item['id']}", "amy", json={"title": "旧视图", "version": 1})
    assert stale.status_code == 409
    assert api.call("GET", f"/items/{item['id']}", "alice").get_json()["title"] == "新标题"
    missing = api.call("PATCH", f"/items/{item['id']}", "amy", json={"title": "x"})
    assert missing.status_code == 422 and "version" in missing.get_json()["fields"]


def test_only_drafts_are_edited(api):
    item = api.create()
    api.act(item["id"], "submit", "alice")
    resp = api.call("PATCH", f"/items/{item['id']}", "alice", json={"title": "x", "version": 1})
    assert resp.status_code == 409


def test_reviewer_cannot_create_items(api):
    resp = api.call("POST", "/items", "bob", json={"category": "prices", "title": "x"})
    assert resp.status_code == 403


def test_other_units_items_are_invisible(api):
    item = api.create()
    assert api.call("GET", f"/items/{item['id']}", "zed").status_code == 404
    assert api.act(item["id"], "review", "zed").status_code == 404
    assert api.call("GET", "/catalog?unit=H001", "zed").status_code == 403


def test_tokens(api, client):
    assert client.get("/api/v1/items").status_code == 401
    bad = client.get("/api/v1/items", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.get_json()["error"]
    wrong = client.post("/api/v1/tokens", json={"username": "alice", "password": "wrong"})
    nobody = client.post("/api/v1/tokens", json={"username": "nobody", "password": "wrong"})
    assert wrong.status_code == nobody.status_code == 401
    assert wrong.get_json()["error"] == nobody.get_json()["error"]


def test_login_is_rate_limited(client):
    for _ in range(5):
        client.post("/api/v1/tokens", json={"username": "alice", "password": "wrong"})
    locked = client.post("/api/v1/tokens", json={"username": "alice", "password": PASSWORD})
    assert locked.status_code == 429
    other = client.post("/api/v1/tokens", json={"username": "bob", "password": PASSWORD})
    assert other.status_code == 201


def test_withdraw_needs_reason_and_publishes_a_notice(api):
    item = api.publish(api.create()["id"])
    assert api.act(item["id"], "withdraw", "erin", comment="").status_code == 422
    assert api.act(item["id"], "withdraw", "alice", comment="错误").status_code == 403
    done = api.act(item["id"], "withdraw", "erin", comment="价格已调整，原公示作废")
    assert done.get_json()["status"] == "withdrawn"
    notices = [i for i in api.call("GET", "/items", "alice").get_json() if i["kind"] == "notice"]
    assert len(notices) == 1
    assert notices[0]["status"] == "published" and notices[0]["related_item"] == item["id"]
    assert "价格已调整" in notices[0]["body"] and notices[0]["title"].startswith("撤销说明")


def test_correction_keeps_old_revision_live_until_approved(api):
    item = api.publish(api.create()["id"])
    no_reason = api.call("POST", f"/items/{item['id']}/revisions", "alice", json={"reason": ""})
    assert no_reason.status_code == 422
    draft = api.call("POST", f"/items/{item['id']}/revisions", "alice",
                     json={"reason": "CT 价格按新文件调整"}).get_json()
    assert draft["revision"] == 2 and draft["status"] == "draft" and draft["published_revision"] == 1
    api.call("PATCH", f"/items/{item['id']}", "alice",
             json={"body": "**CT** 280 元", "version": draft["version"]})
    done = api.publish(item["id"])
    assert done["revision"] == 2 and done["published_revision"] == 2
    assert [h["to"] for h in done["history"] if h["revision"] == 1][-1] == "superseded"
    notices = [i for i in api.call("GET", "/items", "alice").get_json() if i["kind"] == "notice"]
    assert notices and notices[0]["title"].startswith("更正说明")
    assert "新文件" in notices[0]["body"]


def test_queue_shows_what_awaits_the_caller(api):
    item = api.create()
    api.act(item["id"], "submit", "alice")
    assert [i["id"] for i in api.call("GET", "/items?queue=1", "bob").get_json()] == [item["id"]]
    assert api.call("GET", "/items?queue=1", "carol").get_json() == []


def test_openapi_lists_the_endpoints(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert "/items/{id}/actions" in doc["paths"] and "/tokens" in doc["paths"]

"""The demo instance: a bureau with two hospitals, staff for every role, items in every state."""
from sqlalchemy import func, select

from server import create_app, db
from server.audit import verify
from server.demo.content import seed_demo
from server.instance import init_instance
from server.models import Item, Revision, Unit, User


def test_demo_has_every_state_and_seeds_once(tmp_path):
    app = create_app({"SECRET_KEY": "t"}, instance_path=str(tmp_path / "demo"))
    init_instance(app, "县卫生健康局", "BUREAU")
    accounts = seed_demo(app)
    with app.app_context():
        s = db.session()
        statuses = set(s.scalars(select(Revision.status)))
        assert statuses == {"draft", "submitted", "reviewed", "cleared", "approved", "scheduled",
                            "published", "expired", "withdrawn", "superseded"}
        units = {u.code: u for u in s.scalars(select(Unit))}
        assert units["BUREAU"].kind == "bureau"
        assert units["H001"].parent_id == units["BUREAU"].id == units["H002"].parent_id
        roles = {g.role for u in s.scalars(select(User)) for g in u.grants}
        assert roles >= {"contributor", "reviewer", "confidentiality", "approver", "supervisor",
                         "admin", "handler"}
        assert s.scalar(select(func.count()).select_from(Item).where(Item.kind == "notice")) == 2
        assert verify(s) == []
        counts = (s.scalar(select(func.count()).select_from(Item)), len(accounts))
    assert seed_demo(app) == accounts   # running the demo again keeps the data as it is
    with app.app_context():
        assert s.scalar(select(func.count()).select_from(Item)) == counts[0]
    app.extensions["gongkai.engine"].dispose()


def test_demo_accounts_can_log_in(tmp_path):
    app = create_app({"SECRET_KEY": "t"}, instance_path=str(tmp_path / "demo"))
    init_instance(app, "县卫生健康局", "BUREAU")
    accounts = seed_demo(app)
    client = app.test_client()
    for name, password, _, _ in accounts:
        assert client.post("/api/v1/tokens", json={"username": name, "password": password}).status_code == 201
    token = client.post("/api/v1/tokens", json={"username": "jiwei", "password": accounts[0][1]}).get_json()
    # the bureau's supervisor sees the member hospitals' items
    items = client.get("/api/v1/items", headers={"Authorization": f"Bearer {token['token']}"}).get_json()
    assert any(i["unit"] == "H001" for i in items)
    app.extensions["gongkai.engine"].dispose()


def test_demo_approves_only_its_own_screen(tmp_path):
    from server.demo.screens import approve_if_pending
    from server.screens.models import Device
    app = create_app({"SECRET_KEY": "t"}, instance_path=str(tmp_path / "demo"))
    init_instance(app, "县卫生健康局", "BUREAU")
    seed_demo(app)
    client = app.test_client()
    mine = client.post("/api/v1/devices/enrol", json={"kind": "kiosk", "screen": {"w": 1080, "h": 1920}}).get_json()
    other = client.post("/api/v1/devices/enrol", json={"kind": "kiosk", "screen": {"w": 1080, "h": 1920}}).get_json()
    assert approve_if_pending(app, mine["device_id"], {"name": "演示", "audiences": ["public"]}) is True
    assert approve_if_pending(app, "no-such-device", {"audiences": ["public"]}) is False
    with app.app_context():
        s = db.session()
        assert s.get(Device, mine["device_id"]).status == "active"
        assert s.get(Device, other["device_id"]).status == "pending"
    assert client.get(mine["poll"]).status_code == 200
    app.extensions["gongkai.engine"].dispose()


def test_demo_shows_the_staff_first_example(tmp_path):
    """先内后外 in the demo: the item is on staff screens now and reaches patients' and public screens
    only at its step (issue 14: the server, not the screen, holds it back)."""
    import json
    from datetime import timedelta
    from content.feedpages import hydrate
    from content.model import Audience, AudiencePlan, Window
    from content.visibility import screen_may_receive
    from server.demo.content import STAGED_AFTER, STAGED_TITLE
    from server.screens.device_feed import build_device_feed
    from server.screens.device_info import by_id
    from server.screens.models import Device
    from server.screens.push import current_mark
    app = create_app({"SECRET_KEY": "t"}, instance_path=str(tmp_path / "demo"))
    init_instance(app, "县卫生健康局", "BUREAU")
    seed_demo(app)
    with app.app_context():
        s = db.session()
        h1 = s.scalar(select(Unit).where(Unit.code == "H001"))
        for name, audiences in (("staff", ["staff"]), ("lobby", ["patients", "public"])):
            s.add(Device(id=name, kind="kiosk", screen_w=800, screen_h=600, status="active", pairing_code="X",
                         unit=h1, screen_code=name.upper(), audiences=audiences))
        s.commit()
        mark = current_mark(s)

        def titles(device_id):
            feed = build_device_feed(s, by_id(s, device_id, mark.device_epoch), mark)
            return {i["title"] for i in hydrate(json.loads(feed.body), feed.read)["items"]}
        assert STAGED_TITLE in titles("staff") and STAGED_TITLE not in titles("lobby")
        rev = s.scalar(select(Revision).where(Revision.title == STAGED_TITLE))
        plan, window = AudiencePlan.from_list(rev.audiences), Window(rev.window_start, rev.window_end)
        step = max(st.at for st in plan.steps if st.at is not None)
        assert step - rev.published_at > STAGED_AFTER - timedelta(minutes=5)
        lobby = {Audience.PATIENTS, Audience.PUBLIC}
        assert not screen_may_receive(rev.status, plan, window, lobby, step - timedelta(seconds=1))
        assert screen_may_receive(rev.status, plan, window, lobby, step)
    app.extensions["gongkai.engine"].dispose()

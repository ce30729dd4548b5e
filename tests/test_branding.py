"""Unit branding (屏幕外观): the unit's admin sets a display name, a colour (white text on it must
reach 4.5:1) and a logo (verified and re-encoded like every image); it is audited, stored by
migration 0012, and reaches the unit's screens in the signed device block over real HTTP, the logo
fetched and cached like other media — and never reaches another unit's screens. SQLite and PostgreSQL."""
import hashlib
import io
import json

import httpx

import pytest
from alembic import command
from alembic.config import Config
from PIL import Image
from sqlalchemy import select

from content.branding import contrast_with_white, normalise_colour
from content.manifest import verify_manifest
from screen.branding import branding_of
from screen.sync import SyncClient
from server import db
from server.db import MIGRATIONS
from server.instance import find_unit
from server.models import AuditEntry
from conftest import PASSWORD
from test_admin import Staff

BACKENDS = ("sqlite", "postgres")
TEAL = "#00695c"


def png(w=900, h=300, colour=(255, 255, 255, 255)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (w, h), colour).save(out, "PNG")
    return out.getvalue()


def unit(app, code="H001"):
    with app.app_context():
        u = find_unit(db.session(), code)
        return {"brand_name": u.brand_name, "brand_colour": u.brand_colour, "logo": u.logo}


def save(staff, name="第一人民医院（总院）", colour=TEAL, logo: bytes | None = None, **extra):
    data = {"brand_name": name, "brand_colour": colour, **extra}
    if logo is not None:
        data["logo"] = (io.BytesIO(logo), "logo.png")
    return staff.post("/admin/branding", data, content_type="multipart/form-data")


def enrolled(api, server_url, data_dir, user="root"):
    client = SyncClient(server_url, str(data_dir), kind="kiosk", screen=(1080, 1920))
    assert client.enrol_step() == "pending"
    [pending] = [d for d in api.call("GET", "/devices", user).get_json() if d["pairing_code"] == client.pairing_code]
    assert api.call("POST", f"/devices/{pending['device_id']}/approve", user,
                    json={"audiences": ["public", "patients"], "name": "门诊大厅"}).status_code == 200
    assert client.enrol_step() == "active"
    return client


def test_colour_rules():
    assert normalise_colour(" #0D549e ") == "#0d549e" and normalise_colour("1a6") == "#11aa66"
    for bad in ("blue", "#12345", "#gggggg", "", None, 42, "#0d549e00"):
        assert normalise_colour(bad) is None
    assert contrast_with_white("#ffffff") == pytest.approx(1.0)
    assert contrast_with_white("#000000") == pytest.approx(21.0)
    assert contrast_with_white(TEAL) >= 4.5 > contrast_with_white("#2e9bd6")


def test_admin_sets_branding_audited_and_it_reaches_the_screen_over_http(app, api, server_url, tmp_path):
    root = Staff(app, "root")
    page = root.get("/admin/branding")
    assert page.status_code == 200 and "屏幕外观" in page.text and 'href="/admin/branding' in root.get("/admin/").text
    client = enrolled(api, server_url, tmp_path / "kiosk")
    assert client.sync_once()
    before = client.cached_manifest()["device"]["branding"]
    assert before == {"name": "第一人民医院", "colour": None, "logo": None}     # defaults when unset

    resp = save(root, logo=png())
    assert resp.status_code == 302, resp.text
    stored = unit(app)
    assert stored["brand_colour"] == TEAL and stored["brand_name"] == "第一人民医院（总院）"
    assert max(stored["logo"]["w"], stored["logo"]["h"]) == 512            # scaled down at upload
    with app.app_context():
        entry = db.session().scalars(select(AuditEntry).where(AuditEntry.action == "unit.branding")).one()
        assert entry.actor == "root" and TEAL in entry.after and stored["logo"]["sha256"] in entry.after
    assert root.get(f"/media/{stored['logo']['sha256']}").status_code == 200      # the page's preview

    assert client.sync_once()                                  # the unit changed: a new manifest
    manifest = client.cached_manifest()
    branding = manifest["device"]["branding"]
    assert branding["name"] == "第一人民医院（总院）" and branding["colour"] == TEAL
    assert branding["logo"]["sha256"] == stored["logo"]["sha256"]
    path = client.media_path(branding["logo"]["sha256"])
    with open(path, "rb") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == branding["logo"]["sha256"]   # fetched, verified, cached
    with open(tmp_path / "kiosk" / "manifest.json", encoding="utf-8") as fh:   # as received: signed
        assert verify_manifest(json.load(fh), client._identity.get("public_key"))
    shown = branding_of(manifest, client.media_path)
    assert shown.name == "第一人民医院（总院）" and shown.logo == path
    assert shown.colour == pytest.approx((0, 0x69 / 255, 0x5c / 255, 1))


def test_bad_colour_and_bad_logo_refused_in_chinese_nothing_lost(app):
    root = Staff(app, "root")
    assert save(root, logo=png()).status_code == 302
    kept = unit(app)
    light = save(root, colour="#ffd400")
    assert light.status_code == 422 and "颜色太浅" in light.text and "4.5:1" in light.text
    wrong = save(root, colour="blue")
    assert wrong.status_code == 422 and "颜色格式不正确" in wrong.text
    broken = save(root, logo=b"\x89PNG\r\n\x1a\nnot really")
    assert broken.status_code == 422 and "图片无效" in broken.text
    long = save(root, name="院" * 41)
    assert long.status_code == 422 and "内容过长" in long.text
    assert unit(app) == kept                                   # nothing stored from a refused form
    assert save(root, name="", colour="", remove_logo="1").status_code == 302
    assert unit(app) == {"brand_name": "", "brand_colour": "", "logo": None}


def test_only_the_units_admin(app):
    for user in ("alice", "dan", "sue"):
        staff = Staff(app, user)
        assert staff.get("/admin/branding").status_code == 403
        assert save(staff).status_code == 403
        assert 'href="/admin/branding' not in staff.get("/admin/").text
    zed = Staff(app, "zed")                                   # staff of another unit, not its admin
    assert save(zed).status_code == 403
    assert unit(app)["brand_colour"] == ""
    assert Staff(app).client.post("/admin/branding", data={"brand_colour": TEAL}).status_code in (302, 400, 401, 403)
    assert unit(app)["brand_colour"] == ""


def test_another_units_screen_gets_neither_branding_nor_logo(app, api, server_url, tmp_path):
    root = Staff(app, "root")
    assert save(root, logo=png(colour=(200, 0, 0, 255))).status_code == 302
    sha = unit(app)["logo"]["sha256"]
    with app.app_context():
        from server.instance import create_user
        s = db.session()
        create_user(s, "root2", PASSWORD, ["admin"], find_unit(s, "H002"))
        s.commit()
    other = enrolled(api, server_url, tmp_path / "other", user="root2")
    assert other.sync_once()
    branding = other.cached_manifest()["device"]["branding"]
    assert branding == {"name": "第二人民医院", "colour": None, "logo": None}
    mine = enrolled(api, server_url, tmp_path / "mine")
    assert mine.sync_once()
    for client, status in ((other, 404), (mine, 200)):
        resp = httpx.get(f"{server_url}/media/{sha}", headers={"Authorization": f"Bearer {client._identity.get('token')}"})
        assert resp.status_code == status
    assert resp.headers["Content-Type"] == "image/png"


def test_migration_0012_down_and_up(app):
    root = Staff(app, "root")
    assert save(root).status_code == 302
    engine = app.extensions["gongkai.engine"]
    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0011")
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    assert unit(app) == {"brand_name": "", "brand_colour": "", "logo": None}

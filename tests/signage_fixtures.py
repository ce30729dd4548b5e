"""A signage data folder as screen.sync leaves it after approval (device.json with the pinned key,
a signed manifest.json with playlist/ticker/alert — protocol version 2 —, media/<sha256> with its
pages and blobs), built on kiosk_fixtures' items."""
from __future__ import annotations

import os
from datetime import datetime, timedelta

from screen.cache import write_json
from content.manifest import generate_keypair
import kiosk_fixtures as kf

CST = kf.CST
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=CST)  # a Monday, inside opening hours
NOTICE_BODY = ("# 冬季门诊时间调整\n\n自12月1日起，门诊上午 **8:00** 开诊，下午 13:30 开诊。\n"
               "- 急诊 24 小时开放\n- 发热门诊 24 小时开放\n\n如有疑问请拨打服务热线 0571-12345678。"
               "本院将持续优化就医流程，为患者提供便捷、高效的医疗服务。")


def entry(item, slide, duration=10, order=0, dayparts=(), start=None, end=None, title=None):
    return {"item": item["id"], "revision": item["revision"], "title": title or item["title"], "slide": slide,
            "duration": duration, "order": order, "dayparts": list(dayparts),
            "window": {"start": start.isoformat() if start else None, "end": end.isoformat() if end else None}}


def standard(root, big_image: bytes | None = None) -> tuple[list[dict], list[dict]]:
    """(items, playlist) with one slide of every type; media stored in root."""
    image = big_image or kf.png_bytes(1600, 900, (20, 110, 170))
    image_sha = kf.store_media(root, image)
    pdf_sha = kf.store_media(root, kf.pdf_bytes(2))
    published = (NOW - timedelta(days=2)).isoformat()
    notice = kf.item(1, "notices", "关于冬季门诊时间调整的通知", NOTICE_BODY, published=NOW - timedelta(days=2))
    picture = kf.item(2, "conveniences", "新门诊楼启用", "", media=[
        {"sha256": image_sha, "type": "image/png", "w": 1600, "h": 900, "bytes": len(image)}])
    document = kf.item(3, "conveniences", "便民服务手册", "", media=[
        {"sha256": pdf_sha, "type": "application/pdf", "w": None, "h": None, "bytes": None}])
    table = kf.item(4, "prices", "医疗服务价格公示（2026年版）", "",
                    table={"columns": ["编码", "项目名称", "单位", "价格（元）"], "rows": kf.price_rows(60)})
    stats = kf.item(5, "complaints", "11月依申请公开与投诉办理情况", "")
    stats["signage"] = {"slide": "stats", "duration": 10, "stats": {
        "month": "2026-11", "received": 42, "answered": 39, "on_time_pct": 97.4, "satisfaction_pct": 91.2}}
    items = [notice, picture, document, table, stats]
    for it in items:
        it["window"] = {"start": None, "end": None}
        it["published_at"] = published
    playlist = [entry(notice, "notice", order=0), entry(picture, "image", order=1),
                entry(document, "document", order=2), entry(table, "table", order=3),
                entry(stats, "stats", order=4)]
    return items, playlist


def write_manifest(root, items, playlist, ticker=(), alert=None, opening_hours=(), night_mode=True,
                   version=1, pem=None, public=None, server_time=NOW, brand: dict | None = None):
    """Sign and write manifest.json (and device.json when a key is made here); returns the key pair."""
    root = str(root)
    os.makedirs(os.path.join(root, "media"), exist_ok=True)
    if pem is None:
        pem, public = generate_keypair()
        write_json(os.path.join(root, "device.json"),
                   {"device_id": "sig1", "token": "tok-s", "public_key": public, "server": "http://gk.example"},
                   mode=0o600)
    manifest = {"version": version, "server_time": server_time.isoformat(),
                "device": {"device_id": "sig1", "kind": "signage", "name": "门诊大厅信息屏",
                           "location": "门诊楼一楼", "screen_code": "S9X4", "audiences": ["patients", "public"],
                           "groups": ["大厅"], "unit": {"name": "第一人民医院", "hotline": "0571-12345678"},
                           "signage": {"opening_hours": list(opening_hours), "night_mode": night_mode},
                           **({"branding": brand} if brand else {})},
                "catalog": kf.catalog(), "items": items, "playlist": playlist, "ticker": list(ticker),
                "alert": alert}
    kf.write_signed(root, manifest, pem)
    return pem, public


TICKER = [{"item": 1, "text": "冬季门诊时间调整：上午8:00开诊", "window": {"start": None, "end": None}},
          {"item": 7, "text": "投诉电话：0571-12345678", "window": {"start": None, "end": None}}]

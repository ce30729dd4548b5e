"""A kiosk data folder as screen.sync leaves it after approval: device.json (token + pinned public
key), a signed manifest.json (protocol version 2) and media/<sha256> with its pages, blobs and
images — so the kiosk can be tested without a server."""
from __future__ import annotations

import hashlib
import io
import json
import os
from datetime import datetime, timedelta, timezone

from screen.cache import write_json
from content.feedpages import pack
from content.manifest import generate_keypair, sign_manifest

CST = timezone(timedelta(hours=8))
SCREEN_CODE = "K7Q2"
FEEDBACK = f"http://gk.example/f/{SCREEN_CODE}"


def catalog() -> list[dict]:
    def cat(cid, name, parent=None, rule=None, audiences=("staff", "patients", "public")):
        return {"id": cid, "name": name, "name_en": cid, "parent": parent, "audiences": list(audiences),
                "time_rule": rule or {"kind": "standing"}, "description": f"{name}的说明。"}
    return [cat("external", "院务公开·对外"),
            cat("qualifications", "资质信息", "external"),
            cat("practice-licence", "执业登记与诊疗科目", "qualifications"),
            cat("medical-services", "医疗服务信息", "external"),
            cat("prices", "医疗服务价格", "medical-services"),
            cat("drug-prices", "药品价格", "medical-services"),
            cat("clinic-schedule", "出诊信息", "medical-services"),
            cat("care-guide", "就医指南", "medical-services"),
            cat("insurance", "医保政策", "medical-services"),
            cat("conveniences", "便民措施", "external"),
            cat("conduct", "行风建设", "external"),
            cat("complaints", "投诉渠道", "external"),
            cat("notices", "公示公告", "external", {"kind": "immediate", "working_days": 5})]


def png_bytes(w=320, h=200, color=(30, 120, 200)) -> bytes:
    from PIL import Image, ImageDraw
    img = Image.new("RGB", (w, h), color)
    ImageDraw.Draw(img).rectangle([20, 20, w - 20, h - 20], outline=(255, 255, 255), width=6)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def item(n, category, title, body="", table=None, media=(), start=None, end=None, published=None):
    now = datetime.now(CST)
    out = {"id": n, "revision": 1, "category": category, "kind": "item", "title": title, "body": body,
           "media": list(media), "window": {"start": (start or now - timedelta(days=3)).isoformat(),
                                            "end": end.isoformat() if end else None},
           "published_at": (published or now - timedelta(days=n % 7)).isoformat(),
           "feedback_url": f"{FEEDBACK}?item={n}"}
    if table is not None:
        out["table"] = table
    return out


def price_rows(n: int) -> list[list[str]]:
    names = ["血常规", "尿常规", "CT检查", "核磁共振", "心电图", "B超检查", "肝功能", "肾功能"]
    return [[f"{10000 + k}", names[k % len(names)] + ("" if k < len(names) else f"（{k}）"), "次",
             f"{(k % 300) + 5}.00"] for k in range(n)]


def standard_items(table_rows: int = 200, image_sha: str | None = None) -> list[dict]:
    now = datetime.now(CST)
    body = ("# 门诊就医流程\n\n患者可通过**自助机**、微信公众号或窗口挂号。\n\n## 就诊步骤\n"
            "- 挂号取号\n- 候诊就诊\n- 缴费检查\n1. 取药离院\n\n如有疑问请拨打服务热线。")
    items = [
        item(1, "prices", "医疗服务价格公示（2026年版）", "本院医疗服务项目价格如下，可按编号或名称查询。",
             table={"columns": ["编码", "项目名称", "单位", "价格（元）"], "rows": price_rows(table_rows)}),
        item(2, "care-guide", "门诊就医指南", body),
        item(3, "clinic-schedule", "CT检查预约须知", "CT检查请提前预约，检查前请去除金属物品。"),
        item(4, "notices", "关于拟聘任科室主任的公示", "公示期内如有异议，请向院纪委反映。",
             start=now - timedelta(days=1), end=now + timedelta(days=9)),
        item(5, "qualifications", "医疗机构执业许可证", "本院依法取得医疗机构执业许可证。",
             media=[{"sha256": image_sha, "type": "image/png", "w": 320, "h": 200, "bytes": None}]
             if image_sha else []),
        item(6, "drug-prices", "常用药品价格", "药品价格按国家集中采购结果执行。"),
        item(7, "complaints", "投诉渠道与处理流程", "投诉电话：0571-12345678。"),
        item(8, "prices", "已过期的旧价格表", "不应显示。", start=now - timedelta(days=30),
             end=now - timedelta(days=1)),
    ]
    return items


def hostile_items() -> list[dict]:
    missing = "ab" * 32
    return [
        item(20, "conduct", "[b]粗体[/b] [color=ff0000]红字[/color] & [size=90]大字", "正文 [i]斜体标记[/i]"),
        item(21, "conduct", "超长正文", "很长的正文。" * 900_000),  # ≈ 5.4 MB
        item(22, "conveniences", "缺失的图片", "图片缺失时显示占位。",
             media=[{"sha256": missing, "type": "image/png", "w": 10, "h": 10, "bytes": 10},
                    {"sha256": "zz", "type": "application/pdf"}]),
        item(23, "conveniences", "参差不齐的表格", "", table={"columns": ["甲", "乙", "丙"],
             "rows": [["1"], ["1", "2", "3", "4", "5"], [], "not a row", {"甲": "x"}, [None, 5, "[b]"]]}),
        item(24, "conveniences", None, None, table="garbage"),
    ]


def pdf_bytes(pages: int = 2) -> bytes:
    from PIL import Image, ImageDraw
    images = []
    for n in range(pages):
        img = Image.new("RGB", (595, 842), (255, 255, 255))
        ImageDraw.Draw(img).rectangle([60, 60, 535, 200 + 100 * n], fill=(40, 90, 160))
        images.append(img)
    buf = io.BytesIO()
    images[0].save(buf, "PDF", save_all=True, append_images=images[1:])
    return buf.getvalue()


def store_media(root, data: bytes) -> str:
    sha = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(str(root), "media"), exist_ok=True)
    with open(os.path.join(str(root), "media", sha), "wb") as f:
        f.write(data)
    return sha


def pdf_item(root, n: int = 9) -> dict:
    """An item whose attachment is a 2-page PDF, stored in root's media folder."""
    data = pdf_bytes()
    sha = store_media(root, data)
    return item(n, "conveniences", "便民服务手册（PDF）", "请左右滑动翻页。",
                media=[{"sha256": sha, "type": "application/pdf", "w": None, "h": None, "bytes": len(data)}])


def write_signed(root, manifest: dict, pem: bytes, feedback_base: str = FEEDBACK) -> dict:
    """Pack a manifest with inline items as version 2, store its pages and blobs in root/media,
    sign it and write manifest.json; returns the signed manifest as stored."""
    packed, blobs = pack(manifest, feedback_base)
    for blob in blobs.values():
        store_media(root, blob)
    signed = sign_manifest(packed, pem)
    with open(os.path.join(str(root), "manifest.json"), "wb") as f:
        f.write(json.dumps(signed, ensure_ascii=False).encode("utf-8"))
    return signed


def logo_png(size=256) -> bytes:
    """A hospital emblem as a unit would upload it: white on transparent (a ring and a cross)."""
    from PIL import Image, ImageDraw
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.ellipse([8, 8, size - 8, size - 8], outline=(255, 255, 255, 255), width=size // 14)
    bar, mid = size // 7, size // 2
    draw.rectangle([mid - bar // 2, size // 4, mid + bar // 2, size * 3 // 4], fill=(255, 255, 255, 255))
    draw.rectangle([size // 4, mid - bar // 2, size * 3 // 4, mid + bar // 2], fill=(255, 255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def branding(root, name="杭州市第一人民医院", colour="#00695c") -> dict:
    """A device block's `branding` with its logo stored in root's media folder."""
    data = logo_png()
    sha = store_media(root, data)
    return {"name": name, "colour": colour, "logo": {"sha256": sha, "type": "image/png", "w": 256, "h": 256,
                                                     "bytes": len(data)}}


def build_cache(root, items=None, alert=None, table_rows: int = 200, with_image: bool = True,
                unit_name: str = "第一人民医院", brand: dict | None = None) -> dict:
    """Write device.json, media and a signed manifest.json into `root`; returns the manifest as the
    app sees it (items inline, as SyncClient hydrates it) plus `_private_pem`."""
    root = str(root)
    os.makedirs(os.path.join(root, "media"), exist_ok=True)
    pem, public = generate_keypair()
    image_sha = None
    if with_image:
        data = png_bytes()
        image_sha = hashlib.sha256(data).hexdigest()
        with open(os.path.join(root, "media", image_sha), "wb") as f:
            f.write(data)
    if items is None:
        items = standard_items(table_rows, image_sha)
    if with_image and image_sha:
        for it in items:
            for m in it.get("media") or []:
                if isinstance(m, dict) and m.get("sha256") == image_sha:
                    m["bytes"] = len(data)
    manifest = {"version": 7, "server_time": datetime.now(CST).isoformat(),
                "device": {"device_id": "dev1", "kind": "kiosk", "name": "门诊大厅一号机",
                           "location": "门诊楼一楼", "screen_code": SCREEN_CODE,
                           "audiences": ["patients", "public"], "groups": [],
                           "orientation": "portrait", "screen": {"w": 1080, "h": 1920},
                           "unit": {"name": unit_name, "hotline": "0571-12345678"},
                           **({"branding": brand} if brand else {})},
                "catalog": catalog(), "items": items, "playlist": [], "ticker": [], "alert": alert}
    write_signed(root, manifest, pem)
    write_json(os.path.join(root, "device.json"),
               {"device_id": "dev1", "token": "tok-1", "public_key": public, "server": "http://gk.example"},
               mode=0o600)
    manifest["_private_pem"] = pem  # for tests that re-sign (not part of the manifest on disk)
    return manifest

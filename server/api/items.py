"""Items in the staff API: create, read, edit drafts, upload tables and images, workflow actions."""
from __future__ import annotations

from flask import current_app, g, jsonify, request
from sqlalchemy import select

from server import db

from server.disclosure import items, overrides
from server.api import bp, caller_unit, json_body
from server.auth import units_of
from server.models import Item
from server.disclosure.uploads import parse_csv, store_visuals, table_from_json
from server.validation import ServiceError


def _iso(value):
    return value.isoformat() if value else None


def item_json(item: Item, user) -> dict:
    """The item as staff see it: newest revision, what is live, history, and what they may do."""
    rev = item.revisions[-1]
    live = items.live_revision(item)
    return {
        "id": item.id, "unit": item.unit.code, "category": item.category.key, "kind": item.kind,
        "related_item": item.related_item_id, "status": rev.status, "revision": rev.number,
        "version": rev.edit_version, "title": rev.title, "body": rev.body, "table": rev.table,
        "audiences": rev.audiences, "window": {"start": _iso(rev.window_start), "end": _iso(rev.window_end)},
        "sensitive": rev.sensitive, "reason": rev.reason, "signage": rev.signage, "override": rev.override,
        "published_revision": live.number if live else None,
        "media": [{"sha256": a.sha256, "type": a.mime, "w": a.width, "h": a.height, "bytes": a.size}
                  for a in rev.attachments],
        "allowed_actions": items.allowed_for(user, item),
        "history": [{"revision": r.number, "action": d.action, "from": d.from_status, "to": d.to_status,
                     "by": d.actor.username if d.actor else "system", "at": _iso(d.at),
                     "comment": d.comment}
                    for r in item.revisions for d in r.decisions],
    }


def load_item(item_id: int) -> Item:
    """The item if the caller holds a role in its unit and, for a confidential draft, is in its
    workflow (content/need_to_know.py); 404 otherwise (no existence leak)."""
    item = db.session().get(Item, item_id)
    if item is None or not items.can_view(g.user, item):
        raise ServiceError(404, "not_found")
    return item


@bp.post("/items")
def create_item():
    """Create a draft in a catalog category of the caller's unit."""
    data = json_body()
    item = items.create_draft(db.session(), g.user, caller_unit(data.get("unit")), data)
    return jsonify(item_json(item, g.user)), 201


@bp.get("/items")
def list_items():
    """Items of the caller's units; ?status= filters; ?queue=1 keeps those awaiting the caller."""
    unit_ids = [u.id for u in units_of(db.session(), g.user)]
    rows = db.session().scalars(select(Item).where(Item.unit_id.in_(unit_ids)).order_by(Item.id.desc())
                                .limit(500)).all()
    out = [item_json(i, g.user) for i in items.visible(g.user, rows)]
    if request.args.get("status"):
        out = [i for i in out if i["status"] == request.args["status"]]
    if request.args.get("queue"):
        out = [i for i in out if items.SIGN_OFF & set(i["allowed_actions"])]
    return jsonify(out)


@bp.get("/items/<int:item_id>")
def get_item(item_id: int):
    """One item with its history."""
    return jsonify(item_json(load_item(item_id), g.user))


@bp.patch("/items/<int:item_id>")
def patch_item(item_id: int):
    """Edit the draft; send the `version` you read (or If-Match) — a stale one gets 409."""
    data = json_body()
    version = data.pop("version", None) or request.headers.get("If-Match", "").strip('"') or None
    item = load_item(item_id)
    if "table" in data and data["table"] is not None:
        data["table"] = table_from_json(data["table"], current_app.config["MAX_TABLE_ROWS"])
    items.edit_draft(db.session(), g.user, item, data, version)
    return jsonify(item_json(item, g.user))


@bp.put("/items/<int:item_id>/table")
def put_table(item_id: int):
    """Upload the draft's table as CSV (UTF-8 or GBK); ?version= as for PATCH."""
    item = load_item(item_id)
    upload = request.files.get("file")
    raw = upload.read() if upload else request.get_data()
    table = parse_csv(raw, current_app.config["MAX_TABLE_ROWS"])
    items.edit_draft(db.session(), g.user, item, {"table": table},
                   request.values.get("version") or request.headers.get("If-Match", "").strip('"'))
    return jsonify(item_json(item, g.user))


@bp.post("/items/<int:item_id>/images")
def add_image(item_id: int):
    """Attach an image (verified, metadata stripped) or a PDF's pages as images to the draft."""
    item = load_item(item_id)
    items.editable_draft(g.user, item)
    upload = request.files.get("file")
    if upload is None:
        raise ServiceError(422, "invalid", {"image": ("required", {})})
    metas = store_visuals(upload.read(), current_app.config["MEDIA_DIR"],
                          current_app.config["MAX_IMAGE_PIXELS"])
    for page, meta in enumerate(metas):
        name = upload.filename or ""
        items.attach_image(db.session(), g.user, item, meta, name if len(metas) == 1 else f"{name} #{page + 1}")
    return jsonify(item_json(item, g.user)), 201


@bp.post("/items/<int:item_id>/revisions")
def new_revision(item_id: int):
    """更正: open a new draft revision of a published item, with the reason for the change."""
    data = json_body()
    item = load_item(item_id)
    items.start_correction(db.session(), g.user, item, str(data.get("reason") or ""))
    return jsonify(item_json(item, g.user)), 201


@bp.post("/items/<int:item_id>/override")
def override(item_id: int):
    """放宽目录限制 (approver): the draft's audiences beyond its category or not sensitive, with a reason."""
    item = load_item(item_id)
    overrides.override(db.session(), g.user, item, json_body())
    return jsonify(item_json(item, g.user))


@bp.post("/items/<int:item_id>/actions")
def act(item_id: int):
    """Take a workflow action: 200 the item, 403 role, 409 state, 422 input."""
    data = json_body()
    item = load_item(item_id)
    action, comment = data.get("action"), data.get("comment", "")
    if not isinstance(action, str) or not isinstance(comment, str):
        raise ServiceError(422, "invalid", {"action": ("unknown_action", {})})
    items.take_action(db.session(), g.user, item, action, comment)
    return jsonify(item_json(item, g.user))

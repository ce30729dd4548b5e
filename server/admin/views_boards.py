"""公开栏 in the staff UI: the print download and the posting form on the item page, the boards page
(what hangs where, outdated prints to replace or take down; its form works on a phone at the board),
take-downs and posting photos. Thin views over server/boards/."""
from __future__ import annotations

from flask import Response, abort, current_app, flash, g, redirect, render_template, request, send_file, url_for

from content.model import Role
from server import db
from server.admin import bp, has_role
from server.admin.forms import field_errors
from server.admin.views_items import load_item, render_item
from server.auth import require_roles
from server.boards import postings, prints
from server.boards.print_pdf import ORIENTATIONS, PAPER_SIZES
from server.disclosure import items
from server.disclosure.exposure import plan_of
from server.disclosure.uploads import store_image
from server.guard.bounds import as_id
from server.i18n import t
from server.models import Item
from server.validation import ServiceError
from content.visibility import PUBLIC_AUDIENCES

MAX_PHOTO = 8 * 1024 * 1024
PHOTO_SIDE = 2400
VIEWERS = (*postings.POSTERS, Role.SUPERVISOR, Role.APPROVER)   # who may look at the boards page
IMAGE_MAGIC = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg", b"RIFF": "image/webp"}


def board_panel(item: Item) -> dict:
    """What the item page's 公开栏 panel needs: the printable revision, the unit's boards, postings."""
    s = db.session()
    live = items.live_revision(item)
    printable = live if live is not None and live.status == "published" else None
    return {"printable": printable, "boards": prints.unit_boards(s, item.unit),
            "postings": postings.for_item(s, item), "sizes": PAPER_SIZES, "orientations": ORIENTATIONS,
            "public": printable is not None and bool(plan_of(printable).all() & PUBLIC_AUDIENCES),
            "can_post": any(has_role(r.value) for r in postings.POSTERS)}


bp.add_app_template_global(board_panel, "board_panel")


def _refill(item: Item, form: str, exc: ServiceError):
    """The item page again with the refusal under the form that caused it (404s stay 404 pages)."""
    if exc.status == 404:
        raise exc
    db.session().rollback()
    message = " ".join(field_errors(exc).values())
    return render_item(item, {form: message}, status=exc.status)


@bp.get("/items/<int:item_id>/print.pdf")
def print_item(item_id: int):
    """打印公开栏: the published revision as an A4/A3 PDF with its QR code and verification line."""
    item = load_item(item_id)
    args = request.args
    try:
        pdf, name = prints.print_item(db.session(), g.user, item, size=args.get("size"),
                                      orientation=args.get("orientation"), board=args.get("board"),
                                      number=args.get("revision"), base_url=current_app.config["PUBLIC_BASE_URL"],
                                      media_dir=current_app.config["MEDIA_DIR"])
    except ServiceError as exc:
        return _refill(item, "print", exc)
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _photo() -> str | None:
    """The uploaded photo, checked and stored like every image (422 on the photo field if it is bad)."""
    upload = request.files.get("photo")
    if upload is None or not upload.filename:
        return None
    data = upload.read(MAX_PHOTO + 1)
    try:
        if len(data) > MAX_PHOTO:
            raise ServiceError(422, "invalid")
        return store_image(data, current_app.config["MEDIA_DIR"], current_app.config["MAX_IMAGE_PIXELS"],
                           max_side=PHOTO_SIDE)["sha256"]
    except ServiceError:
        raise ServiceError(422, "invalid", {"photo": ("brd.photo_bad", {})}) from None


def _record(item: Item):
    form = request.form
    return postings.record_posting(db.session(), g.user, item, board=form.get("board"), number=form.get("revision"),
                                   size=form.get("size"), orientation=form.get("orientation"),
                                   posted_at=form.get("posted_at"), photo_sha=_photo())


@bp.post("/items/<int:item_id>/postings")
def record_posting(item_id: int):
    """登记张贴 from the item page."""
    item = load_item(item_id)
    try:
        _record(item)
    except ServiceError as exc:
        return _refill(item, "posting", exc)
    flash(t("brd.posted"))
    return redirect(url_for("admin.item", item_id=item.id) + "#boards")


def _boards_page(errors=None, values=None, status=200):
    s = db.session()
    require_roles(g.user, g.unit, *VIEWERS)
    return render_template("admin/boards.html", boards=prints.unit_boards(s, g.unit),
                           up=postings.for_unit(s, g.unit), outdated=postings.outdated_for_unit(s, g.unit),
                           sizes=PAPER_SIZES, orientations=ORIENTATIONS, errors=errors or {}, values=values or {},
                           can_post=any(has_role(r.value) for r in postings.POSTERS)), status


@bp.get("/boards")
def boards():
    """公开栏张贴: what hangs on each board, and the outdated prints to replace or take down."""
    return _boards_page()


@bp.post("/boards")
def post_on_board():
    """登记张贴 by item number, from a phone at the board."""
    require_roles(g.user, g.unit, *postings.POSTERS)
    values = dict(request.form.items())
    s = db.session()
    item = s.get(Item, as_id(values.get("item"))) if as_id(values.get("item")) else None
    if item is None or item.unit_id != g.unit.id or not items.can_view(g.user, item):
        return _boards_page({"item": t("brd.item_missing")}, values, 422)
    try:
        _record(item)
    except ServiceError as exc:
        s.rollback()
        if exc.status == 404:
            raise
        return _boards_page(field_errors(exc), values, exc.status)
    flash(t("brd.posted"))
    return redirect(url_for("admin.boards"))


@bp.post("/boards/postings/<int:posting_id>/take-down")
def take_down(posting_id: int):
    """登记撤下: the print came off its board; back to the page it was asked from."""
    s = db.session()
    posting = postings.find_posting(s, g.user, posting_id)
    try:
        postings.take_down(s, g.user, posting, request.form.get("taken_down_at"))
    except ServiceError as exc:
        s.rollback()
        if exc.status != 409:
            raise
        flash(" ".join(field_errors(exc).values()))
    else:
        flash(t("brd.taken_down"))
    back = request.form.get("back")
    return redirect(url_for("admin.item", item_id=posting.item_id) + "#boards" if back == "item"
                    else url_for("admin.boards"))


@bp.get("/boards/postings/<int:posting_id>/photo")
def posting_photo(posting_id: int):
    """The photo taken at the board, for staff who may see the item."""
    posting = postings.find_posting(db.session(), g.user, posting_id)
    if not posting.photo_sha:
        abort(404)
    path = prints.media_path(current_app.config["MEDIA_DIR"], posting.photo_sha)
    if path is None:
        abort(404)
    with open(path, "rb") as fh:
        head = fh.read(4)
    mime = next((m for magic, m in IMAGE_MAGIC.items() if head.startswith(magic)), "application/octet-stream")
    resp = send_file(path, mimetype=mime, max_age=3600)
    resp.headers["Cache-Control"] = "private, max-age=3600"
    return resp
